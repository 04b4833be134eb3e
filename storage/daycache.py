"""Which days changed: the generation counter behind the scoring figures' per-day cache.

A figure over 30 days is a sum of 30 daily parts (counts and sums add up), and a day in the
past rarely changes, so the scoring layer (``scoring/daily.py``) keeps each query's grouped
rows per UTC day in ``figure_days`` and recomputes only the days that changed. "Changed"
must hold with any number of writers on any number of machines: every write that can move
a figure over a day raises that day's counter in ``day_generations`` *in its own
transaction* (:func:`touch_days`), and a cached day is used only while the counter still
reads the generation it was computed at.

Why a counter and not a change log: the writer's upsert holds the counter's row lock until
it commits, so a reader that read generation *g* and then, in a later statement, the data,
saw everything written up to *g* (a newer write only makes the entry look stale, never
fresh). Numbers from a sequence would let an early-numbered, late-committing write slip
past a reader. Writers raise their days after writing their rows, in day order, so two
writers never wait on each other's counters in opposite orders.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime

from sqlalchemy import Connection, Engine, delete, exists, func, select
from sqlalchemy.exc import SQLAlchemyError

from storage import schema
from storage.upsert import upsert_statement

__all__ = [
    "Post",
    "affected_days",
    "answered_days",
    "as_date",
    "cached_days",
    "clear",
    "day_of",
    "drop_days",
    "drop_stale",
    "generations",
    "save_days",
    "touch_days",
    "touch_mentions",
]

log = logging.getLogger(__name__)

#: A post as :func:`answered_days` needs it: (source, external_id, parent_id, thread_id).
Post = tuple[str, str, str | None, str | None]

G = schema.day_generations
F = schema.figure_days
M = schema.mentions
X = schema.matches

#: How long a reader waits for SQLite's write lock to store a cache entry; on a busy store it
#: skips the write (the figure is still right, only recomputed next time).
SQLITE_CACHE_WAIT_MS = 250


def day_of(when: datetime) -> date:
    """The UTC calendar day of a timestamp (a naive one is UTC already)."""
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    return when.date()


def touch_days(conn: Connection, days: Iterable[date]) -> None:
    """Raise the generation of each of ``days``, in ``conn``'s transaction, in day order."""
    ordered = sorted(set(days))
    if not ordered:
        return
    stmt = upsert_statement(conn, G)
    stmt = stmt.on_conflict_do_update(
        index_elements=[G.c.day], set_={"generation": G.c.generation + 1}
    )
    conn.execute(stmt, [{"day": d, "generation": 1} for d in ordered])


def affected_days(conn: Connection, ids: Sequence[int]) -> set[date]:
    """The days whose figures a write to mentions ``ids`` can move: each mention's own day,
    and for a post by an own account the days :func:`answered_days` names."""
    days: set[date] = set()
    own_posts: list[Post] = []
    is_own = exists().where(X.c.mention_id == M.c.id, X.c.role == "own")
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        rows = conn.execute(
            select(
                M.c.created_at,
                M.c.source,
                M.c.external_id,
                M.c.parent_id,
                M.c.thread_id,
                is_own.label("own"),
            ).where(M.c.id.in_(chunk))
        )
        for r in rows:
            days.add(day_of(r.created_at))
            if r.own:
                own_posts.append((r.source, r.external_id, r.parent_id, r.thread_id))
    return days | answered_days(conn, own_posts)


def answered_days(conn: Connection, own_posts: Sequence[Post]) -> set[date]:
    """For posts by own accounts (answers), the days of the stored posts they answer (their
    ``parent_id`` and ``thread_id``: those are now replied to) and of the stored replies to
    them (they now reply to an own post): hotspots and complaints count both."""
    days: set[date] = set()
    for source in sorted({p[0] for p in own_posts}):
        posts = [p for p in own_posts if p[0] == source]
        answered = sorted({t for p in posts for t in (p[2], p[3]) if t is not None})
        mine = sorted({p[1] for p in posts})
        for column, values in ((M.c.external_id, answered), (M.c.parent_id, mine)):
            for start in range(0, len(values), 500):
                found = conn.execute(
                    select(M.c.created_at).where(
                        M.c.source == source, column.in_(values[start : start + 500])
                    )
                )
                days.update(day_of(c) for (c,) in found)
    return days


def touch_mentions(conn: Connection, ids: Sequence[int]) -> None:
    """:func:`touch_days` for every day a write to mentions ``ids`` can move."""
    touch_days(conn, affected_days(conn, ids))


def generations(conn: Connection, first: date, last: date) -> dict[date, int]:
    """Each day's generation from ``first`` to ``last`` (inclusive); a missing day is 0."""
    rows = conn.execute(select(G.c.day, G.c.generation).where(G.c.day >= first, G.c.day <= last))
    return {as_date(d): int(g) for d, g in rows}


def cached_days(conn: Connection, key: str, first: date, last: date) -> dict[date, tuple[int, str]]:
    """The stored ``(generation, rows as JSON)`` of figure ``key`` per day, first to last."""
    rows = conn.execute(
        select(F.c.day, F.c.generation, F.c.rows).where(
            F.c.key == key, F.c.day >= first, F.c.day <= last
        )
    )
    return {as_date(d): (int(g), str(r)) for d, g, r in rows}


def save_days(engine: Engine, key: str, entries: Mapping[date, tuple[int, str]]) -> bool:
    """Store figure ``key``'s rows per day, each with the generation it was computed at.

    Best effort, in a short transaction of its own (the caller may be reading in a long
    one): on a read-only or busy store nothing is stored and the figure is simply computed
    again next time. A newer generation already stored is never replaced by an older one.
    """
    if not entries:
        return True
    rows = [
        {"key": key, "day": d, "generation": g, "rows": r} for d, (g, r) in sorted(entries.items())
    ]
    try:
        with engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                waited = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
                conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_CACHE_WAIT_MS}")
            try:
                stmt = upsert_statement(conn, F)
                stmt = stmt.on_conflict_do_update(
                    index_elements=[F.c.key, F.c.day],
                    set_={"generation": stmt.excluded.generation, "rows": stmt.excluded.rows},
                    where=F.c.generation <= stmt.excluded.generation,
                )
                conn.execute(stmt, rows)
                conn.commit()
            finally:
                if sqlite:
                    conn.rollback()
                    conn.exec_driver_sql(f"PRAGMA busy_timeout={int(waited or 0)}")
    except SQLAlchemyError as exc:
        log.debug("figure cache not stored (%s): %s", key[:12], type(exc).__name__)
        return False
    return True


def clear(conn: Connection, before: date | None = None) -> None:
    """Forget every stored figure day, or those before ``before`` (retention: nobody looks
    there any more). The generations stay: a day's counter never goes back, so a row a
    reader stores meanwhile can never pass for current."""
    conn.execute(delete(F) if before is None else delete(F).where(F.c.day < before))


def drop_days(conn: Connection, days: Iterable[date]) -> None:
    """Delete every stored figure row of ``days``, whatever its key: after a deletion
    (``grapevine forget``) no stored row may still name what was deleted."""
    ordered = sorted(set(days))
    for start in range(0, len(ordered), 500):
        conn.execute(delete(F).where(F.c.day.in_(ordered[start : start + 500])))


def drop_stale(conn: Connection) -> int:
    """Delete the stored figure rows whose day has changed since (never read again), so
    none outlives the data it was computed from. Returns how many went."""
    current = select(G.c.generation).where(G.c.day == F.c.day).scalar_subquery()
    done = conn.execute(delete(F).where(F.c.generation != func.coalesce(current, 0)))
    return int(done.rowcount or 0)


def as_date(value: object) -> date:
    """A day as a driver returns it (a date, a datetime, or SQLite's 'YYYY-MM-DD' text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
