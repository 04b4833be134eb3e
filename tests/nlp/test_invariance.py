"""Batch invariance: a text's labels are a function of its text and the model version only.

The same texts are classified in several orders, batch sizes and with different
neighbours; every label and every probability must be identical, bit for bit (the store
keeps the probabilities as floats, so "rounded as stored" is exact equality). The tiny
random model runs the same packed paths as the shipped one, bf16 and static int8 (with a
calibration measured here); the shipped model is checked too (slow: it loads the real
encoder), as it labels (int8) and in bf16. The bf16 packed path (token-wise parts on the
real tokens only) must give the same bits as the padded forward it replaced.
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import torch

from nlp import ONEDNN_ISA, int8
from nlp.classify import (
    WIDTH_STEP,
    ThreeHeadClassifier,
    batches,
    packed_batches,
    padded_width,
)
from nlp.labels import Labels
from nlp.language import LanguageIdentifier
from nlp.model import HeadLogits, ThreeHeadModel, _PackedBatch

SENTENCES = [
    "great",
    "my order never arrived and support will not answer",
    "I love it!",
    "awful awful awful, never again",
    "Meine Bestellung ist nie angekommen und der Support antwortet nicht.",
    "Мой заказ так и не пришёл, а поддержка не отвечает на письма.",
    "Min beställning kom aldrig fram och supporten svarar inte på mina mejl.",
    "我的订单一直没有到，客服也不回复我的邮件。",
    "FREE iPhone giveaway!!! Click here http://bit.ly/fr33 and subscribe now",
    "Sorry about that! Version 4.12.1 fixes the sync bug; update from the settings page.",
    "How do I export my data to CSV without losing the time zones?",
    "",
    "😀😀🔥",
    "ok",
]


def corpus() -> list[str]:
    """Varied texts: the sentences alone and joined into longer posts of many lengths."""
    rng = random.Random(3)
    texts = list(SENTENCES)
    for n in range(26):
        texts.append(" ".join(rng.choice(SENTENCES) for _ in range(1 + n % 7)))
    return texts


def rounded(label: Labels) -> tuple[object, ...]:
    """What the store keeps (floats), rounded: a second, coarser view of the same check."""
    return (
        label.sentiment,
        tuple(round(v, 6) for v in label.sentiment_scores.values()),
        round(label.complaint, 6),
        label.quality,
        round(label.quality_score, 6),
        label.language,
    )


def check_invariance(classifier: ThreeHeadClassifier, texts: Sequence[str]) -> None:
    classifier.batch_size = 32
    reference = classifier.classify(texts)
    rng = random.Random(11)
    fillers = [f"filler text number {i}, " * (1 + i % 5) for i in range(23)]
    for batch_size in (1, 3, 7, 32, 64):
        classifier.batch_size = batch_size
        # shuffled, with half of the texts and some strangers as neighbours
        order = list(range(len(texts)))
        rng.shuffle(order)
        keep = order[: len(order) // 2 + batch_size % 5]
        mixed: list[tuple[int | None, str]] = [(i, texts[i]) for i in keep]
        mixed += [(None, f) for f in fillers[: batch_size + 2]]
        rng.shuffle(mixed)
        got = classifier.classify([t for _, t in mixed])
        for (i, _), label in zip(mixed, got, strict=True):
            if i is not None:
                assert label == reference[i], (batch_size, texts[i])
                assert rounded(label) == rounded(reference[i])
        # all of them, reversed
        again = classifier.classify(list(reversed(texts)))[::-1]
        assert again == reference


def test_padded_width_depends_on_the_text_alone() -> None:
    assert [padded_width(n) for n in (0, 1, 8, 9, 16, 17)] == [8, 8, 8, 16, 16, 24]
    lengths = [3, 30, 9, 12, 8, 31, 2]
    for size in (1, 2, 3, 100):
        seen = sorted(i for _, rows in batches(lengths, size) for i in rows)
        assert seen == list(range(len(lengths)))
        for width, rows in batches(lengths, size):
            assert len(rows) <= size
            assert width % WIDTH_STEP == 0
            assert all(padded_width(lengths[i]) == width for i in rows)


def test_packed_batches_are_full_and_ordered_by_width() -> None:
    lengths = [3, 30, 9, 12, 8, 31, 2, 17, 16, 1]
    for size in (1, 3, 4, 100):
        got = packed_batches(lengths, size)
        assert sorted(i for rows in got for i in rows) == list(range(len(lengths)))
        assert all(len(rows) == size for rows in got[:-1])  # only the last one is short
        order = [i for rows in got for i in rows]
        keys = [(padded_width(lengths[i]), i) for i in order]
        assert keys == sorted(keys)  # one width's texts adjacent, as packed_logits needs
    assert packed_batches([], 32) == []


def test_packed_batch_layout() -> None:
    batch = _PackedBatch.build([2, 3, 9], [8, 8, 16])
    assert batch.positions.tolist() == [0, 1, 0, 1, 2, *range(9)]
    assert batch.slots.tolist() == [0, 1, 8, 9, 10, *range(16, 25)]
    # padded rows hold the text's last token
    assert batch.padded.tolist()[:16] == [0, 1, 1, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 4, 4]
    assert [(g.start, g.texts, g.width) for g in batch.groups] == [(0, 2, 8), (16, 1, 16)]
    assert batch.groups[0].keys[:, 0, 0].isinf().sum(1).tolist() == [6, 5]
    with pytest.raises(ValueError, match="adjacent"):
        _PackedBatch.build([2, 9, 3], [8, 16, 8])
    with pytest.raises(ValueError, match="tokens"):
        _PackedBatch.build([9], [8])


def _padded_and_packed(
    model: ThreeHeadModel, token_ids: list[list[int]]
) -> tuple[HeadLogits, HeadLogits]:
    """The same texts through ``forward`` (one padded batch per width, as before) and
    ``packed_logits`` (one packed batch of mixed widths), rows in the same order."""
    widths = [padded_width(len(t)) for t in token_ids]
    parts: list[HeadLogits] = []
    for width in sorted(set(widths)):
        rows = [t for t, w in zip(token_ids, widths, strict=True) if w == width]
        ids = torch.ones((len(rows), width), dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for r, t in enumerate(rows):
            ids[r, : len(t)] = torch.tensor(t)
            mask[r, : len(t)] = 1
        parts.append(model(ids, mask))
    padded = HeadLogits(
        *(torch.cat([getattr(p, f) for p in parts]) for f in HeadLogits.__annotations__)
    )
    order = sorted(range(len(token_ids)), key=lambda i: widths[i])
    packed = model.packed_logits(
        torch.tensor([x for i in order for x in token_ids[i]]),
        [len(token_ids[i]) for i in order],
        [widths[i] for i in order],
    )
    return padded, packed


def test_packed_logits_are_the_padded_forward_bit_for_bit(
    tiny_model_dir: Path, languages: LanguageIdentifier
) -> None:
    classifier = ThreeHeadClassifier(tiny_model_dir, quantised=True, languages=languages)
    model = classifier.model
    assert model.packable()
    rng = random.Random(7)
    token_ids = [[0, *(rng.randrange(4, 40) for _ in range(n)), 2] for n in (0, 5, 6, 7, 9, 3, 6)]
    with torch.inference_mode():
        padded, packed = _padded_and_packed(model, sorted(token_ids, key=len))
    for field in ("sentiment", "complaint", "quality"):
        assert torch.equal(getattr(padded, field), getattr(packed, field)), field
    # and through the classifier: the padded path (packed=False) gives the same results
    texts = corpus()
    packed_labels = classifier.classify(texts)
    classifier.packed = False
    assert classifier.classify(texts) == packed_labels


def test_packed_weights_follow_the_model(
    tiny_model_dir: Path, languages: LanguageIdentifier
) -> None:
    """The prepacked copies are rebuilt when a weight changes, never served stale."""
    model = ThreeHeadClassifier(tiny_model_dir, quantised=True, languages=languages).model
    token_ids = [[0, 5, 6, 7, 2], [0, 9, 2]]
    with torch.inference_mode():
        _, before = _padded_and_packed(model, token_ids)
    with torch.no_grad():
        layer: Any = model.encoder.encoder.layer[0]
        layer.intermediate.dense.weight.mul_(3)
    with torch.inference_mode():
        padded, after = _padded_and_packed(model, token_ids)
    assert not torch.equal(before.sentiment, after.sentiment)
    assert torch.equal(padded.sentiment, after.sentiment)


def test_only_the_bf16_eval_model_packs(
    tiny_model_dir: Path, languages: LanguageIdentifier
) -> None:
    fp32 = ThreeHeadClassifier(tiny_model_dir, quantised=False, languages=languages)
    assert not fp32.model.packable()
    with pytest.raises(ValueError, match="bf16"):
        fp32.model.packed_logits(torch.tensor([0, 2]), [2], [8])
    bf16 = ThreeHeadClassifier(tiny_model_dir, quantised=True, languages=languages).model
    assert bf16.packable()
    assert not bf16.train().packable()


def test_tiny_bf16_model_is_batch_invariant(
    tiny_model_dir: Path, languages: LanguageIdentifier
) -> None:
    classifier = ThreeHeadClassifier(tiny_model_dir, quantised=True, languages=languages)
    check_invariance(classifier, corpus())


@pytest.mark.skipif(not int8.has_ops(), reason="no oneDNN int8 in this torch")
def test_tiny_int8_model_is_batch_invariant(
    tiny_model_dir: Path, languages: LanguageIdentifier, tmp_path: Path
) -> None:
    directory = tmp_path / "model"
    shutil.copytree(tiny_model_dir, directory)
    ThreeHeadClassifier(directory, int8=False, languages=languages).calibrate(corpus()).save(
        directory
    )
    classifier = ThreeHeadClassifier(directory, languages=languages)
    assert classifier.model.precision().startswith(int8_precision())
    check_invariance(classifier, corpus())
    check_threads(classifier, corpus())


def int8_precision() -> str:
    """How an int8 label version starts on this CPU (``w7``: 7-bit weights, no VNNI)."""
    return f"{int8.precision()}-"


def check_threads(classifier: ThreeHeadClassifier, texts: Sequence[str]) -> None:
    """``[nlp] threads`` and the batch workers change no label: one batch at a time on two
    threads or on one, and two or three batches side by side on one thread each, give the
    same bits; torch's thread count is the caller's again after every call."""
    threads = torch.get_num_threads()
    classifier.batch_size = 8  # several batches, so the workers have work to share
    try:
        torch.set_num_threads(2)
        classifier.workers = 1
        reference = classifier.classify(texts)
        assert torch.get_num_threads() == 2
        for workers, torch_threads in ((1, 1), (2, 2), (3, 2), (None, 2)):
            classifier.workers = workers
            torch.set_num_threads(torch_threads)
            assert classifier.classify(texts) == reference, (workers, torch_threads)
            assert torch.get_num_threads() == torch_threads
    finally:
        torch.set_num_threads(threads)
        classifier.workers = None


def test_batch_workers_run_side_by_side_on_one_thread_each(
    tiny_model_dir: Path, languages: LanguageIdentifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers share the batches, each with torch set to one thread; one batch runs
    on the caller's threads; an error in a batch reaches the caller with torch's thread
    count restored."""
    classifier = ThreeHeadClassifier(tiny_model_dir, languages=languages, batch_size=4)
    model = classifier.model
    assert isinstance(model, ThreeHeadModel)
    seen: list[tuple[str, int, bool]] = []
    real = model.packed_logits

    calls = itertools.count()  # next() is atomic: each batch gets its own number

    def spy(ids: torch.Tensor, lengths: Sequence[int], widths: Sequence[int]) -> HeadLogits:
        number = next(calls)
        seen.append(
            (
                threading.current_thread().name,
                torch.get_num_threads(),
                torch.is_inference_mode_enabled(),
            )
        )
        if fail and number == 1:  # the call's second batch
            raise RuntimeError("batch failed")
        return real(ids, lengths, widths)

    monkeypatch.setattr(model, "packed_logits", spy)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        fail = False
        classifier.scores(corpus()[:16])  # 4 batches
        assert len(seen) == 4
        assert all(
            name.startswith("grapevine-batch") and n == 1 and inference
            for name, n, inference in seen
        )
        assert torch.get_num_threads() == 2
        seen.clear()
        classifier.scores(corpus()[:3])  # one batch: on the caller's two threads
        assert seen == [(threading.current_thread().name, 2, True)]
        fail, calls = True, itertools.count()
        with pytest.raises(RuntimeError, match="batch failed"):
            classifier.scores(corpus()[:12])
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)


@pytest.mark.slow
def test_shipped_model_is_batch_invariant() -> None:
    languages = LanguageIdentifier(("en", "de", "ru", "sv", "zh"), low_accuracy=True)
    classifier = ThreeHeadClassifier(languages=languages)
    if int8.available():  # as it labels: the shipped calibration, int8 products
        assert classifier.model.precision().startswith(int8_precision())
    check_invariance(classifier, corpus())
    check_threads(classifier, corpus())


@pytest.mark.slow
def test_shipped_model_in_bf16_is_batch_invariant() -> None:
    """bf16 products (``[nlp] int8 = false``) are batch-invariant with oneDNN kept off the
    AMX tiles (``nlp.ONEDNN_ISA``), which is read once per process: on a CPU that has them
    the check runs in a process started with the cap."""
    if not int8.amx():
        check_shipped_bf16()
        return
    script = "from tests.nlp.test_invariance import check_shipped_bf16; check_shipped_bf16()"
    capped = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).parents[2],
        env={**os.environ, "ONEDNN_MAX_CPU_ISA": ONEDNN_ISA},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert capped.returncode == 0, capped.stderr[-4000:]


def check_shipped_bf16() -> None:
    languages = LanguageIdentifier(("en", "de", "ru", "sv", "zh"), low_accuracy=True)
    bf16 = ThreeHeadClassifier(languages=languages, int8=False)
    assert bf16.model.precision() == "bf16"
    check_invariance(bf16, corpus())
    check_threads(bf16, corpus())
    # bf16's packed path gives the bits of the padded path it replaced
    reference = bf16.classify(corpus())
    bf16.packed = False
    assert bf16.classify(corpus()) == reference
