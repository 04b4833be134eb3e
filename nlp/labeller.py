"""Label stored mentions that have no label for the current model version.

A label row is keyed by (mention, model_version), so a new model relabels everything in
its own rows while the old ones stay for comparison. Mentions are read in id order, in
pages of ``batch_size * 8``; each page is classified (batched by padded length inside
``classify``), corrected by the genre rules that need the mention's kind and title
(``nlp.labels.apply_genre_rules``: a question is not spam without spam markers) and
written in one transaction, so an interrupted run loses at most a page.

Any number of labelling processes may share a store. On PostgreSQL each page is *claimed*:
its mention rows are locked ``FOR NO KEY UPDATE SKIP LOCKED`` in the transaction that writes
their labels, so two labellers never classify the same mention (collectors still add
matches meanwhile; refreshing a claimed mention's engagement waits for the page). On
SQLite, and everywhere as the last guard, labels are written ``ON CONFLICT DO NOTHING``:
a mention is never labelled twice for one model version.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import torch
from sqlalchemy import and_, select

from nlp.classify import Classifier
from nlp.labels import apply_genre_rules
from storage import daycache
from storage.schema import labels, mentions
from storage.store import Store, upsert_statement

PAGE_BATCHES = 8
#: the batch size labelling uses on a GPU unless a larger one is configured
GPU_BATCH_SIZE = 256


class _OnDevice(torch.nn.Module):
    """A model moved to ``device`` (in ``dtype``): its inputs follow it there."""

    def __init__(self, inner: torch.nn.Module, device: torch.device, dtype: torch.dtype) -> None:
        super().__init__()
        self.inner = inner.to(device=device, dtype=dtype).eval()
        self.device = device

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        def move(value: Any) -> Any:
            return value.to(self.device) if isinstance(value, torch.Tensor) else value

        return self.inner(*(move(a) for a in args), **{k: move(v) for k, v in kwargs.items()})


def on_device(classifier: Classifier, device: str) -> Classifier:
    """``classifier`` with its models on ``device`` ("cpu" leaves it as it is; "cuda" runs
    in bfloat16 where the GPU supports it, else float16, with batches of at least
    :data:`GPU_BATCH_SIZE`). The classifier must have been loaded unquantised: dynamic
    quantisation is CPU-only.

    The GPU's kernels and precision give other last bits than the CPU's bf16 path (0.2 %
    of sentiment labels moved on an H200), so the labels carry the device and precision in
    their version (``…-cuda-bf16``) and are never mixed with CPU labels in the store."""
    if device == "cpu":
        return classifier
    if not device.startswith("cuda"):
        raise ValueError(f"unknown device {device!r}; use cpu or cuda")
    if not torch.cuda.is_available():
        raise ValueError("--device cuda: torch sees no CUDA GPU on this machine")
    target = torch.device(device)
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return _moved(classifier, target, dtype)


def _moved(classifier: Classifier, target: torch.device, dtype: torch.dtype) -> Classifier:
    suffix = f"-{target.type}-{'bf16' if dtype == torch.bfloat16 else 'fp16'}"
    parts = [classifier, getattr(classifier, "base", None)]
    for part in parts:
        model = getattr(part, "model", None)
        if isinstance(model, torch.nn.Module):
            part.model = _OnDevice(model, target, dtype)  # type: ignore[union-attr]
            part.batch_size = max(int(getattr(part, "batch_size", 0)), GPU_BATCH_SIZE)  # type: ignore[union-attr]
    # the device's precision replaces the CPU's fp32 in the version (column width 100)
    classifier.version = f"{classifier.version.removesuffix('-fp32')}{suffix}"[:100]
    return classifier


def mention_text(title: str | None, text: str | None) -> str:
    """What the classifier reads: the title (posts, reviews) and then the body."""
    parts = [p.strip() for p in (title, text) if p and p.strip()]
    return "\n".join(parts)


def label_pending(
    store: Store,
    classifier: Classifier,
    *,
    batch_size: int = 32,
    limit: int | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    progress: Callable[[int], None] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Label up to ``limit`` unlabelled, not-deleted mentions; return how many labels this
    call wrote (mentions another process labelled meanwhile are not counted). A set
    ``stop`` ends it after the page being written (SIGTERM on a worker)."""
    done = 0
    labelled_total = 0
    page_size = batch_size * PAGE_BATCHES
    last_id = 0
    while (limit is None or done < limit) and not (stop is not None and stop.is_set()):
        take = page_size if limit is None else min(page_size, limit - done)
        query = (
            select(
                mentions.c.id,
                mentions.c.kind,
                mentions.c.title,
                mentions.c.text,
                mentions.c.language,
                mentions.c.created_at,
            )
            .where(mentions.c.id > last_id, mentions.c.deleted.is_(False))
            .where(
                ~select(labels.c.id)
                .where(
                    and_(
                        labels.c.mention_id == mentions.c.id,
                        labels.c.model_version == classifier.version,
                    )
                )
                .exists()
            )
            .order_by(mentions.c.id)
            .limit(take)
        )
        claim = store.engine.dialect.name == "postgresql"
        if claim:  # rows another labeller holds are skipped, not waited for
            query = query.with_for_update(skip_locked=True, key_share=True, of=mentions)
        with store.engine.connect() as conn:
            rows = conn.execute(query).all()
            if not rows:
                break
            if not claim:
                conn.commit()  # SQLite: hold no lock while classifying
            results = [
                apply_genre_rules(result, kind=r.kind, title=r.title, text=r.text)
                for r, result in zip(
                    rows,
                    classifier.classify([mention_text(r.title, r.text) for r in rows]),
                    strict=True,
                )
            ]
            now = clock()
            values = [
                {
                    "mention_id": row.id,
                    "model": classifier.name,
                    "model_version": classifier.version,
                    "sentiment": result.sentiment,
                    "sentiment_negative": result.sentiment_scores["negative"],
                    "sentiment_neutral": result.sentiment_scores["neutral"],
                    "sentiment_positive": result.sentiment_scores["positive"],
                    "complaint": result.complaint,
                    "quality": result.quality,
                    "quality_score": result.quality_score,
                    "language": result.language or row.language,
                    "labelled_at": now,
                }
                for row, result in zip(rows, results, strict=True)
            ]
            stmt = upsert_statement(conn, labels).on_conflict_do_nothing(
                index_elements=[labels.c.mention_id, labels.c.model_version]
            )
            labelled = len(conn.execute(stmt.returning(labels.c.mention_id), values).all())
            daycache.touch_days(conn, {daycache.day_of(r.created_at) for r in rows})
            conn.commit()  # the labels, and the end of the claim
        done += len(rows)
        labelled_total += labelled
        last_id = rows[-1].id
        if progress is not None:
            progress(len(rows))
    return labelled_total
