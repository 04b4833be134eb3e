"""Data loading (dedupe, held-out overlaps), weak quality labels and the metrics."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.data import data_digest, dedupe_key, load_examples, unescape
from nlp.labels import QUALITIES
from nlp.metrics import f1, macro_f1, macro_recall
from nlp.weak import weak_quality


def test_overlaps_with_validation_are_dropped_and_train_is_deduped(data_root: Path) -> None:
    examples = load_examples(data_root)
    train = [e for e in examples if e.split == "train"]
    assert not any(dedupe_key(e.text) == "@ shared tweet" for e in train)
    assert len([e for e in examples if "check out my channel" in e.text]) == 1
    assert "It’s fine" in [e.text for e in train]
    semeval = [e for e in train if e.source == "semeval"]
    assert [e.sentiment for e in semeval] == [2]
    assert {e.language for e in examples if e.source == "xlmt"} == {
        "ar", "en", "fr", "de", "hi", "it", "pt", "es"
    }  # fmt: skip


def test_digest_changes_with_the_data_and_ignores_test_splits(data_root: Path) -> None:
    before = data_digest(data_root)
    (data_root / "tweeteval/hate/test_text.txt").write_text("held out", encoding="utf-8")
    assert data_digest(data_root) == before
    (data_root / "complaints/train.csv").write_text("id,text,label,domain\n", encoding="utf-8")
    assert data_digest(data_root) != before


def test_unescape() -> None:
    assert unescape("it\\u2019s\\u002c ok") == "it’s, ok"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("😀😀😀", "low_effort"),
        ("lol", "low_effort"),
        ("first! http://x.co/abc", "low_effort"),
        ("好", "low_effort"),
        ("The battery lasts a day and the screen is bright.", "ordinary"),
        (
            "I think the city should extend the line because buses are full every morning and "
            "the detour adds twenty minutes for everyone who lives north of the river today",
            "constructive",
        ),
        (
            "Ich denke, die Stadt sollte die Linie verlängern, weil die Busse jeden Morgen voll "
            "sind und der Umweg zwanzig Minuten für alle kostet, die nördlich des Flusses leben",
            "constructive",
        ),
    ],
)
def test_weak_quality(text: str, expected: str) -> None:
    assert weak_quality(text) == expected
    assert expected in QUALITIES


def test_metrics() -> None:
    gold = [0, 0, 1, 1, 2, 2]
    pred = [0, 1, 1, 1, 2, 0]
    assert f1(gold, pred, 1) == pytest.approx(0.8)
    assert macro_recall(gold, pred, (0, 1, 2)) == pytest.approx((0.5 + 1 + 0.5) / 3)
    assert macro_f1(gold, pred, (0, 1, 2)) == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert f1([0, 0], [0, 0], 1) == 0.0


def test_epoch_rows_repeat_sets_and_keep_the_shipped_order() -> None:
    from nlp.data import Example
    from nlp.train import _epoch_rows

    sources = ["semeval", "complaints", "xlmt", "youtube_spam", "complaints"]
    examples = [Example(f"t{i}", s, "en", "train") for i, s in enumerate(sources)]
    rows = [0, 1, 2, 3, 4]
    small = [1, 3, 4]
    # r2 appended the small sets three more times, in training order: same list, same epochs.
    assert _epoch_rows(examples, rows, {"complaints": 4, "youtube_spam": 4}) == rows + small * 3
    assert _epoch_rows(examples, rows, {"complaints": 3, "xlmt": 2}) == [
        0,
        1,
        2,
        3,
        4,
        1,
        2,
        4,
        1,
        4,
    ]
    assert _epoch_rows(examples, rows, {}) == rows
