"""The store reads the rules need: counts per window, complaint candidates, examples.

They select through :class:`scoring.queries.BrandScope`, the one builder of "which
mentions", so "a brand's mentions in a period" (brand-query matches, deleted mentions
dropped, the chosen model version's labels, a sentiment filter) means exactly what it means
on the dashboard and in the export. Everything returned is a number or a small record.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, case, func, select

from config import Brand
from core.query import Query
from grapevine.alerts.rules import ComplaintCandidate, SentimentCounts
from scoring import NO_FILTERS, MentionFilters, Period, ScoringSettings
from scoring.complaints import complaint_rows, first_replies, own_posts
from scoring.queries import BrandScope, L, engagement_expr
from storage import schema

__all__ = [
    "Example",
    "complaint_candidates",
    "examples",
    "keyword_hits",
    "sentiment_counts",
    "volume_windows",
]

M = schema.mentions
X = schema.matches
DAY = timedelta(days=1)
SNIPPET_CHARS = 280


@dataclasses.dataclass(frozen=True, slots=True)
class Example:
    """A mention shown in a message so the reader sees what the alert is about."""

    mention_id: int
    source: str
    community: str | None
    created_at: datetime
    text: str
    url: str | None

    def as_payload(self) -> dict[str, Any]:
        text = " ".join(self.text.split())
        if len(text) > SNIPPET_CHARS:
            text = text[: SNIPPET_CHARS - 1].rstrip() + "…"
        return {
            "mention_id": self.mention_id,
            "source": self.source,
            "community": self.community,
            "created_at": self.created_at.isoformat(),
            "text": text,
            "url": self.url,
        }


def _scope(
    brand: str,
    period: Period,
    version: str | None,
    *,
    roles: tuple[str, ...] = ("brand",),
    filters: MentionFilters = NO_FILTERS,
    organic_for: str | None = None,
) -> BrandScope:
    return BrandScope([brand], roles, period, filters, version, organic_for=organic_for)


def volume_windows(conn: Connection, brand: str, *, end: datetime, days: int) -> list[int]:
    """Brand mentions in consecutive 24 h windows ending at ``end``, newest first:
    ``[last 24 h, the 24 h before, …]`` (``days + 1`` numbers, zeros included)."""
    period = Period(end - DAY * (days + 1), end)
    bucket = case(
        *((X.c.created_at >= end - DAY * (i + 1), i) for i in range(days)), else_=days
    ).label("bucket")
    stmt = _scope(brand, period, None).select(bucket, func.count()).group_by(bucket)
    counts = [0] * (days + 1)
    for index, n in conn.execute(stmt):
        counts[int(index)] = int(n)
    return counts


def sentiment_counts(
    conn: Connection, brand: str, period: Period, version: str | None
) -> SentimentCounts:
    """Labelled organic brand mentions in ``period`` by sentiment (unlabelled ones do not
    count, nor do the brand's own posts: they are answers, never sentiment — DESIGN.md §2)."""
    if version is None:
        return SentimentCounts()
    stmt = (
        _scope(brand, period, version, organic_for=brand)
        .select(L.c.sentiment, func.count())
        .where(L.c.id.is_not(None))
        .group_by(L.c.sentiment)
    )
    found = {str(s): int(n) for s, n in conn.execute(stmt)}
    return SentimentCounts(
        positive=found.get("positive", 0),
        neutral=found.get("neutral", 0),
        negative=found.get("negative", 0),
    )


def _example(row: Any) -> Example:
    text = row.text or ""
    if row.title and row.title not in text:
        text = f"{row.title} — {text}"
    return Example(
        mention_id=int(row.id),
        source=row.source,
        community=row.community,
        created_at=row.created_at,
        text=text,
        url=row.url,
    )


_EXAMPLE_COLUMNS = (M.c.id, M.c.source, M.c.community, M.c.created_at, M.c.title, M.c.text, M.c.url)


def examples(
    conn: Connection,
    brand: str,
    period: Period,
    scoring: ScoringSettings,
    *,
    limit: int,
    version: str | None = None,
    sentiment: str | None = None,
) -> list[Example]:
    """The most engaged brand mentions of ``period``; of one ``sentiment``, organic ones
    only, as :func:`sentiment_counts` counts them (an own apology is no example of a
    negative swing)."""
    if limit <= 0:
        return []
    if sentiment is None:
        scope = _scope(brand, period, version)
    else:
        filters = MentionFilters(sentiments=(sentiment,))
        scope = _scope(brand, period, version, filters=filters, organic_for=brand)
    stmt = scope.select(*_EXAMPLE_COLUMNS)
    stmt = stmt.order_by(engagement_expr(scoring).desc(), M.c.created_at.desc(), M.c.id).limit(
        limit
    )
    return [_example(r) for r in conn.execute(stmt)]


def complaint_candidates(
    conn: Connection,
    brand: Brand,
    period: Period,
    scoring: ScoringSettings,
    *,
    threshold: float,
    version: str | None,
) -> list[tuple[ComplaintCandidate, Example]]:
    """Complaints about ``brand`` created in ``period``, each with its engagement and the
    time of the first reply from one of the brand's own accounts.

    "Complaint" and "reply" are :mod:`scoring.complaints`'s definitions (organic brand
    mention at or above the complaint threshold; an own-account mention on the same source
    whose parent or thread is the complaint), so the alert agrees with the app's queue.
    """
    if version is None:
        return []
    cfg = scoring.model_copy(update={"complaint_threshold": threshold})
    scope = _scope(brand.name, period, version, organic_for=brand.name)
    rows = complaint_rows(conn, scope, brand, cfg)
    if not rows:
        return []
    replied = first_replies(
        [(r.key, r.created_at) for r in rows],
        own_posts(conn, brand.name, NO_FILTERS, period.start),
    )
    shown: dict[int, Example] = {}
    ids = [r.mention_id for r in rows]
    for start in range(0, len(ids), 500):
        stmt = select(*_EXAMPLE_COLUMNS).where(M.c.id.in_(ids[start : start + 500]))
        shown.update((int(row.id), _example(row)) for row in conn.execute(stmt))
    return [
        (
            ComplaintCandidate(
                mention_id=r.mention_id,
                created_at=r.created_at,
                complaint=r.complaint,
                engagement=r.engagement,
                answered_at=replied.get(r.key),
            ),
            shown[r.mention_id],
        )
        for r in rows
    ]


def keyword_hits(
    conn: Connection,
    brand: str,
    period: Period,
    query: Query,
    *,
    include_category: bool,
) -> list[Example]:
    """Brand mentions in ``period`` whose title or text matches ``query``, oldest first.

    The query is checked in Python (the one matcher the collectors use too); the SQL only
    narrows the rows to the brand and the window.
    """
    roles = ("brand", "category") if include_category else ("brand",)
    stmt = (
        _scope(brand, period, None, roles=roles)
        .mentions(*_EXAMPLE_COLUMNS)
        .order_by(M.c.created_at, M.c.id)
    )
    hits: list[Example] = []
    for row in conn.execute(stmt):
        text = f"{row.title or ''}\n{row.text or ''}"
        if query.matches(text):
            hits.append(_example(row))
    return hits
