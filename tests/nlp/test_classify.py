"""Label plumbing, batching, truncation and bad input, on the tiny random model."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from nlp.classify import ThreeHeadClassifier, clean_text, sentiment_bucket
from nlp.labels import QUALITIES, SENTIMENTS
from nlp.language import LanguageIdentifier
from nlp.model import load_model

from .conftest import TINY_MAX_LENGTH

TEXTS = [
    "great",
    "my order never arrived and support will not answer",
    "",
    "awful awful awful",
    "i love it!",
    "x",
    "hate",
]


def direct_scores(directory: Path, text: str) -> tuple[list[float], float, list[float]]:
    """The model run by hand on one text, no batching, no sorting."""
    model, tokenizer, meta = load_model(directory)
    ids, mask = tokenizer.encode([meta.prefix + text], meta.max_length)
    with torch.inference_mode():
        out = model(ids, mask)
    return (
        torch.softmax(out.sentiment, -1)[0].tolist(),
        float(torch.sigmoid(out.complaint)[0]),
        torch.softmax(out.quality, -1)[0].tolist(),
    )


def test_labels_are_the_argmax_of_the_heads_in_input_order(
    tiny_classifier: ThreeHeadClassifier, tiny_model_dir: Path
) -> None:
    labels = tiny_classifier.classify(TEXTS)
    assert len(labels) == len(TEXTS)
    for text, label in zip(TEXTS, labels, strict=True):
        sentiment, complaint, quality = direct_scores(tiny_model_dir, text)
        assert list(label.sentiment_scores) == list(SENTIMENTS)
        assert list(label.sentiment_scores.values()) == pytest.approx(sentiment, abs=1e-5)
        assert label.sentiment == SENTIMENTS[max(range(3), key=sentiment.__getitem__)]
        assert label.complaint == pytest.approx(complaint, abs=1e-5)
        best = max(range(len(QUALITIES)), key=quality.__getitem__)
        assert label.quality == QUALITIES[best]
        assert label.quality_score == pytest.approx(quality[best], abs=1e-5)
        assert math.fsum(label.sentiment_scores.values()) == pytest.approx(1.0)


def test_batch_size_and_order_do_not_change_results(
    tiny_model_dir: Path, languages: LanguageIdentifier
) -> None:
    one = ThreeHeadClassifier(tiny_model_dir, batch_size=1, quantised=False, languages=languages)
    many = ThreeHeadClassifier(tiny_model_dir, batch_size=64, quantised=False, languages=languages)
    singles = one.classify(TEXTS)
    batched = many.classify(list(reversed(TEXTS)))[::-1]
    for a, b in zip(singles, batched, strict=True):
        assert a.sentiment == b.sentiment
        assert a.quality == b.quality
        assert a.complaint == pytest.approx(b.complaint, abs=1e-5)


def test_huge_text_is_truncated_to_max_length(tiny_classifier: ThreeHeadClassifier) -> None:
    head = "great order " * 20
    huge = head + "awful " * 200_000
    tokens = tiny_classifier.tokenizer.tokenizer
    tokens.enable_truncation(TINY_MAX_LENGTH)
    assert len(tokens.encode("query: " + head).ids) == TINY_MAX_LENGTH
    short, long = tiny_classifier.classify([head, huge])
    assert long.sentiment_scores == pytest.approx(short.sentiment_scores)
    assert long.complaint == pytest.approx(short.complaint)


@pytest.mark.parametrize(
    "text", ["", "   ", "😀😀🔥", "\x00\x01", "bad \udcff surrogate", "\ufeff", "\n\n\t"]
)
def test_bad_input_is_labelled_not_fatal(tiny_classifier: ThreeHeadClassifier, text: str) -> None:
    (label,) = tiny_classifier.classify([text])
    assert label.sentiment in SENTIMENTS
    assert label.quality in QUALITIES
    assert 0.0 <= label.complaint <= 1.0


def test_texts_without_letters_have_no_language(tiny_classifier: ThreeHeadClassifier) -> None:
    labels = tiny_classifier.classify(
        ["", "😀😀🔥", "12345", "This is clearly an English sentence."]
    )
    assert [label.language for label in labels] == [None, None, None, "en"]


def test_empty_batch(tiny_classifier: ThreeHeadClassifier) -> None:
    assert tiny_classifier.classify([]) == []


def test_clean_text_accepts_anything() -> None:
    assert clean_text(None) == ""
    assert clean_text(12) == "12"
    assert clean_text("a\udcffb") == "a\ufffdb"


@pytest.mark.parametrize(
    ("label", "n", "index", "bucket"),
    [
        ("NEGATIVE", 2, 0, "negative"),
        ("POSITIVE", 2, 1, "positive"),
        ("neutral", 3, 1, "neutral"),
        ("1 star", 5, 0, "negative"),
        ("3 stars", 5, 2, "neutral"),
        ("5 stars", 5, 4, "positive"),
        ("LABEL_2", 3, 2, "positive"),
        ("LABEL_1", 2, 1, "positive"),
        ("LABEL_3", 5, 3, None),
        ("joy", 6, 0, None),
    ],
)
def test_foreign_labels_map_to_three_sentiments(
    label: str, n: int, index: int, bucket: str | None
) -> None:
    assert sentiment_bucket(label, n, index) == bucket


def test_quantised_model_agrees_with_fp32_on_most_labels(
    tiny_model_dir: Path, languages: LanguageIdentifier
) -> None:
    fp32 = ThreeHeadClassifier(tiny_model_dir, quantised=False, languages=languages)
    int8 = ThreeHeadClassifier(tiny_model_dir, quantised=True, languages=languages)
    a, b = fp32.classify(TEXTS), int8.classify(TEXTS)
    assert [x.sentiment_scores["positive"] for x in a] == pytest.approx(
        [x.sentiment_scores["positive"] for x in b], abs=0.05
    )
