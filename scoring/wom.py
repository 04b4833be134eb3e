"""Word-of-mouth: what customers say to each other, without the brand's own posts.

Organic mention = a brand-query mention not authored by one of the brand's own accounts
(the engine stores a ``role='own'`` match for those). Everything here is over organic
mentions: volume and trend, WOM balance (NSS), advocates and detractors, amplification and
velocity against the previous period of equal length.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from config.scoring import ScoringSettings
from config.settings import Settings
from scoring import metrics
from scoring.daily import per_day
from scoring.overview import buckets
from scoring.queries import (
    BrandQuery,
    L,
    M,
    X,
    as_date,
    brand_query,
    day_bucket,
    engagement_expr,
)
from scoring.records import (
    NO_FILTERS,
    Advocate,
    Amplification,
    AmplifiedMention,
    Comparison,
    MentionFilters,
    Period,
    WordOfMouth,
)

__all__ = ["word_of_mouth"]


def _grouped(q: BrandQuery, window: Period) -> list[tuple[date, str, str | None, int, int]]:
    """Organic mentions and their engagement per (day, source, sentiment)."""
    conn, cfg = q.conn, q.cfg

    def compute(part: Period) -> Any:
        day = day_bucket(X.c.created_at, conn.dialect.name).label("day")
        stmt = (
            q.scope.with_period(part)
            .select(day, M.c.source, L.c.sentiment, func.count(), func.sum(engagement_expr(cfg)))
            .group_by(day, M.c.source, L.c.sentiment)
        )
        return conn.execute(stmt)

    return [
        (as_date(d), s, sent, int(n), int(e or 0))
        for d, s, sent, n, e in per_day(conn, q.key("wom.grouped"), window, compute)
    ]


def _authors(q: BrandQuery) -> dict[str, tuple[list[Advocate], int]]:
    """Authors with ≥ N positive (negative) organic mentions: the top ones and how many in all,
    keyed by sentiment. The counts per author come day by day (``scoring.daily``) and are
    added up here; so do the top authors' mentions per community."""
    conn, cfg, scope = q.conn, q.cfg, q.scope

    def compute(part: Period) -> list[tuple[Any, dict[str, tuple[list[str], list[int]]]]]:
        # One row per day: its authors and their counts as two flat lists per sentiment,
        # so a stored day reads back as a few long lists, not a small list per author.
        day = day_bucket(X.c.created_at, conn.dialect.name)
        stmt = (
            scope.with_period(part)
            .select(day, M.c.author, L.c.sentiment, func.count())
            .where(M.c.author.is_not(None), L.c.sentiment.in_(("positive", "negative")))
            .group_by(day, M.c.author, L.c.sentiment)
        )
        days: dict[Any, dict[str, tuple[list[str], list[int]]]] = {}
        for d, author, sentiment, n in conn.execute(stmt):
            if d not in days:
                days[d] = {"positive": ([], []), "negative": ([], [])}
            written, counts = days[d][sentiment]
            written.append(author)
            counts.append(int(n))
        return list(days.items())

    totals: dict[str, dict[str, int]] = {"positive": {}, "negative": {}}
    for _day, per_sentiment in per_day(conn, q.key("wom.authors"), scope.period, compute):
        for sentiment, (authors, counts) in per_sentiment.items():
            into = totals[sentiment]
            for author, n in zip(authors, counts, strict=True):
                into[author] = into.get(author, 0) + n
    found: dict[str, list[tuple[str, int]]] = {
        sentiment: [(a, n) for a, n in counts.items() if n >= cfg.advocate_min_mentions]
        for sentiment, counts in totals.items()
    }
    top = {
        sentiment: heapq.nsmallest(cfg.top_authors, rows, key=lambda r: (-r[1], r[0]))
        for sentiment, rows in found.items()
    }
    names = sorted({a for rows in top.values() for a, _ in rows})
    organic: Counter[str] = Counter()
    places: dict[str, set[str]] = defaultdict(set)
    if names:

        def detail(part: Period) -> Any:
            day = day_bucket(X.c.created_at, conn.dialect.name)
            stmt = (
                scope.with_period(part)
                .select(day, M.c.author, M.c.community, func.count())
                .where(M.c.author.in_(names))
                .group_by(day, M.c.author, M.c.community)
            )
            return conn.execute(stmt)

        key = q.key("wom.author_places", names)
        for _day, author, community, count in per_day(conn, key, scope.period, detail):
            organic[str(author)] += int(count)
            if community is not None:
                places[str(author)].add(str(community))
    return {
        sentiment: (
            [Advocate(a, c, organic[a], tuple(sorted(places[a]))) for a, c in top[sentiment]],
            len(found[sentiment]),
        )
        for sentiment in found
    }


def _top_amplified(q: BrandQuery) -> tuple[AmplifiedMention, ...]:
    """The ``top_amplified`` organic mentions with the most engagement (newest first on ties).

    Each day's leaders are ranked on ids and engagement alone (and kept, ``scoring.daily``);
    the period's are the best of those, and only their texts are fetched by primary key, so
    no sort ever carries every mention's text.
    """
    conn, cfg = q.conn, q.cfg

    def compute(part: Period) -> Any:
        eng = engagement_expr(cfg).label("engagement")
        day = day_bucket(X.c.created_at, conn.dialect.name)
        ranked = (
            q.scope.with_period(part)
            .select(day, M.c.id, eng, M.c.created_at)
            .order_by(eng.desc(), M.c.created_at.desc(), M.c.id.desc())
            .limit(cfg.top_amplified)
        )
        return conn.execute(ranked)

    leaders = per_day(conn, q.key("wom.top_amplified"), q.scope.period, compute)
    leaders.sort(
        key=lambda r: (-int(r[2] or 0), -datetime.fromisoformat(r[3]).timestamp(), -int(r[1]))
    )
    top = [(int(r[1]), int(r[2] or 0)) for r in leaders[: cfg.top_amplified]]
    if not top:
        return ()
    stmt = select(
        M.c.id,
        M.c.source,
        M.c.community,
        M.c.author,
        M.c.created_at,
        M.c.title,
        M.c.text,
        M.c.url,
    ).where(M.c.id.in_([i for i, _e in top]))
    found = {int(r.id): r for r in conn.execute(stmt)}
    return tuple(
        AmplifiedMention(
            mention_id=i,
            source=found[i].source,
            community=found[i].community,
            author=found[i].author,
            created_at=found[i].created_at,
            title=found[i].title,
            text=found[i].text,
            url=found[i].url,
            engagement=e,
        )
        for i, e in top
    )


def word_of_mouth(
    bind: Engine | Connection,
    settings: Settings,
    brand: str,
    period: Period,
    *,
    filters: MentionFilters = NO_FILTERS,
    model_version: str | None = None,
    scoring: ScoringSettings | None = None,
) -> WordOfMouth:
    """Word-of-mouth for ``brand`` over ``period`` (DESIGN.md §3).

    - organic volume, daily, with its least-squares trend (mentions/day per day);
    - velocity = (organic now − organic before) / organic before × 100;
    - WOM balance = NSS over organic mentions;
    - advocates (detractors) = authors with ≥ ``advocate_min_mentions`` positive (negative)
      organic mentions in the period, with their organic mention count and communities;
    - amplification = engagement organic mentions received, per source, vs before;
    - the ``top_amplified`` organic mentions that received the most engagement.
    """
    with brand_query(
        bind, settings, brand, period, filters, model_version, scoring, organic=True
    ) as q:
        version, name = q.version, q.brand.name
        now = _grouped(q, period)
        before = _grouped(q, period.previous)
        authors = _authors(q)
        top_amplified = _top_amplified(q)
    advocates, n_adv = authors["positive"]
    detractors, n_det = authors["negative"]

    daily: Counter[date] = Counter()
    for d, _s, _sent, n, _e in now:
        daily[d] += n
    series = buckets(daily, period, "day")
    organic_now = sum(n for *_, n, _e in now)
    organic_before = sum(n for *_, n, _e in before)
    velocity = metrics.percent_change(organic_now, organic_before)

    def nss(rows: list[tuple[date, str, str | None, int, int]]) -> float | None:
        pos = sum(r[3] for r in rows if r[2] == "positive")
        neg = sum(r[3] for r in rows if r[2] == "negative")
        return metrics.net_sentiment_score(pos, neg)

    per_source: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for _d, s, _sent, n, e in now:
        per_source[s][0] += n
        per_source[s][1] += e
    for _d, s, _sent, _n, e in before:
        per_source[s][2] += e
    amplification = tuple(
        Amplification(
            source=s,
            mentions=v[0],
            engagement=v[1],
            mean_engagement=metrics.ratio(v[1], v[0]),
            previous_engagement=v[2],
            change_pct=metrics.percent_change(v[1], v[2]),
        )
        for s, v in sorted(per_source.items())
    )
    balance_now, balance_before = nss(now), nss(before)
    return WordOfMouth(
        brand=name,
        period=period,
        model_version=version,
        organic=Comparison.relative(organic_now, organic_before),
        velocity_pct=velocity,
        daily=series,
        trend_per_day=metrics.linear_trend([p.count for p in series]),
        balance=Comparison.points(balance_now, balance_before),
        advocates=tuple(advocates),
        detractors=tuple(detractors),
        advocate_count=n_adv,
        detractor_count=n_det,
        amplification=amplification,
        top_amplified=top_amplified,
    )
