"""A figure over a period as the sum of its days, each day computed once until it changes.

Every scoring query that groups and counts (volume, sentiment, complaints, communities…)
gives the same answer over 30 days as the sum of its answers over each of the 30 days. The
days of the past rarely change, so :func:`per_day` keeps a query's grouped rows per UTC day
(``figure_days``) and runs the query again only for the days a write has touched since
(``day_generations``; ``storage/daycache.py`` says how writers keep that true). On a store
of millions of mentions a page then reads a few hundred stored rows and recomputes
today, instead of re-reading half a million joined rows per view.

A query served here must return rows whose first column is the UTC day of the row's
mentions (``day_bucket``), and only rows inside the window it is given. Rows come back as
JSON values (days and timestamps as ISO text, numbers as int or float) whether they were
stored or just computed, so a figure is the same either way. A window that starts or ends
inside a day computes those part-days directly; a text search is never stored (``key``
None): row filters beyond the sidebar's stay live.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from scoring.records import MentionFilters, Period
from storage import daycache

__all__ = ["CACHE_VERSION", "Compute", "figure_key", "per_day", "scope_key"]

#: Part of every key: raise it when a stored query's rows change meaning, so no row stored
#: by an older Grapevine is read as a newer one's.
CACHE_VERSION = "1"

Compute = Callable[[Period], Iterable[Sequence[Any]]]


def figure_key(name: str, *parts: Any) -> str:
    """The cache key of query ``name`` under ``parts`` (settings, brand, filters, version…):
    anything that changes its rows must be among the parts."""
    blob = json.dumps([CACHE_VERSION, name, *parts], sort_keys=True, default=_encode)
    return hashlib.sha256(blob.encode()).hexdigest()


def scope_key(name: str, filters: MentionFilters, *parts: Any) -> str | None:
    """:func:`figure_key` for a query narrowed by ``filters``; None (compute, never store)
    when they search the text: free text makes every key new."""
    if filters.text.strip():
        return None
    return figure_key(name, dataclasses.asdict(filters), *parts)


def per_day(
    conn: Connection,
    key: str | None,
    window: Period,
    compute: Compute,
) -> list[list[Any]]:
    """``compute``'s rows over ``window``, each whole UTC day read from the store when it
    has not changed since it was stored, else computed (and stored).

    A day to compute is asked for on its own, never as part of a longer window: the work of
    one query stays bounded by a day's mentions however many days are missing (the sets a
    query builds, e.g. the day's own posts, stay small enough for the database to hash), and
    a query may rank within its window (a top-N per day).
    """
    if key is None:
        return _plain(compute(window))
    first = _midnight_after(window.start)
    last = _midnight_before(window.end)
    if first >= last:
        return _plain(compute(window))
    out: list[list[Any]] = []
    if window.start < first:
        out += _plain(compute(Period(window.start, first)))
    if last < window.end:
        out += _plain(compute(Period(last, window.end)))
    days = [first.date() + timedelta(days=i) for i in range((last - first).days)]
    generations = daycache.generations(conn, days[0], days[-1])
    stored = daycache.cached_days(conn, key, days[0], days[-1])
    stale: list[date] = []
    for day in days:
        found = stored.get(day)
        if found is not None and found[0] == generations.get(day, 0):
            out += json.loads(found[1])
        else:
            stale.append(day)
    fresh: dict[date, tuple[int, str]] = {}
    for day in stale:
        rows = _plain(compute(Period(_at_midnight(day), _at_midnight(day + _DAY))))
        fresh[day] = (generations.get(day, 0), json.dumps(rows))
        out += rows
    daycache.save_days(conn.engine, key, fresh)
    return out


_DAY = timedelta(days=1)


def _at_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _midnight_before(when: datetime) -> datetime:
    return _at_midnight(when.astimezone(UTC).date())


def _midnight_after(when: datetime) -> datetime:
    floor = _midnight_before(when)
    return floor if floor == when else floor + _DAY


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not stored in the figure cache")


def _plain(rows: Iterable[Sequence[Any]]) -> list[list[Any]]:
    """Rows as the JSON values the cache gives back, so stored and computed rows agree."""
    plain: list[list[Any]] = json.loads(json.dumps([list(r) for r in rows], default=_encode))
    return plain
