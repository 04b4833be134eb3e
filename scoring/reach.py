"""Who amplifies: each author's reach, and the advocates and detractors with the most of it.

**Author reach** (per source: a handle names a person on one site only) over a period:

- the author's **followers**, where the source's API reports them with the mention
  (Mastodon's ``account.followers_count``; the largest count seen in the period); else
- the **engagement received**: the sum of the engagement (``[scoring.engagement]``: the
  source's own interaction counts) of the author's organic brand mentions in the period.

``basis`` says which one a figure is: followers and engagement are different units, so
compare reach within one basis (the page shows it beside every figure). Reach is over
organic mentions (the brand's own accounts never count).

**Top advocates / detractors by reach**: authors whose organic mentions in the period are
more positive than negative (advocates) or more negative than positive (detractors) —
people's corrected labels included — ranked by reach, then by their number of mentions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Engine, case, func

from config.scoring import ScoringSettings
from config.settings import Settings
from scoring.queries import L, M, brand_query, engagement_expr
from scoring.records import NO_FILTERS, MentionFilters, Period

__all__ = ["AuthorReach", "ReachLeaders", "author_reach", "followers_in"]

#: Where a source's raw payload reports the author's followers.
FOLLOWER_PATHS: dict[str, tuple[str, ...]] = {"mastodon": ("account", "followers_count")}
#: Candidates (by engagement) whose payloads are read for follower counts.
_CANDIDATES = 500


@dataclasses.dataclass(frozen=True, slots=True)
class AuthorReach:
    source: str
    author: str
    reach: int
    basis: str  # "followers" or "engagement"
    positive: int
    negative: int
    mentions: int
    engagement: int


@dataclasses.dataclass(frozen=True, slots=True)
class ReachLeaders:
    advocates: tuple[AuthorReach, ...]
    detractors: tuple[AuthorReach, ...]


def followers_in(source: str, raw: Any) -> int | None:
    """The follower count a source's payload carries for the mention's author, if any."""
    path = FOLLOWER_PATHS.get(source)
    if path is None:
        return None
    value: Any = raw
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return int(value) if isinstance(value, int | float) and value >= 0 else None


def _rank(rows: list[AuthorReach]) -> list[AuthorReach]:
    return sorted(rows, key=lambda r: (-r.reach, -r.mentions, r.source, r.author))


def author_reach(
    bind: Engine | Connection,
    settings: Settings,
    brand: str,
    period: Period,
    *,
    filters: MentionFilters = NO_FILTERS,
    model_version: str | None = None,
    scoring: ScoringSettings | None = None,
    limit: int = 10,
) -> ReachLeaders:
    """The top ``limit`` advocates and detractors of ``brand`` in ``period`` by reach."""
    with brand_query(
        bind, settings, brand, period, filters, model_version, scoring, organic=True
    ) as q:
        engagement = engagement_expr(q.cfg)
        positive = func.sum(case((L.c.sentiment == "positive", 1), else_=0))
        negative = func.sum(case((L.c.sentiment == "negative", 1), else_=0))
        stmt = (
            q.scope.select(
                M.c.source,
                M.c.author,
                positive,
                negative,
                func.count(),
                func.sum(engagement),
            )
            .where(M.c.author.is_not(None))
            .group_by(M.c.source, M.c.author)
            .having(positive != negative)
        )
        rows = [
            (str(s), str(a), int(p or 0), int(n or 0), int(c), int(e or 0))
            for s, a, p, n, c, e in q.conn.execute(stmt)
        ]
        rows.sort(key=lambda r: -r[5])
        followers: dict[tuple[str, str], int] = {}
        wanted = [(s, a) for s, a, *_ in rows if s in FOLLOWER_PATHS][:_CANDIDATES]
        for source in {s for s, _ in wanted}:
            names = [a for s, a in wanted if s == source]
            raws = q.scope.select(M.c.author, M.c.raw).where(
                M.c.source == source, M.c.author.in_(names)
            )
            for author, raw in q.conn.execute(raws):
                count = followers_in(source, raw)
                if count is not None:
                    key = (source, str(author))
                    followers[key] = max(followers.get(key, 0), count)
    advocates: list[AuthorReach] = []
    detractors: list[AuthorReach] = []
    for source, author, pos, neg, n, eng in rows:
        known = followers.get((source, author))
        entry = AuthorReach(
            source=source,
            author=author,
            reach=known if known is not None else eng,
            basis="followers" if known is not None else "engagement",
            positive=pos,
            negative=neg,
            mentions=n,
            engagement=eng,
        )
        (advocates if pos > neg else detractors).append(entry)
    return ReachLeaders(tuple(_rank(advocates)[:limit]), tuple(_rank(detractors)[:limit]))
