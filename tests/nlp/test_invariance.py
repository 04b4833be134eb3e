"""Batch invariance: a text's labels are a function of its text and the model version only.

The same texts are classified in several orders, batch sizes and with different
neighbours; every label and every probability must be identical, bit for bit (the store
keeps the probabilities as floats, so "rounded as stored" is exact equality). The tiny
random model runs the same per-row int8 path as the shipped one; the shipped model is
checked too (slow: it loads the real encoder).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import pytest
import torch

from nlp.classify import WIDTH_STEP, ThreeHeadClassifier, batches, padded_width
from nlp.labels import Labels
from nlp.language import LanguageIdentifier

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


def test_tiny_int8_model_is_batch_invariant(
    tiny_model_dir: Path, languages: LanguageIdentifier
) -> None:
    classifier = ThreeHeadClassifier(tiny_model_dir, quantised=True, languages=languages)
    check_invariance(classifier, corpus())


@pytest.mark.slow
def test_shipped_model_is_batch_invariant() -> None:
    classifier = ThreeHeadClassifier(
        languages=LanguageIdentifier(("en", "de", "ru", "sv", "zh"), low_accuracy=True)
    )
    check_invariance(classifier, corpus())
    # nor does ``[nlp] threads`` change a label: one thread gives the same bits
    threads = torch.get_num_threads()
    classifier.batch_size = 32
    reference = classifier.classify(corpus())
    try:
        torch.set_num_threads(1)
        assert classifier.classify(corpus()) == reference
    finally:
        torch.set_num_threads(threads)
