"""The genre validation set (``nlp/validation/genre.jsonl``) and the model's figures on it.

276 real mentions — Reddit, Hacker News and Bluesky posts and comments from the licensed
recordings in ``../shared/recordings``, and product and restaurant review sentences from the
UCI Sentiment Labelled Sentences (CC BY 4.0, as shipped in the MIT-licensed npm package
``sentiment``) — labelled by hand for sentiment, complaint and quality (guidelines and
provenance: ``docs/nlp.md``, "Genre validation set"; ``nlp/validation/README.md``). All of
it is English: no licensed source of forum posts, news or reviews in the other languages was
found. It is a **validation** set: nothing trains or tunes on it (``nlp.data.load_examples``
never reads ``nlp/validation/``; a test guards that).

Each item is classified the way ``grapevine label`` classifies a stored mention: the
classifier reads ``title`` then ``text`` (``nlp.labeller.mention_text``) and the genre rules
run with the item's ``kind`` and ``title`` (``nlp.labels.apply_genre_rules``). The figures
are computed overall, per genre and per language with ``nlp.metrics``:

- sentiment: macro-F1 over negative/neutral/positive, and accuracy;
- complaint: F1 of the complaint class (probability >= 0.5), and the false-positive rate
  (share of non-complaints called complaints: the only complaint figure for news);
- quality: macro-F1 over the quality labels that occur in the cell's gold labels, and the
  spam and toxic false-positive rates (share of items not labelled spam/toxic by hand that
  the model calls spam/toxic).

``python -m nlp.genre_validation`` prints the table (``--json`` for the figures).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nlp.classify import Classifier
from nlp.labeller import mention_text
from nlp.labels import QUALITIES, SENTIMENTS, Labels, apply_genre_rules
from nlp.metrics import f1, macro_f1

VALIDATION_FILE = Path(__file__).resolve().parent / "validation" / "genre.jsonl"
GENRES: tuple[str, ...] = ("app_review", "forum_qa", "hackernews_reddit", "fediverse", "news")
KINDS: tuple[str, ...] = ("post", "comment", "review", "question", "answer")
FIELDS: tuple[str, ...] = (
    "id",
    "text",
    "title",
    "kind",
    "genre",
    "language",
    "source",
    "provenance",
    "sentiment",
    "complaint",
    "quality",
)


@dataclass(frozen=True)
class GenreItem:
    """One hand-labelled mention of the genre validation set."""

    id: str
    text: str
    title: str | None
    kind: str
    genre: str
    language: str
    source: str
    provenance: str
    sentiment: str
    complaint: int
    quality: str

    @classmethod
    def from_json(cls, row: dict[str, object]) -> GenreItem:
        missing = [name for name in FIELDS if name not in row]
        if missing:
            raise ValueError(f"{row.get('id')}: missing {missing}")
        item = cls(**{name: row[name] for name in FIELDS})  # type: ignore[arg-type]
        problems = [
            name
            for name, ok in (
                ("id", isinstance(item.id, str) and bool(item.id)),
                ("text", isinstance(item.text, str) and bool(item.text.strip())),
                ("title", item.title is None or isinstance(item.title, str)),
                ("kind", item.kind in KINDS),
                ("genre", item.genre in GENRES),
                ("language", isinstance(item.language, str) and len(item.language) == 2),
                ("source", isinstance(item.source, str) and bool(item.source)),
                ("provenance", isinstance(item.provenance, str) and bool(item.provenance)),
                ("sentiment", item.sentiment in SENTIMENTS),
                ("complaint", item.complaint in (0, 1) and isinstance(item.complaint, int)),
                ("quality", item.quality in QUALITIES),
            )
            if not ok
        ]
        if problems:
            raise ValueError(f"{item.id}: invalid {problems}")
        return item


def load_items(path: Path = VALIDATION_FILE) -> list[GenreItem]:
    """The items of a genre validation file (one JSON object per line), checked."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                items.append(GenreItem.from_json(json.loads(line)))
            except (ValueError, TypeError) as error:
                raise ValueError(f"{path}:{number}: {error}") from error
    return items


def classify_items(classifier: Classifier, items: Sequence[GenreItem]) -> list[Labels]:
    """The labels ``grapevine label`` would store: title + text through the classifier,
    then the genre rules with the item's kind and title."""
    labels = classifier.classify([mention_text(item.title, item.text) for item in items])
    return [
        apply_genre_rules(label, kind=item.kind, title=item.title, text=item.text)
        for item, label in zip(items, labels, strict=True)
    ]


def _false_positive_rate(gold: Sequence[str], pred: Sequence[str], label: str) -> float | None:
    negatives = [p for g, p in zip(gold, pred, strict=True) if g != label]
    return sum(1 for p in negatives if p == label) / len(negatives) if negatives else None


def cell_figures(items: Sequence[GenreItem], predicted: Sequence[Labels]) -> dict[str, object]:
    """The figures of one cell (any subset of items with their predicted labels)."""
    sentiments = {name: k for k, name in enumerate(SENTIMENTS)}
    qualities = {name: k for k, name in enumerate(QUALITIES)}
    gold_s = [sentiments[i.sentiment] for i in items]
    pred_s = [sentiments[p.sentiment] for p in predicted]
    gold_c = [i.complaint for i in items]
    pred_c = [int(p.complaint >= 0.5) for p in predicted]
    gold_q = [qualities[i.quality] for i in items]
    pred_q = [qualities[p.quality] for p in predicted]
    present = sorted(set(gold_q))
    n = len(items)
    out: dict[str, object] = {
        "n": n,
        "complaints": sum(gold_c),
        "sentiment_macro_f1": 100 * macro_f1(gold_s, pred_s, (0, 1, 2)) if n else None,
        "sentiment_accuracy": (
            100 * sum(g == p for g, p in zip(gold_s, pred_s, strict=True)) / n if n else None
        ),
        # F1 of a class that never occurs in the cell is undefined, not 0.
        "complaint_f1": 100 * f1(gold_c, pred_c, 1) if sum(gold_c) else None,
        "quality_macro_f1": 100 * macro_f1(gold_q, pred_q, present) if present else None,
        "quality_classes": [QUALITIES[k] for k in present],
    }
    negatives = [c for g, c in zip(gold_c, pred_c, strict=True) if not g]
    out["complaint_false_positive_rate"] = (
        100 * sum(negatives) / len(negatives) if negatives else None
    )
    for label in ("spam", "toxic"):
        rate = _false_positive_rate(
            [i.quality for i in items], [p.quality for p in predicted], label
        )
        out[f"{label}_false_positive_rate"] = None if rate is None else 100 * rate
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in out.items()}


def figures(items: Sequence[GenreItem], predicted: Sequence[Labels]) -> dict[str, object]:
    """Overall, per-genre and per-language figures (see :func:`cell_figures`)."""
    if len(items) != len(predicted):
        raise ValueError(f"{len(items)} items but {len(predicted)} predictions")

    def cell(keep: list[int]) -> dict[str, object]:
        return cell_figures([items[i] for i in keep], [predicted[i] for i in keep])

    rows = range(len(items))
    return {
        "overall": cell(list(rows)),
        "genre": {
            g: cell([i for i in rows if items[i].genre == g])
            for g in sorted({item.genre for item in items})
        },
        "language": {
            lang: cell([i for i in rows if items[i].language == lang])
            for lang in sorted({item.language for item in items})
        },
    }


def evaluate(classifier: Classifier, path: Path = VALIDATION_FILE) -> dict[str, object]:
    """Classify the genre validation set and return :func:`figures` for it."""
    items = load_items(path)
    return figures(items, classify_items(classifier, items))


COLUMNS = (
    ("n", "n"),
    ("complaints", "compl. items"),
    ("sentiment_macro_f1", "sent. macro-F1"),
    ("sentiment_accuracy", "sent. acc."),
    ("complaint_f1", "complaint F1"),
    ("complaint_false_positive_rate", "complaint FP %"),
    ("quality_macro_f1", "quality macro-F1"),
    ("spam_false_positive_rate", "spam FP %"),
    ("toxic_false_positive_rate", "toxic FP %"),
)


def table(result: dict[str, object]) -> str:
    """The figures as a Markdown table, one row per cell."""
    lines = [
        "| cell | " + " | ".join(title for _, title in COLUMNS) + " |",
        "| --- |" + " --- |" * len(COLUMNS),
    ]
    cells: list[tuple[str, dict[str, object]]] = [("all", result["overall"])]  # type: ignore[list-item]
    for group in ("genre", "language"):
        cells += list(result[group].items())  # type: ignore[attr-defined]
    for name, values in cells:
        shown = ["—" if values[key] is None else str(values[key]) for key, _ in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(shown) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nlp.genre_validation",
        description="Figures of the shipped (or another saved) model on the genre validation set.",
    )
    parser.add_argument("--weights", type=Path, help="model directory (default: nlp/weights)")
    parser.add_argument("--data", type=Path, default=VALIDATION_FILE, help="validation file")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--bf16", action="store_true", help="bf16 products instead of int8 ([nlp] int8 = false)"
    )
    args = parser.parse_args(argv)
    from nlp.classify import load_classifier

    classifier = load_classifier(
        None, weights=args.weights, batch_size=args.batch_size, int8=not args.bf16
    )
    result = evaluate(classifier, args.data)
    print(json.dumps(result, indent=2) if args.json else table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
