"""Data loading (dedupe, held-out overlaps), weak quality labels and the metrics."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.data import data_digest, dedupe_key, load_examples, unescape
from nlp.labels import QUALITIES
from nlp.metrics import f1, macro_f1, macro_recall
from nlp.weak import weak_quality


def _tweeteval(folder: Path, split: str, rows: list[tuple[str, int]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{split}_text.txt").write_text("\n".join(t for t, _ in rows), encoding="utf-8")
    (folder / f"{split}_labels.txt").write_text("\n".join(str(label) for _, label in rows))


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    _tweeteval(root / "tweeteval/sentiment", "val", [("@bob Shared tweet", 2)])
    for task in ("offensive", "hate"):
        for split in ("train", "val"):
            _tweeteval(root / "tweeteval" / task, split, [(f"{task} {split} you idiot", 1)])
    for lang in (
        "arabic",
        "english",
        "french",
        "german",
        "hindi",
        "italian",
        "portuguese",
        "spanish",
    ):
        _tweeteval(root / "xlmt_sentiment" / lang, "val", [(f"{lang} val", 0)])
        _tweeteval(
            root / "xlmt_sentiment" / lang,
            "train",
            [(f"{lang} train", 1), ("@amy shared  TWEET", 2)],
        )
    (root / "semeval_sentiment").mkdir()
    (root / "semeval_sentiment/twitter-2013train-A.tsv").write_text(
        "1\tpositive\tIt\\u2019s fine\n2\tnegative\t@x shared tweet\n3\tbogus\tskip me\n",
        encoding="utf-8",
    )
    (root / "complaints").mkdir()
    (root / "complaints/train.csv").write_text(
        "id,text,label,domain\n1,my parcel is lost,1,retail\n", encoding="utf-8"
    )
    (root / "youtube_spam").mkdir()
    (root / "youtube_spam/Youtube01-Psy.csv").write_text(
        'COMMENT_ID,DATE,CONTENT,CLASS\na,,"check out my channel",1\nb,,"check out my channel",1\n',
        encoding="utf-8",
    )
    return root


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
