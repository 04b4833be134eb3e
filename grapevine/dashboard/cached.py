"""Streamlit caching around the store: one engine per process, query results for a while.

The app only reads, and brand managers reload pages and flip between them all day, so a
result is reused for :data:`TTL` before the store is asked again. The collectors keep
writing meanwhile; a five-minute-old figure is what a morning dashboard needs, and it keeps
a 1,000,000-mention store responsive. Functions take the database URL (a plain string)
rather than an engine so that Streamlit can key the cache on it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from grapevine.alerts import AlertRecord, list_alerts
from grapevine.dashboard import queries
from grapevine.dashboard.filters import Filters
from storage import Store, open_store

__all__ = [
    "TTL",
    "alerts",
    "communities",
    "count_mentions",
    "current_model_version",
    "engine",
    "languages",
    "mentions_by_id",
    "newest_mention_day",
    "search_mentions",
    "source_health",
    "store",
    "store_ready",
]

#: How long a query result is reused before the store is read again.
TTL = timedelta(minutes=5)


@st.cache_resource(show_spinner=False)
def store(url: str) -> Store:
    """One store (and its connection pool) per database URL for the whole server process.

    Never migrated from here: the app only reads, and creating tables is ``grapevine init``'s
    job, not a side effect of opening a dashboard.
    """
    return open_store(url, migrate=False)


def engine(url: str) -> Engine:
    return store(url).engine


@st.cache_data(ttl=timedelta(seconds=30), show_spinner=False)
def store_ready(url: str) -> bool:
    """Whether the store exists and has its tables; a missing SQLite file is not created."""
    parsed = make_url(url)
    database = parsed.database
    on_disk = parsed.get_backend_name() == "sqlite" and database and database != ":memory:"
    if on_disk and not Path(str(database)).exists():
        return False
    return queries.store_ready(engine(url))


@st.cache_data(ttl=TTL, show_spinner=False)
def current_model_version(url: str) -> str | None:
    with engine(url).connect() as conn:
        return queries.current_model_version(conn)


@st.cache_data(ttl=TTL, show_spinner=False)
def newest_mention_day(url: str, brand: str) -> date | None:
    with engine(url).connect() as conn:
        return queries.newest_mention_day(conn, brand)


@st.cache_data(ttl=TTL, show_spinner=False)
def languages(url: str, filters: Filters) -> list[str]:
    with engine(url).connect() as conn:
        version = queries.current_model_version(conn)
        return queries.languages(conn, filters, version)


@st.cache_data(ttl=TTL, show_spinner=False)
def communities(url: str, filters: Filters) -> list[str]:
    with engine(url).connect() as conn:
        return queries.communities(conn, filters)


@st.cache_data(ttl=TTL, show_spinner=False)
def count_mentions(url: str, query: queries.MentionQuery) -> int:
    with engine(url).connect() as conn:
        return queries.count_mentions(conn, query)


@st.cache_data(ttl=TTL, show_spinner=False)
def search_mentions(
    url: str, query: queries.MentionQuery, offset: int, limit: int
) -> list[queries.MentionRow]:
    with engine(url).connect() as conn:
        return queries.search_mentions(conn, query, offset=offset, limit=limit)


@st.cache_data(ttl=timedelta(seconds=30), show_spinner=False)
def source_health(
    url: str, sources: tuple[tuple[str, queries.SourceSchedule], ...], now: datetime
) -> list[queries.SourceHealth]:
    """Source health changes with every run, so it is cached for seconds, not minutes
    (``now`` should be rounded by the caller, or every rerun misses the cache)."""
    with engine(url).connect() as conn:
        return queries.source_health(conn, dict(sources), now)


@st.cache_data(ttl=TTL, show_spinner=False)
def mentions_by_id(url: str, ids: tuple[int, ...]) -> list[queries.MentionRow]:
    with engine(url).connect() as conn:
        return queries.mentions_by_id(conn, ids)


@st.cache_data(ttl=timedelta(seconds=30), show_spinner=False)
def alerts(url: str, brands: tuple[str, ...] | None, limit: int) -> list[AlertRecord]:
    """The newest alerts of ``brands`` (None: all) with their deliveries, newest first.

    Cached for seconds: a delivery that just failed is what the Alerts page is for, and the
    outbox retries every minute, so a five-minute-old status would mislead.
    """
    if brands is None:
        return list_alerts(store(url), limit=limit)
    found = [a for brand in brands for a in list_alerts(store(url), limit=limit, brand=brand)]
    found.sort(key=lambda a: (a.fired_at, a.id), reverse=True)
    return found[:limit]
