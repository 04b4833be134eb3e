"""Validation figures: macro-recall, per-class and macro F1. Pure functions on label lists."""

from __future__ import annotations

from collections.abc import Sequence


def f1(gold: Sequence[int], pred: Sequence[int], positive: int) -> float:
    """F1 of one class: 2·TP / (2·TP + FP + FN); 0 when the class never occurs or is predicted."""
    tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == positive and p == positive)
    fp = sum(1 for g, p in zip(gold, pred, strict=True) if g != positive and p == positive)
    fn = sum(1 for g, p in zip(gold, pred, strict=True) if g == positive and p != positive)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def recall(gold: Sequence[int], pred: Sequence[int], positive: int) -> float:
    support = sum(1 for g in gold if g == positive)
    hits = sum(1 for g, p in zip(gold, pred, strict=True) if g == positive and p == positive)
    return hits / support if support else 0.0


def macro_f1(gold: Sequence[int], pred: Sequence[int], classes: Sequence[int]) -> float:
    return sum(f1(gold, pred, c) for c in classes) / len(classes)


def macro_recall(gold: Sequence[int], pred: Sequence[int], classes: Sequence[int]) -> float:
    """TweetEval's sentiment measure: the mean of the per-class recalls."""
    return sum(recall(gold, pred, c) for c in classes) / len(classes)
