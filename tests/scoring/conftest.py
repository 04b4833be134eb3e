"""Small hand-made stores for scoring tests.

``Row`` is one mention with its matches and label; ``seed(store, rows)`` writes them through
the real :meth:`Store.save_page` (so matches and deleted flags behave as in production) and
adds the labels. Each test works its expected figures out by hand from its own rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from config import Settings
from core.mention import Mention
from storage import Store
from storage.schema import labels
from storage.store import Match

VERSION = "test-1"


def at(day: int, hour: int = 12) -> datetime:
    """November ``day``, 2026 at ``hour`` UTC."""
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@dataclasses.dataclass(frozen=True)
class Row:
    id: str
    when: datetime
    brands: tuple[tuple[str, str], ...] = (("Acme", "brand"),)
    source: str = "hackernews"
    kind: str = "comment"
    community: str | None = "hackernews"
    author: str | None = "someone"
    text: str = "acme"
    sentiment: str | None = "neutral"  # None: no label
    complaint: float = 0.0
    quality: str = "ordinary"
    quality_score: float = 0.5
    label_language: str | None = "en"
    language: str | None = None
    score: int | None = None
    comments: int | None = None
    answers: int | None = None
    helpful_votes: int | None = None
    parent_id: str | None = None
    thread_id: str | None = None
    deleted: bool = False
    version: str = VERSION


def seed(store: Store, rows: Sequence[Row]) -> dict[str, int]:
    """Write ``rows`` (in the given order); returns external id -> mention id."""
    mentions = [
        Mention(
            source=r.source,
            external_id=r.id,
            kind=r.kind,  # type: ignore[arg-type]
            created_at=r.when,
            text=r.text,
            community=r.community,
            author=r.author,
            parent_id=r.parent_id,
            thread_id=r.thread_id,
            score=r.score,
            comments=r.comments,
            answers=r.answers,
            helpful_votes=r.helpful_votes,
            language=r.language,
            deleted=r.deleted,
        )
        for r in rows
    ]
    matched = {(r.source, r.id): [Match(b, role) for b, role in r.brands] for r in rows}
    store.save_page(mentions, matched)
    ids = {row["external_id"]: int(row["id"]) for row in store.iter_mentions()}
    label_rows = []
    for r in rows:
        if r.sentiment is None:
            continue
        label_rows.append(
            {
                "mention_id": ids[r.id],
                "model": "test",
                "model_version": r.version,
                "sentiment": r.sentiment,
                "sentiment_negative": 1.0 if r.sentiment == "negative" else 0.0,
                "sentiment_neutral": 1.0 if r.sentiment == "neutral" else 0.0,
                "sentiment_positive": 1.0 if r.sentiment == "positive" else 0.0,
                "complaint": r.complaint,
                "quality": r.quality,
                "quality_score": r.quality_score,
                "language": r.label_language,
                "labelled_at": r.when,
            }
        )
    if label_rows:
        with store.engine.begin() as conn:
            conn.execute(insert(labels), label_rows)
    return ids


@pytest.fixture
def acme(make_settings: Callable[..., Settings]) -> Settings:
    """Acme (own account acme_support on HN, own community reddit:r/acme) vs Globex."""
    return make_settings()
