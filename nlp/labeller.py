"""Label stored mentions that have no label for the current model version.

A label row is keyed by (mention, model_version), so a new model relabels everything in
its own rows while the old ones stay for comparison. Mentions are read in id order, in
pages of ``batch_size * 8``; each page is classified (sorted by length inside
``classify``) and written in one transaction, so an interrupted run loses at most a page.

Any number of labelling processes may share a store. On PostgreSQL each page is *claimed*:
its mention rows are locked ``FOR NO KEY UPDATE SKIP LOCKED`` in the transaction that writes
their labels, so two labellers never classify the same mention (collectors still add
matches meanwhile; refreshing a claimed mention's engagement waits for the page). On
SQLite, and everywhere as the last guard, labels are written ``ON CONFLICT DO NOTHING``:
a mention is never labelled twice for one model version.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import and_, select

from nlp.classify import Classifier
from storage.schema import labels, mentions
from storage.store import Store, upsert_statement

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
    """Label up to ``limit`` unlabelled, not-deleted mentions; return how many labels this
    call wrote (mentions another process labelled meanwhile are not counted)."""
    done = 0
    labelled_total = 0
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
        claim = store.engine.dialect.name == "postgresql"
        if claim:  # rows another labeller holds are skipped, not waited for
            query = query.with_for_update(skip_locked=True, key_share=True, of=mentions)
        with store.engine.connect() as conn:
            rows = conn.execute(query).all()
            if not rows:
                break
            if not claim:
                conn.commit()  # SQLite: hold no lock while classifying
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
            stmt = upsert_statement(conn, labels).on_conflict_do_nothing(
                index_elements=[labels.c.mention_id, labels.c.model_version]
            )
            labelled = len(conn.execute(stmt.returning(labels.c.mention_id), values).all())
            conn.commit()  # the labels, and the end of the claim
        done += len(rows)
        labelled_total += labelled
        last_id = rows[-1].id
        if progress is not None:
            progress(len(rows))
    return labelled_total
