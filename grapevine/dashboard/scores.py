"""The scoring layer's figures for the sidebar's choice, cached for the session's reruns.

Every number the Overview, Word of mouth, Complaints and Communities pages show comes
from one of these calls into :mod:`scoring`, the same functions the alerts and the export
use, so a figure is the same wherever it appears: the sentiment per day, the weekly
complaint rate and the most amplified mentions included (they are fields of the records).
Nothing here computes a metric or reads the store itself.

``st.cache_data`` keys on the arguments it can hash: the database URL, the configuration
(as its JSON text, so editing the file invalidates the cache) and the filters. The
``Settings`` object itself travels unhashed (the leading underscore).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

import streamlit as st

import scoring
from config import Settings
from grapevine.dashboard import cached
from grapevine.dashboard.filters import Filters

__all__ = [
    "complaint_threshold",
    "complaint_topics",
    "complaints",
    "config_key",
    "hotspots",
    "overview",
    "period",
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
    return settings.scoring.complaint_threshold


_R = TypeVar("_R")


def _score(
    fn: Callable[..., _R], url: str, settings: Settings, filters: Filters, **options: Any
) -> _R:
    """One scoring call for the sidebar's choice: its brand, period and mention filters."""
    return fn(
        cached.engine(url),
        settings,
        filters.brand,
        period(filters),
        filters=mention_filters(filters),
        **options,
    )


@st.cache_data(ttl=cached.TTL, show_spinner="Counting mentions…")
def overview(
    url: str,
    key: str,
    _settings: Settings,
    filters: Filters,
    granularity: Literal["day", "week"] = "day",
) -> scoring.BrandOverview:
    return _score(scoring.brand_overview, url, _settings, filters, granularity=granularity)


@st.cache_data(ttl=cached.TTL, show_spinner="Measuring word of mouth…")
def word_of_mouth(url: str, key: str, _settings: Settings, filters: Filters) -> scoring.WordOfMouth:
    return _score(scoring.word_of_mouth, url, _settings, filters)


@st.cache_data(ttl=cached.TTL, show_spinner="Reading complaints…")
def complaints(
    url: str, key: str, _settings: Settings, filters: Filters
) -> scoring.ComplaintBehaviour:
    return _score(scoring.complaint_behaviour, url, _settings, filters, granularity="week")


@st.cache_data(ttl=cached.TTL, show_spinner="Grouping complaints into topics…")
def complaint_topics(
    url: str, key: str, _settings: Settings, filters: Filters
) -> tuple[scoring.ComplaintTopic, ...]:
    return _score(scoring.complaint_topics, url, _settings, filters)


@st.cache_data(ttl=cached.TTL, show_spinner="Ranking communities…")
def hotspots(
    url: str, key: str, _settings: Settings, filters: Filters
) -> tuple[scoring.Hotspot, ...]:
    return _score(scoring.community_hotspots, url, _settings, filters)
