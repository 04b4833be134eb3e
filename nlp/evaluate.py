"""Evaluation of a saved model on the SFU Constructiveness and Toxicity Corpus (CTC).

The CTC (``ctc/constructiveness_toxicity.csv``, CC BY-NC-SA) is evaluation-only: it never
trains or tunes shipped weights. It is the one annotated check available for the quality
head's ``constructive`` class (weakly supervised, see ``nlp.weak``) and for ``toxic`` on
news comments rather than tweets. Gold toxic = the popular answer rates it 3 (toxic) or
4 (very toxic) on the corpus' 1-4 scale.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from nlp.classify import Classifier
from nlp.metrics import f1
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
