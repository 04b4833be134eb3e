"""The scoring layer's figures for the sidebar's choice, cached for the session's reruns.

Every number the Overview, Word of mouth, Complaints and Communities pages show comes
from one of these calls into :mod:`scoring`, the same functions the alerts and the export
use, so a figure is the same wherever it appears. Nothing here computes a metric.

``st.cache_data`` keys on the arguments it can hash: the database URL, the configuration
(as its JSON text, so editing the file invalidates the cache) and the filters. The
``Settings`` object itself travels unhashed (the leading underscore).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Literal

import streamlit as st
from sqlalchemy import case, func

import scoring
from config import Settings
from grapevine.dashboard import cached
from grapevine.dashboard.filters import Filters
from scoring.queries import BrandScope, L, M, X, as_date, day_bucket, engagement_expr

__all__ = [
    "AmplifiedMention",
    "complaint_threshold",
    "complaint_topics",
    "complaints",
    "complaints_by_week",
    "config_key",
    "hotspots",
    "most_amplified",
    "overview",
    "period",
    "sentiment_by_day",
    "word_of_mouth",
]


def config_key(settings: Settings) -> str:
    """A hashable fingerprint of the configuration for cache keys."""
    return settings.model_dump_json()


def period(filters: Filters) -> scoring.Period:
    return scoring.Period.days(filters.first_day, filters.last_day)


def mention_filters(filters: Filters) -> scoring.MentionFilters:
    return scoring.MentionFilters(sources=filters.sources, languages=filters.languages)


def complaint_threshold(settings: Settings) -> float:
    """The complaint probability at or above which a mention is a complaint."""
    return scoring.scoring_settings(settings).complaint_threshold


@st.cache_data(ttl=cached.TTL, show_spinner="Counting mentions…")
def overview(
    url: str,
    key: str,
    _settings: Settings,
    filters: Filters,
    granularity: Literal["day", "week"] = "day",
) -> scoring.BrandOverview:
    return scoring.brand_overview(
        cached.engine(url),
        _settings,
        filters.brand,
        period(filters),
        filters=mention_filters(filters),
        granularity=granularity,
    )


@st.cache_data(ttl=cached.TTL, show_spinner="Measuring word of mouth…")
def word_of_mouth(url: str, key: str, _settings: Settings, filters: Filters) -> scoring.WordOfMouth:
    return scoring.word_of_mouth(
        cached.engine(url),
        _settings,
        filters.brand,
        period(filters),
        filters=mention_filters(filters),
    )


@st.cache_data(ttl=cached.TTL, show_spinner="Reading complaints…")
def complaints(
    url: str, key: str, _settings: Settings, filters: Filters
) -> scoring.ComplaintBehaviour:
    return scoring.complaint_behaviour(
        cached.engine(url),
        _settings,
        filters.brand,
        period(filters),
        filters=mention_filters(filters),
    )


@st.cache_data(ttl=cached.TTL, show_spinner="Grouping complaints into topics…")
def complaint_topics(
    url: str, key: str, _settings: Settings, filters: Filters
) -> tuple[scoring.ComplaintTopic, ...]:
    return scoring.complaint_topics(
        cached.engine(url),
        _settings,
        filters.brand,
        period(filters),
        filters=mention_filters(filters),
    )


@st.cache_data(ttl=cached.TTL, show_spinner="Ranking communities…")
def hotspots(
    url: str, key: str, _settings: Settings, filters: Filters
) -> tuple[scoring.Hotspot, ...]:
    return scoring.community_hotspots(
        cached.engine(url),
        _settings,
        filters.brand,
        period(filters),
        filters=mention_filters(filters),
    )


@st.cache_data(ttl=cached.TTL, show_spinner=False)
def sentiment_by_day(url: str, filters: Filters) -> list[tuple[date, str, int]]:
    """Brand mentions per UTC day and sentiment label, for the stacked sentiment chart.

    :class:`scoring.BrandOverview` gives volume per day but not its sentiment split, so
    this counts with scoring's own :class:`~scoring.queries.BrandScope` (same brand-query
    matches, deleted mentions dropped, same filters and model version): the days add up to
    the overview's volume by construction. Unlabelled mentions count as "unlabelled".
    """
    engine = cached.engine(url)
    with engine.connect() as conn:
        version = scoring.resolve_model_version(conn, None)
        scope = BrandScope(
            [filters.brand], ("brand",), period(filters), mention_filters(filters), version
        )
        day = day_bucket(X.c.created_at, conn.dialect.name).label("day")
        stmt = scope.select(day, L.c.sentiment, func.count()).group_by(day, L.c.sentiment)
        return [(as_date(d), str(s or "unlabelled"), int(n)) for d, s, n in conn.execute(stmt)]


@dataclasses.dataclass(frozen=True, slots=True)
class AmplifiedMention:
    """An organic mention and the engagement it received (its source's own counts)."""

    source: str
    community: str | None
    author: str | None
    created_at: datetime
    title: str | None
    text: str
    url: str | None
    engagement: int


@st.cache_data(ttl=cached.TTL, show_spinner=False)
def most_amplified(
    url: str, key: str, _settings: Settings, filters: Filters, limit: int = 10
) -> list[AmplifiedMention]:
    """The organic mentions that received the most engagement, for the WOM page.

    Built from scoring's :class:`~scoring.queries.BrandScope` (organic = not by an own
    account) and its per-source engagement expression, so "engagement" means here what it
    means in the amplification figures beside it. Engagement is only comparable within a
    source; the list shows the source next to each figure.
    """
    cfg = scoring.scoring_settings(_settings)
    with cached.engine(url).connect() as conn:
        version = scoring.resolve_model_version(conn, None)
        scope = BrandScope(
            [filters.brand],
            ("brand",),
            period(filters),
            mention_filters(filters),
            version,
            organic_for=filters.brand,
        )
        eng = engagement_expr(cfg).label("engagement")
        stmt = (
            scope.select(
                M.c.source,
                M.c.community,
                M.c.author,
                M.c.created_at,
                M.c.title,
                M.c.text,
                M.c.url,
                eng,
            )
            .order_by(eng.desc(), M.c.created_at.desc())
            .limit(limit)
        )
        return [AmplifiedMention(**row._mapping) for row in conn.execute(stmt)]


@st.cache_data(ttl=cached.TTL, show_spinner=False)
def complaints_by_week(
    url: str, key: str, _settings: Settings, filters: Filters
) -> list[tuple[date, int, int, float | None]]:
    """Per ISO week (its Monday): complaints, the rate's denominator, and the rate in %.

    :class:`scoring.ComplaintBehaviour` has the period's rate but no series, so the weekly
    counts are taken with scoring's :class:`~scoring.queries.BrandScope` (organic brand
    mentions), its ``complaint_threshold`` and ``complaint_rate_denominator`` settings, and
    the rate with :func:`scoring.complaint_rate`. A test checks that the weeks add up to
    ``complaint_behaviour``'s figures.
    """
    cfg = scoring.scoring_settings(_settings)
    with cached.engine(url).connect() as conn:
        version = scoring.resolve_model_version(conn, None)
        scope = BrandScope(
            [filters.brand],
            ("brand",),
            period(filters),
            mention_filters(filters),
            version,
            organic_for=filters.brand,
        )
        day = day_bucket(X.c.created_at, conn.dialect.name).label("day")
        is_complaint = func.sum(case((L.c.complaint >= cfg.complaint_threshold, 1), else_=0))
        denominator = (
            func.count() if cfg.complaint_rate_denominator == "all" else func.count(L.c.id)
        )
        stmt = scope.select(day, is_complaint, denominator).group_by(day)
        weeks: dict[date, list[int]] = {}
        for d, n, total in conn.execute(stmt):
            monday = as_date(d) - timedelta(days=as_date(d).weekday())
            acc = weeks.setdefault(monday, [0, 0])
            acc[0] += int(n or 0)
            acc[1] += int(total or 0)
    return [
        (week, n, total, scoring.complaint_rate(n, total))
        for week, (n, total) in sorted(weeks.items())
    ]
