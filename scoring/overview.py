"""Brand overview: volume, NSS, share of voice, engagement per source, language mix.

One grouped query per period returns (day, source, language, sentiment, own) → (mentions,
engagement); every overview figure is a fold of those few rows, so the page costs two scans of
the brand's matches plus one small share-of-voice count. ``own`` marks the brand's own posts
(``scoring.genre``): volume, engagement and languages count them, the sentiment figures do
not (own accounts answer; their tone is not the customers').
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Engine, func

from config.scoring import ScoringSettings
from config.settings import Settings
from scoring import metrics
from scoring.daily import per_day, scope_key
from scoring.genre import own_expr
from scoring.queries import (
    BrandQuery,
    BrandScope,
    L,
    M,
    X,
    as_date,
    brand_query,
    day_bucket,
    engagement_expr,
    language_expr,
)
from scoring.records import (
    NO_FILTERS,
    BrandOverview,
    Comparison,
    LanguageShare,
    MentionFilters,
    Period,
    SentimentPoint,
    SourceEngagement,
    VolumePoint,
)

__all__ = [
    "Granularity",
    "brand_overview",
    "bucket_days",
    "bucket_of",
    "buckets",
]

Granularity = Literal["day", "week"]
_SENTIMENTS = ("negative", "neutral", "positive")


@dataclasses.dataclass(frozen=True, slots=True)
class _Cell:
    day: date
    source: str
    language: str
    sentiment: str | None
    own: bool  # written by one of the brand's own accounts
    mentions: int
    engagement: int


def _cells(q: BrandQuery, window: Period) -> list[_Cell]:
    """The grouped rows every overview figure folds, day by day (``scoring.daily``)."""
    conn, brand, scoring = q.conn, q.brand.name, q.cfg

    def compute(part: Period) -> Any:
        day = day_bucket(X.c.created_at, conn.dialect.name).label("day")
        lang = language_expr().label("language")
        own = own_expr(brand, X.c.mention_id, part).label("own")
        stmt = (
            q.scope.with_period(part)
            .select(
                day,
                M.c.source,
                lang,
                L.c.sentiment,
                own,
                func.count().label("n"),
                func.sum(engagement_expr(scoring)).label("eng"),
            )
            .group_by(day, M.c.source, lang, L.c.sentiment, own)
        )
        return conn.execute(stmt)

    return [
        _Cell(as_date(d), source, language or "und", sentiment, bool(own), int(n), int(eng or 0))
        for d, source, language, sentiment, own, n, eng in per_day(
            conn, q.key("overview.cells"), window, compute
        )
    ]


def bucket_of(day: date, granularity: Granularity) -> date:
    """The bucket a UTC day falls in: the day itself, or its ISO week's Monday."""
    return day if granularity == "day" else day - timedelta(days=day.weekday())


def bucket_days(period: Period, granularity: Granularity) -> dict[date, list[date]]:
    """Every bucket of the period (in order) with the days of the period it covers."""
    first = period.start.date()
    last = (period.end - timedelta(microseconds=1)).date()
    out: dict[date, list[date]] = {}
    day = first
    while day <= last:
        out.setdefault(bucket_of(day, granularity), []).append(day)
        day += timedelta(days=1)
    return out


def buckets(
    daily: Counter[date], period: Period, granularity: Granularity
) -> tuple[VolumePoint, ...]:
    """Daily counts laid out over every day (or ISO week, keyed by its Monday) of the period,
    zeros included, so a chart never skips a quiet day."""
    return tuple(
        VolumePoint(key, sum(daily.get(d, 0) for d in days))
        for key, days in bucket_days(period, granularity).items()
    )


def _sentiment_buckets(
    cells: list[_Cell], period: Period, granularity: Granularity
) -> tuple[SentimentPoint, ...]:
    """Organic mentions per bucket split by sentiment label (unlabelled apart), zeros
    included.

    A fold of the same grouped rows as the volume, so each bucket adds up to its volume
    less the brand's own posts, which are answers, never sentiment (DESIGN.md §2).
    """
    per_day: dict[str | None, Counter[date]] = defaultdict(Counter)
    for c in cells:
        if c.own:
            continue
        per_day[c.sentiment if c.sentiment in _SENTIMENTS else None][c.day] += c.mentions

    def total(sentiment: str | None, days: list[date]) -> int:
        counts = per_day.get(sentiment)
        return 0 if counts is None else sum(counts.get(d, 0) for d in days)

    return tuple(
        SentimentPoint(
            bucket=key,
            negative=total("negative", days),
            neutral=total("neutral", days),
            positive=total("positive", days),
            unlabelled=total(None, days),
        )
        for key, days in bucket_days(period, granularity).items()
    )


def _nss(cells: list[_Cell]) -> float | None:
    """NSS of the organic mentions: the brand's own posts are answers, never sentiment."""
    pos = sum(c.mentions for c in cells if c.sentiment == "positive" and not c.own)
    neg = sum(c.mentions for c in cells if c.sentiment == "negative" and not c.own)
    return metrics.net_sentiment_score(pos, neg)


def share_of_voice_counts(
    conn: Connection,
    names: list[str],
    period: Period,
    filters: MentionFilters,
    model_version: str | None,
) -> dict[str, int]:
    """Brand-query mentions of each name in the comparison set (zeros included)."""

    def compute(part: Period) -> Any:
        scope = BrandScope(names, ("brand",), part, filters, model_version)
        day = day_bucket(X.c.created_at, conn.dialect.name)
        return conn.execute(scope.select(day, X.c.brand, func.count()).group_by(day, X.c.brand))

    key = scope_key("overview.share_of_voice", filters, sorted(names), model_version)
    counts = dict.fromkeys(names, 0)
    for _day, brand, n in per_day(conn, key, period, compute):
        counts[str(brand)] += int(n)
    return counts


def brand_overview(
    bind: Engine | Connection,
    settings: Settings,
    brand: str,
    period: Period,
    *,
    filters: MentionFilters = NO_FILTERS,
    model_version: str | None = None,
    scoring: ScoringSettings | None = None,
    granularity: Granularity = "day",
) -> BrandOverview:
    """The overview page for ``brand`` over ``period``, each figure beside the previous period.

    Volume = brand-query mentions per day (or ISO week), the brand's own posts included;
    NSS = (pos − neg)/(pos + neg) × 100 over labelled organic mentions (own posts are
    answers, never sentiment: DESIGN.md §2); SoV = mentions(b) / Σ mentions(brand and its
    configured competitors) × 100; engagement per source (never summed across sources);
    language mix; organic sentiment per bucket (negative, neutral, positive, unlabelled:
    with the own posts they add up to the volume).
    """
    with brand_query(bind, settings, brand, period, filters, model_version, scoring) as q:
        conn, version = q.conn, q.version
        name = q.brand.name
        comparison_set = [name, *q.brand.competitors]
        now = _cells(q, period)
        before = _cells(q, period.previous)
        sov_now = share_of_voice_counts(conn, comparison_set, period, filters, version)
        sov_before = share_of_voice_counts(conn, comparison_set, period.previous, filters, version)

    daily_now: Counter[date] = Counter()
    daily_before: Counter[date] = Counter()
    for c in now:
        daily_now[c.day] += c.mentions
    for c in before:
        daily_before[c.day] += c.mentions

    per_source: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for c in now:
        per_source[c.source][0] += c.mentions
        per_source[c.source][1] += c.engagement
    for c in before:
        per_source[c.source][2] += c.mentions
        per_source[c.source][3] += c.engagement
    engagement = tuple(
        SourceEngagement(
            source=s,
            mentions=v[0],
            engagement=v[1],
            mean_engagement=metrics.ratio(v[1], v[0]),
            previous_mentions=v[2],
            previous_engagement=v[3],
        )
        for s, v in sorted(per_source.items())
    )

    lang_now: Counter[str] = Counter()
    lang_before: Counter[str] = Counter()
    for c in now:
        lang_now[c.language] += c.mentions
    for c in before:
        lang_before[c.language] += c.mentions
    lang_share = metrics.shares(lang_now)
    languages = tuple(
        LanguageShare(lang, lang_now[lang], lang_share.get(lang, 0.0), lang_before[lang])
        for lang in sorted(set(lang_now) | set(lang_before), key=lambda k: (-lang_now[k], k))
    )

    total_now = sum(daily_now.values())
    total_before = sum(daily_before.values())
    return BrandOverview(
        brand=name,
        period=period,
        model_version=version,
        granularity=granularity,
        volume=buckets(daily_now, period, granularity),
        previous_volume=buckets(daily_before, period.previous, granularity),
        total=Comparison.relative(total_now, total_before),
        nss=Comparison.points(_nss(now), _nss(before)),
        share_of_voice=metrics.share_of_voice(sov_now),
        previous_share_of_voice=metrics.share_of_voice(sov_before),
        mentions_by_brand=sov_now,
        engagement=engagement,
        languages=languages,
        sentiment=_sentiment_buckets(now, period, granularity),
    )
