"""Label stored mentions that have no label for the current model version.

A label row is keyed by (mention, model_version), so a new model relabels everything in
its own rows while the old ones stay for comparison. Mentions are read in id order, in
pages of ``batch_size * 8``; each page is classified (sorted by length inside
``classify``) and written in one transaction, so an interrupted run loses at most a page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, insert, select

from nlp.classify import Classifier
from storage.schema import labels, mentions
from storage.store import Store

if TYPE_CHECKING:
    from config import Settings
    from grapevine.scheduler import AreaJob

PAGE_BATCHES = 8


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
) -> int:
    """Label up to ``limit`` unlabelled, not-deleted mentions; return how many were labelled."""
    done = 0
    page_size = batch_size * PAGE_BATCHES
    last_id = 0
    while limit is None or done < limit:
        take = page_size if limit is None else min(page_size, limit - done)
        query = (
            select(mentions.c.id, mentions.c.title, mentions.c.text, mentions.c.language)
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
        with store.engine.connect() as conn:
            rows = conn.execute(query).all()
        if not rows:
            break
        results = classifier.classify([mention_text(r.title, r.text) for r in rows])
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
        with store.engine.begin() as conn:
            conn.execute(insert(labels), values)
        done += len(rows)
        last_id = rows[-1].id
        if progress is not None:
            progress(len(rows))
    return done


def labelling_job(settings: Settings, store: Store) -> AreaJob:
    """The scheduler's periodic labelling task; the model loads on its first run."""
    from config import parse_interval
    from grapevine.scheduler import AreaJob
    from nlp.commands import build_classifier
    from nlp.settings import nlp_settings

    nlp = nlp_settings(settings.nlp)
    loaded: list[Classifier] = []

    def run() -> int:
        if not loaded:
            loaded.append(build_classifier(nlp))
        return label_pending(store, loaded[0], batch_size=nlp.batch_size, limit=nlp.label_limit)

    return AreaJob(id="nlp:label", every=parse_interval(nlp.every), func=run)
