"""Batched inference: ``classify(texts) -> list[Labels]``, the only way texts get labelled.

Texts are cut to a bounded number of characters (a huge post cannot stall the tokenizer),
tokenised, ordered by their length padded up to a multiple of ``WIDTH_STEP`` tokens, and
run through the model under ``torch.inference_mode()``; the results go back in input order.
The shipped model's encoder layers are converted to bfloat16 in place on load
(``nlp.model.quantise``) and run packed (``ThreeHeadModel.packed_logits``): the token-wise
parts of the layers on the real tokens only, attention per padded width. Where the model
directory ships an int8 calibration (``nlp.int8``), the layers' matrix products run in
static int8 (``int8=False``: bf16).

Batch invariance: a text's labels and probabilities are a function of its text and the
model version only, bit for bit, whatever the order, the batch size and the other texts in
the call. The padded width depends on the text alone, so attention, layer norms and
pooling always see the same shapes for it; oneDNN's bf16 matrix products compute a row
alike whatever the number of rows (fp32 MKL products do not), and its static int8 products
sum integers exactly, with fixed activation scales; the heads are per-row dot
products and the probabilities are computed per row in Python
(``tests/nlp/test_invariance.py`` checks all of it with the shipped model).

``--model`` may name any transformers sequence-classification model (a directory, or a hub
id for users who are online): its labels then replace the shipped sentiment, and the
complaint and quality heads still come from the shipped model.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

import torch

from config.nlp import DEFAULT_LANGUAGES
from nlp import int8 as static_int8
from nlp.labels import Labels
from nlp.language import LanguageIdentifier
from nlp.model import SHIPPED_DIR, HeadLogits, ModelMeta, ThreeHeadModel, load_model, quantise

CHARS_PER_TOKEN_BOUND = 32  # no tokenizer piece is longer; cut before tokenising
WIDTH_STEP = 8  # texts are padded to a multiple of 8 tokens, whatever their neighbours
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
# torch's thread count is the process's: one call at a time sets it for its batch workers
_THREAD_COUNT = threading.Lock()
T = TypeVar("T")


def clean_text(text: object) -> str:
    """Any input as a str the tokenizer accepts: None/non-str become "", surrogates go."""
    if not isinstance(text, str):
        return "" if text is None else str(text)
    return _LONE_SURROGATE.sub("\ufffd", text)


def softmax(logits: Sequence[float]) -> list[float]:
    top = max(logits)
    exps = [math.exp(x - top) for x in logits]
    total = math.fsum(exps)
    return [e / total for e in exps]


def sigmoid(logit: float) -> float:
    if logit >= 0:
        return 1.0 / (1.0 + math.exp(-logit))
    e = math.exp(logit)
    return e / (1.0 + e)


def padded_width(tokens: int) -> int:
    """The width a text of ``tokens`` tokens is padded to: the next multiple of
    ``WIDTH_STEP``, whatever its neighbours (so attention always sees the same shapes)."""
    return max(WIDTH_STEP, -(-tokens // WIDTH_STEP) * WIDTH_STEP)


def batches(lengths: Sequence[int], batch_size: int) -> list[tuple[int, list[int]]]:
    """(padded width, row indices) per batch: texts grouped by :func:`padded_width`, at most
    ``batch_size`` per batch, in input order within a group (which changes no result)."""
    groups: dict[int, list[int]] = {}
    for i, n in enumerate(lengths):
        groups.setdefault(padded_width(n), []).append(i)
    return [
        (width, rows[start : start + batch_size])
        for width, rows in sorted(groups.items())
        for start in range(0, len(rows), batch_size)
    ]


def packed_batches(lengths: Sequence[int], batch_size: int) -> list[list[int]]:
    """Row indices per batch for packed inference (``ThreeHeadModel.packed_logits``): texts
    ordered by :func:`padded_width` (then input order), ``batch_size`` per batch, widths
    mixed within a batch, so only the last batch of a call is short (which changes no
    result: the width a text is padded to is still its own)."""
    order = sorted(range(len(lengths)), key=lambda i: (padded_width(lengths[i]), i))
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


class Classifier(Protocol):
    name: str
    version: str

    def classify(self, texts: Sequence[str]) -> list[Labels]: ...


class ThreeHeadClassifier:
    """The shipped (or any saved) three-head model with language identification."""

    def __init__(
        self,
        directory: Path | None = None,
        *,
        batch_size: int = 32,
        max_length: int | None = None,
        quantised: bool = True,
        languages: LanguageIdentifier | None = None,
        packed: bool = True,
        int8: bool = True,
        workers: int | None = None,
    ) -> None:
        """``packed=False`` runs the bf16 model on padded batches of one width each, as
        before the packed path (the same bits, slower; the benchmark compares both).
        ``int8``: static int8 products where the directory ships a calibration.
        ``workers``: how many packed batches run side by side, each on one CPU thread
        (None: as many as torch has threads; 1: one batch at a time on all of them). On
        two cores two single-threaded batches label about 1.15x as many texts a second as
        one batch on two threads (``benchmarks/bench_nlp.py``): a batch's small
        element-wise steps and Python's dispatch between kernels no longer leave a core
        waiting. The same bits either way (``tests/nlp/test_invariance.py``)."""
        model, tokenizer, meta = load_model(directory)
        self.model = quantise(model) if quantised else model
        if quantised and int8 and packed and static_int8.available():
            self.model.use_int8(static_int8.Calibration.load(directory or SHIPPED_DIR))
        if quantised and packed:
            static_int8.check_kernels(self.model.int8 is not None)
        self.tokenizer = tokenizer
        self.meta: ModelMeta = meta
        self.name = meta.name
        self.batch_size = batch_size
        self.max_length = max_length or meta.max_length
        self.languages = languages or LanguageIdentifier()
        self.packed = packed
        self.workers = workers
        # The inference precision changes labels, so it is part of the version on every
        # label row: labels of the old dynamic-int8 inference (the bare version), of bf16,
        # of int8 with another calibration and of fp32 (``quantise = false``) are never
        # mixed.
        self.version = f"{meta.version}-{self.model.precision()}"

    def packed_inputs(
        self, texts: Sequence[str]
    ) -> list[tuple[list[int], torch.Tensor, list[int], list[int]]]:
        """``texts`` as packed batches: each batch's rows (input indices) and
        ``packed_logits``' arguments."""
        encodings = self._encode(texts)
        lengths = [len(e.ids) for e in encodings]
        out = []
        for rows in packed_batches(lengths, self.batch_size):
            ids = torch.tensor([t for i in rows for t in encodings[i].ids])
            widths = [padded_width(lengths[i]) for i in rows]
            out.append((rows, ids, [lengths[i] for i in rows], widths))
        return out

    def calibrate(self, texts: Sequence[str]) -> static_int8.Calibration:
        """An int8 calibration of this (bf16) model measured on ``texts``: training
        texts, never validation or test ones."""
        if not self.model.packable():
            raise ValueError("calibration runs the packed bf16 model (quantised=True)")
        batches = [(ids, lengths, widths) for _, ids, lengths, widths in self.packed_inputs(texts)]
        return self.model.calibrate(batches)

    def scores(self, texts: Sequence[str]) -> list[tuple[list[float], float, list[float]]]:
        """Per text: sentiment probabilities, complaint probability, quality probabilities."""
        out: list[Any] = [None] * len(texts)
        if self.packed and isinstance(self.model, ThreeHeadModel) and self.model.packable():
            for rows, logits in self._run_packed(self.model.packed_logits, texts):
                _probabilities(logits, rows, out)
            return out
        with torch.inference_mode():
            encodings = self._encode(texts)
            lengths = [len(e.ids) for e in encodings]
            # fp32 (``quantised=False``), a model wrapped for another device, or
            # ``packed=False``: padded batches of one width each, the model's own forward
            for width, rows in batches(lengths, self.batch_size):
                ids = torch.full((len(rows), width), 1, dtype=torch.long)
                mask = torch.zeros((len(rows), width), dtype=torch.long)
                for r, i in enumerate(rows):
                    ids[r, : lengths[i]] = torch.tensor(encodings[i].ids, dtype=torch.long)
                    mask[r, : lengths[i]] = 1
                _probabilities(self.model(ids, mask), rows, out)
        return out

    def features(self, texts: Sequence[str]) -> torch.Tensor:
        """The pooled vectors the heads read (one fp32 row per text, in input order), from
        the same packed inference as :meth:`scores`: a head fitted on them (``nlp.refit``)
        sees exactly what it will see when it labels."""
        if not (isinstance(self.model, ThreeHeadModel) and self.packed and self.model.packable()):
            raise ValueError("features come from the packed CPU inference (quantised, packed)")
        out = torch.zeros(len(texts), self.model.sentiment.in_features)
        for rows, pooled in self._run_packed(self.model.packed_pooled, texts):
            out[rows] = pooled
        return out

    def _run_packed(
        self, run: Callable[[torch.Tensor, list[int], list[int]], T], texts: Sequence[str]
    ) -> list[tuple[list[int], T]]:
        """``run`` (``packed_logits`` or ``packed_pooled``) on each packed batch of
        ``texts``, with its rows, in batch order: ``workers`` batches at a time, torch set
        to one thread meanwhile (and set back after; other threads' torch work in this
        process runs on one thread until then)."""
        batches = self.packed_inputs(texts)

        def one(batch: tuple[list[int], torch.Tensor, list[int], list[int]]) -> tuple[list[int], T]:
            rows, ids, lengths, widths = batch
            with torch.inference_mode():  # per thread, like grad mode
                return rows, run(ids, lengths, widths)

        with _THREAD_COUNT:
            threads = torch.get_num_threads()
            workers = min(self.workers or threads, len(batches))
            if workers > 1:
                torch.set_num_threads(1)
                try:
                    with ThreadPoolExecutor(workers, thread_name_prefix="grapevine-batch") as pool:
                        return list(pool.map(one, batches))
                finally:
                    torch.set_num_threads(threads)
        return [one(batch) for batch in batches]

    def _encode(self, texts: Sequence[str]) -> list[Any]:
        """The tokenizer's encodings: cut, ``meta.prefix`` + normalised text, truncated."""
        cut = self.max_length * CHARS_PER_TOKEN_BOUND
        prepared = [self.tokenizer.normalise(self.meta.prefix + clean_text(t)[:cut]) for t in texts]
        self.tokenizer.tokenizer.enable_truncation(self.max_length)
        return list(self.tokenizer.tokenizer.encode_batch(prepared))

    def classify(self, texts: Sequence[str]) -> list[Labels]:
        if not texts:
            return []
        languages = self.languages.identify([clean_text(t) for t in texts])
        return [
            _labels(self.meta, s, c, q, lang)
            for (s, c, q), lang in zip(self.scores(texts), languages, strict=True)
        ]


def _probabilities(logits: HeadLogits, rows: Sequence[int], out: list[Any]) -> None:
    """Each row's probabilities into ``out[row]``, computed in Python one row at a time:
    torch's vectorised exp and its scalar tail loop differ in the last bit, and which one
    a row gets depends on its place in the batch."""
    sentiment = logits.sentiment.float().tolist()
    complaint = logits.complaint.float().tolist()
    quality = logits.quality.float().tolist()
    for r, i in enumerate(rows):
        out[i] = (softmax(sentiment[r]), sigmoid(complaint[r]), softmax(quality[r]))


def _labels(
    meta: ModelMeta,
    sentiment: list[float],
    complaint: float,
    quality: list[float],
    lang: str | None,
) -> Labels:
    s = max(range(len(sentiment)), key=sentiment.__getitem__)
    q = max(range(len(quality)), key=quality.__getitem__)
    return Labels(
        sentiment=meta.sentiments[s],
        sentiment_scores={
            name: float(p) for name, p in zip(meta.sentiments, sentiment, strict=True)
        },
        complaint=float(complaint),
        quality=meta.qualities[q],
        quality_score=float(quality[q]),
        language=lang,
        quality_scores={name: float(p) for name, p in zip(meta.qualities, quality, strict=True)},
    )


def sentiment_bucket(label: str, n_labels: int, index: int) -> str | None:
    """Map a foreign model's label to negative / neutral / positive, or None if unknown.

    Handles names (``NEGATIVE``, ``neu``…), star ratings (``1 star`` … ``5 stars``) and bare
    ``LABEL_i`` ids (read as negative/neutral/positive for 3 labels, negative/positive for 2).
    """
    name = label.lower()
    for key, bucket in (("neg", "negative"), ("neu", "neutral"), ("pos", "positive")):
        if key in name:
            return bucket
    stars = re.match(r"\s*([1-5])\s*star", name)
    if stars:
        n = int(stars.group(1))
        return "negative" if n <= 2 else "neutral" if n == 3 else "positive"
    if re.fullmatch(r"label_\d+", name):
        if n_labels == 3:
            return ("negative", "neutral", "positive")[index]
        if n_labels == 2:
            return ("negative", "positive")[index]
    return None


class ForeignSentimentClassifier:
    """Sentiment from any transformers sequence-classification model; the rest shipped."""

    def __init__(self, model: str, base: ThreeHeadClassifier, batch_size: int = 32) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(model)
        self.model = AutoModelForSequenceClassification.from_pretrained(model).eval()
        config = self.model.config
        n = int(config.num_labels)
        self.buckets = [sentiment_bucket(str(config.id2label[i]), n, i) for i in range(n)]
        if not any(self.buckets):
            raise ValueError(f"{model}: no sentiment labels in {config.id2label}")
        self.base = base
        self.batch_size = batch_size
        self.name = f"{model}+{base.name}"
        self.version = f"{getattr(config, '_commit_hash', None) or 'local'}+{base.version}"[:100]

    def classify(self, texts: Sequence[str]) -> list[Labels]:
        labels = self.base.classify(texts)
        cleaned = [clean_text(t)[:4096] for t in texts]
        order = sorted(range(len(texts)), key=lambda i: len(cleaned[i]))
        result = list(labels)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                rows = order[start : start + self.batch_size]
                enc = self.tokenizer(
                    [cleaned[i] for i in rows],
                    padding=True,
                    truncation=True,
                    max_length=min(512, getattr(self.tokenizer, "model_max_length", 512)),
                    return_tensors="pt",
                )
                probs = torch.softmax(self.model(**enc).logits.float(), -1).tolist()
                for r, i in enumerate(rows):
                    scores = dict.fromkeys(("negative", "neutral", "positive"), 0.0)
                    for bucket, p in zip(self.buckets, probs[r], strict=True):
                        if bucket:
                            scores[bucket] += p
                    total = sum(scores.values()) or 1.0
                    scores = {k: v / total for k, v in scores.items()}
                    best = max(scores, key=scores.__getitem__)
                    result[i] = Labels(
                        sentiment=best,
                        sentiment_scores=scores,
                        complaint=labels[i].complaint,
                        quality=labels[i].quality,
                        quality_score=labels[i].quality_score,
                        language=labels[i].language,
                        quality_scores=labels[i].quality_scores,
                    )
        return result


def load_classifier(
    model: str | None = None,
    *,
    weights: Path | None = None,
    batch_size: int = 32,
    max_length: int | None = None,
    quantised: bool = True,
    int8: bool = True,
    languages: Sequence[str] | None = None,
    language_low_accuracy: bool = False,
) -> Classifier:
    """The configured classifier: the shipped model, or a foreign sentiment model on top."""
    identifier = LanguageIdentifier(
        languages or DEFAULT_LANGUAGES, low_accuracy=language_low_accuracy
    )
    base = ThreeHeadClassifier(
        weights,
        batch_size=batch_size,
        max_length=max_length,
        quantised=quantised,
        int8=int8,
        languages=identifier,
    )
    if model in (None, "", "shipped"):
        return base
    return ForeignSentimentClassifier(model, base, batch_size=batch_size)


_default: Classifier | None = None


def classify(
    texts: Sequence[str], loader: Callable[[], Classifier] = load_classifier
) -> list[Labels]:
    """Label texts with the shipped model (loaded once per process)."""
    global _default
    if _default is None:
        _default = loader()
    return _default.classify(texts)
