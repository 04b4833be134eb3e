"""The store: every read and write of mentions, matches, cursors and runs goes through here.

Collectors never see it. The engine hands it one page at a time; :meth:`Store.save_page`
writes the page's mentions, their brand matches and the advanced cursor in a single
transaction, so a crash at any point leaves the database at a page boundary: nothing lost,
nothing duplicated (the natural key ``(source, external_id)`` is upserted).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
import socket
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    create_engine,
    delete,
    event,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.engine import make_url

from core.mention import Cursor, Mention
from storage import daycache, keys, schema
from storage.upsert import upsert_statement

__all__ = [
    "HEARTBEAT_EVERY",
    "HEARTBEAT_EXPIRES",
    "Match",
    "RunCounters",
    "Store",
    "database_url_for_display",
    "one_line",
    "open_store",
    "upsert_statement",
    "worker_id",
]

log = logging.getLogger(__name__)

_MIGRATIONS = Path(__file__).with_name("migrations")
_ENGAGEMENT = ("score", "comments", "answers", "rating", "helpful_votes")

#: how often a process refreshes the heartbeat of the runs it owns
HEARTBEAT_EVERY = timedelta(seconds=30)
#: a running run whose heartbeat is older than this belongs to a dead process
HEARTBEAT_EXPIRES = timedelta(seconds=120)


@dataclasses.dataclass(frozen=True, slots=True)
class Match:
    """A mention matched a brand's query (``role='brand'``) or only its category query."""

    brand: str
    role: str = "brand"


@dataclasses.dataclass(slots=True)
class RunCounters:
    """What one collector run did; written to ``runs`` and read by ``grapevine status``."""

    new: int = 0
    duplicates: int = 0
    skipped: int = 0
    errors: int = 0
    rate_limit_waits: int = 0
    waited_seconds: float = 0.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


def worker_id() -> str:
    """Who owns a run: ``host:pid:random``, unique across machines and pid reuse."""
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{secrets.token_hex(3)}"


def database_url_for_display(url: str) -> str:
    """The URL with any password masked, for logs and the app."""
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # A SQLite URI ("file:...?mode=ro&uri=true") names no directory to create: made
        # from it, "file:/tmp/x.db" would become a folder "file:" in the working directory.
        uri = str(parsed.query.get("uri", "")).lower() in ("true", "1")
        if parsed.database and parsed.database != ":memory:" and not uri:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


class Store:
    """A handle on the database; cheap to create, safe to share within a process."""

    def __init__(
        self,
        engine: Engine,
        clock: Any = _utcnow,
        *,
        worker: str | None = None,
        heartbeat_every: timedelta = HEARTBEAT_EVERY,
    ) -> None:
        self.engine = engine
        self._now = clock
        #: the owner written on every run this handle starts
        self.worker = worker or worker_id()
        self._heartbeat_every = heartbeat_every
        self._live_runs: set[int] = set()
        self._live_lock = threading.Lock()
        self._beating: threading.Thread | None = None

    # --- schema --------------------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the schema up to date (idempotent)."""
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(_MIGRATIONS))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        if self.engine.dialect.name == "sqlite":
            # Fresh statistics keep SQLite's planner on the indexes the scoring queries need;
            # analysis_limit bounds the cost on a large store to a fraction of a second.
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA analysis_limit=1000")
                conn.exec_driver_sql("PRAGMA optimize")

    # --- mentions ------------------------------------------------------------------------

    def save_page(
        self,
        mentions: Sequence[Mention],
        matched: Mapping[tuple[str, str], Iterable[Match]],
        *,
        cursor: tuple[str, str, Cursor] | None = None,
    ) -> tuple[int, int]:
        """Upsert ``mentions`` with their ``matched`` brands and, in the same transaction,
        the ``(source, scope, cursor)`` to resume from. Returns ``(new, duplicates)``.

        An existing mention gets its engagement counts refreshed; a mention once marked
        deleted upstream stays deleted.
        """
        now = self._now()
        with self.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                # One writer at a time: take the write lock first (waiting up to the busy
                # timeout), so what this transaction reads cannot go stale before it writes.
                _begin_immediate(conn)
            new, dupes = self._upsert(conn, mentions, matched, now)
            if cursor is not None:
                self._put_cursor(conn, *cursor, now)
        return new, dupes

    def _upsert(
        self,
        conn: Connection,
        mentions: Sequence[Mention],
        matched: Mapping[tuple[str, str], Iterable[Match]],
        now: datetime,
    ) -> tuple[int, int]:
        m = schema.mentions
        unique: dict[tuple[str, str], Mention] = {}
        for mention in mentions:
            unique[mention.key] = mention  # the last copy in a page wins
        unique = self._drop_forgotten(conn, unique)  # grapevine forget: never stored again
        if not unique:
            return 0, 0
        # One INSERT … ON CONFLICT (source, external_id) DO UPDATE: any number of processes
        # may save overlapping pages at once. Rows go in key order, so two writers lock them
        # in the same order and cannot deadlock.
        keys_ = sorted(unique)
        existing: set[tuple[str, str]] = set()
        if conn.dialect.name != "postgresql":  # under the write lock taken in save_page
            for source in sorted({k[0] for k in keys_}):
                ids_ = [k[1] for k in keys_ if k[0] == source]
                for chunk in _chunks(ids_, 500):
                    found = conn.execute(
                        select(m.c.external_id).where(
                            m.c.source == source, m.c.external_id.in_(chunk)
                        )
                    )
                    existing.update((source, external_id) for (external_id,) in found)
        stmt = upsert_statement(conn, m)
        refreshed: dict[str, Any] = {
            field: func.coalesce(stmt.excluded[field], m.c[field]) for field in _ENGAGEMENT
        }
        refreshed["updated_at"] = stmt.excluded.updated_at
        refreshed["deleted"] = or_(m.c.deleted, stmt.excluded.deleted)  # deleted stays deleted
        stmt = stmt.on_conflict_do_update(
            index_elements=[m.c.source, m.c.external_id], set_=refreshed
        )
        returning: list[Any] = [m.c.id, m.c.source, m.c.external_id]
        if conn.dialect.name == "postgresql":
            # xmax is 0 on a row this statement inserted, the locker's id on one it updated
            returning.append(literal_column("(xmax = 0)").label("inserted"))
        ids: dict[tuple[str, str], int] = {}
        new = 0
        for chunk_keys in _chunks(keys_, 500):
            rows = conn.execute(
                stmt.returning(*returning), [_row(unique[key], now) for key in chunk_keys]
            )
            for row in rows:
                ids[(row.source, row.external_id)] = int(row.id)
                if conn.dialect.name == "postgresql":
                    new += bool(row.inserted)
        if conn.dialect.name != "postgresql":
            new = sum(1 for key in keys_ if key not in existing)
        match_rows = [
            {
                "mention_id": ids[key],
                "brand": match.brand,
                "role": match.role,
                "created_at": unique[key].created_at,
            }
            for key in keys_
            for match in matched.get(key, ())
        ]
        if match_rows:
            self._insert_ignore(conn, schema.matches, match_rows)
        # Last, in day order: the figures over these days (and, for answers, over the days
        # of the posts they answer) are recomputed; see storage/daycache.py.
        answers = [
            (m.source, m.external_id, m.parent_id, m.thread_id)
            for key, m in unique.items()
            if any(match.role == "own" for match in matched.get(key, ()))
        ]
        days = {daycache.day_of(m.created_at) for m in unique.values()}
        daycache.touch_days(conn, days | daycache.answered_days(conn, answers))
        return new, len(unique) - new

    def _insert_ignore(self, conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
        conn.execute(upsert_statement(conn, table).on_conflict_do_nothing(), rows)

    def count_mentions(self, source: str | None = None) -> int:
        stmt = select(func.count()).select_from(schema.mentions)
        if source is not None:
            stmt = stmt.where(schema.mentions.c.source == source)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def iter_mentions(self, source: str | None = None) -> Iterator[dict[str, Any]]:
        stmt = select(schema.mentions).order_by(schema.mentions.c.id)
        if source is not None:
            stmt = stmt.where(schema.mentions.c.source == source)
        with self.engine.connect() as conn:
            for row in conn.execute(stmt):
                yield dict(row._mapping)

    # --- cursors -------------------------------------------------------------------------

    def get_cursor(self, source: str, scope: str) -> Cursor | None:
        c = schema.cursors.c
        with self.engine.connect() as conn:
            value = conn.execute(
                select(c.cursor).where(c.source == source, c.scope == scope)
            ).scalar_one_or_none()
        return dict(value) if value is not None else None

    def put_cursor(self, source: str, scope: str, cursor: Cursor) -> None:
        with self.engine.begin() as conn:
            self._put_cursor(conn, source, scope, cursor, self._now())

    def _put_cursor(
        self, conn: Connection, source: str, scope: str, cursor: Cursor, now: datetime
    ) -> None:
        c = schema.cursors.c
        stmt = upsert_statement(conn, schema.cursors).values(
            source=source, scope=scope, cursor=cursor, updated_at=now
        )
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[c.source, c.scope],
                set_={"cursor": stmt.excluded.cursor, "updated_at": stmt.excluded.updated_at},
            )
        )

    # --- runs ----------------------------------------------------------------------------

    def start_run(self, source: str, scope: str, *, replay: bool = False) -> int:
        """Record a run owned by this process; its heartbeat is refreshed until it ends."""
        now = self._now()
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(schema.runs).values(
                    source=source,
                    scope=scope,
                    started_at=now,
                    status="running",
                    new=0,
                    duplicates=0,
                    skipped=0,
                    errors=0,
                    rate_limit_waits=0,
                    waited_seconds=0.0,
                    replay=replay,
                    worker=self.worker,
                    heartbeat_at=now,
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            run_id = int(key[0])
        with self._live_lock:
            self._live_runs.add(run_id)
        self._start_heartbeat()
        return run_id

    def finish_run(
        self, run_id: int, status: str, counters: RunCounters, message: str | None = None
    ) -> None:
        """Record a run's end. ``message`` is kept to one short line: what went wrong,
        never a SQL statement and its parameters."""
        now = self._now()
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    update(schema.runs)
                    .where(schema.runs.c.id == run_id)
                    .values(
                        finished_at=now,
                        heartbeat_at=now,
                        status=status,
                        message=one_line(message),
                        **dataclasses.asdict(counters),
                    )
                )
        finally:
            with self._live_lock:
                self._live_runs.discard(run_id)

    def heartbeat(self) -> int:
        """Show that this process is alive: refresh the heartbeat of the running runs it
        owns. Returns how many were touched."""
        with self._live_lock:
            live = sorted(self._live_runs)
        if not live:
            return 0
        r = schema.runs.c
        with self.engine.begin() as conn:
            done = conn.execute(
                update(schema.runs)
                .where(r.id.in_(live), r.worker == self.worker, r.status == "running")
                .values(heartbeat_at=self._now())
            )
            return int(done.rowcount or 0)

    def _start_heartbeat(self) -> None:
        with self._live_lock:
            if self._beating is not None:
                return
            self._beating = threading.Thread(
                target=self._beat, name="grapevine-run-heartbeat", daemon=True
            )
            self._beating.start()

    def _beat(self) -> None:
        """The heartbeat thread: alive while this handle owns running runs."""
        pause = threading.Event()  # never set: a wait that is not a sleep in the main thread
        while True:
            pause.wait(self._heartbeat_every.total_seconds())
            with self._live_lock:
                if not self._live_runs:
                    self._beating = None
                    return
            try:
                self.heartbeat()
            except Exception as exc:  # a busy or unreachable store: try again next beat
                log.warning("could not refresh the runs' heartbeat: %s", _first_line(exc))

    def close_abandoned_runs(self, expired_after: timedelta = HEARTBEAT_EXPIRES) -> int:
        """Mark as interrupted the runs a dead process left 'running': those whose heartbeat
        is older than ``expired_after`` (or that have none, from before 0003_workers). Runs
        that live processes, here or on other machines, are executing stay open."""
        r = schema.runs.c
        now = self._now()
        with self.engine.begin() as conn:
            done = conn.execute(
                update(schema.runs)
                .where(r.status == "running")
                .where(or_(r.heartbeat_at.is_(None), r.heartbeat_at < now - expired_after))
                .values(
                    status="interrupted",
                    finished_at=now,
                    message="the process running it stopped (no heartbeat for "
                    f"{int(expired_after.total_seconds())} s)",
                )
            )
            return int(done.rowcount or 0)

    def latest_runs(self) -> list[dict[str, Any]]:
        """The newest run of every (source, scope)."""
        r = schema.runs
        newest = select(func.max(r.c.id).label("id")).group_by(r.c.source, r.c.scope).subquery()
        stmt = select(r).join(newest, r.c.id == newest.c.id).order_by(r.c.source, r.c.scope)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(stmt)]

    def source_totals(self) -> dict[str, int]:
        m = schema.mentions
        with self.engine.connect() as conn:
            rows = conn.execute(select(m.c.source, func.count()).group_by(m.c.source))
            return {source: int(n) for source, n in rows}

    # --- freshness (read only) -------------------------------------------------------------

    def newest_mentions(self) -> dict[tuple[str, str], datetime]:
        """The newest ``created_at`` stored per (source, brand), any role: how fresh each
        collection job's data is (read by :mod:`grapevine.freshness`)."""
        m, t = schema.mentions, schema.matches
        stmt = (
            select(m.c.source, t.c.brand, func.max(m.c.created_at))
            .join(t, t.c.mention_id == m.c.id)
            .group_by(m.c.source, t.c.brand)
        )
        with self.engine.connect() as conn:
            return {(source, brand): newest for source, brand, newest in conn.execute(stmt)}

    def all_cursors(self) -> dict[tuple[str, str], Cursor]:
        """Every stored cursor by (source, scope), for progress displays."""
        c = schema.cursors.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(c.source, c.scope, c.cursor))
            return {(source, scope): dict(cursor) for source, scope, cursor in rows if cursor}

    # --- installation metadata -----------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(schema.meta.c.value).where(schema.meta.c.key == key)
            ).scalar_one_or_none()

    def set_meta_once(self, key: str, value: str) -> str:
        """Store ``value`` under ``key`` unless one is there already; return what is stored."""
        with self.engine.begin() as conn:
            conn.execute(
                upsert_statement(conn, schema.meta)
                .values(key=key, value=value)
                .on_conflict_do_nothing(index_elements=[schema.meta.c.key])
            )
            stored = conn.execute(
                select(schema.meta.c.value).where(schema.meta.c.key == key)
            ).scalar_one()
            return str(stored)

    # --- privacy: accounts, login failures, forgetting, retention ------------------------

    def delete_meta(self, key: str) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(delete(schema.meta).where(schema.meta.c.key == key))
            return bool(done.rowcount)

    def get_user(self, username: str) -> dict[str, Any] | None:
        u = schema.users
        with self.engine.connect() as conn:
            row = conn.execute(select(u).where(u.c.username == username)).first()
        return dict(row._mapping) if row is not None else None

    def list_users(self) -> list[dict[str, Any]]:
        u = schema.users
        stmt = select(u.c.username, u.c.role, u.c.created_at, u.c.updated_at).order_by(u.c.username)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(stmt)]

    def count_users(self) -> int:
        with self.engine.connect() as conn:
            stmt = select(func.count()).select_from(schema.users)
            return int(conn.execute(stmt).scalar_one())

    def put_user(self, username: str, password_hash: str, role: str) -> bool:
        """Create the account or replace its password and role; True when it is new."""
        u = schema.users
        now = self._now()
        with self.engine.begin() as conn:
            # insert first (a second `users add` of the same name races harmlessly), then
            # update the account that was already there
            created = conn.execute(
                upsert_statement(conn, u)
                .values(
                    username=username,
                    password_hash=password_hash,
                    role=role,
                    created_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing(index_elements=["username"])
            )
            if created.rowcount:
                return True
            conn.execute(
                update(u)
                .where(u.c.username == username)
                .values(password_hash=password_hash, role=role, updated_at=now)
            )
            return False

    def delete_user(self, username: str) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(delete(schema.users).where(schema.users.c.username == username))
            conn.execute(
                delete(schema.login_failures).where(schema.login_failures.c.username == username)
            )
            return bool(done.rowcount)

    def record_login_failure(self, username: str, at: datetime, *, keep_after: datetime) -> None:
        """One failed login for ``username`` at ``at``; failures older than ``keep_after`` go."""
        f = schema.login_failures
        with self.engine.begin() as conn:
            conn.execute(delete(f).where(f.c.failed_at < keep_after))
            conn.execute(insert(f).values(username=username, failed_at=at))

    def login_failures_since(self, username: str, since: datetime) -> int:
        f = schema.login_failures
        stmt = select(func.count()).where(f.c.username == username, f.c.failed_at >= since)
        with self.engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())

    def clear_login_failures(self, username: str) -> None:
        f = schema.login_failures
        with self.engine.begin() as conn:
            conn.execute(delete(f).where(f.c.username == username))

    def add_tombstones(self, kind: str, digests: Iterable[str]) -> int:
        rows = [
            {"kind": kind, "digest": d, "forgotten_at": self._now()} for d in sorted(set(digests))
        ]
        if not rows:
            return 0
        with self.engine.begin() as conn:
            self._insert_ignore(conn, schema.tombstones, rows)
        return len(rows)

    def count_tombstones(self) -> int:
        with self.engine.connect() as conn:
            stmt = select(func.count()).select_from(schema.tombstones)
            return int(conn.execute(stmt).scalar_one())

    def mention_ids_by_author(self, source: str, author: str) -> list[int]:
        """The ids of ``author``'s mentions on ``source`` (handles compared case-insensitively,
        with or without a leading ``@``)."""
        m = schema.mentions
        handle = author.strip().lstrip("@").lower()
        stmt = select(m.c.id).where(
            m.c.source == source,
            func.lower(func.ltrim(m.c.author, "@")) == handle,
        )
        with self.engine.connect() as conn:
            return [int(x) for x in conn.execute(stmt).scalars()]

    def mention_keys(self, ids: Sequence[int]) -> list[tuple[int, str, str, str | None]]:
        """``(id, source, external_id, author)`` of each of ``ids`` that exists."""
        m = schema.mentions
        found: list[tuple[int, str, str, str | None]] = []
        with self.engine.connect() as conn:
            for chunk in _chunks(list(ids), 500):
                stmt = select(m.c.id, m.c.source, m.c.external_id, m.c.author).where(
                    m.c.id.in_(chunk)
                )
                found += [
                    (int(r.id), r.source, r.external_id, r.author) for r in conn.execute(stmt)
                ]
        return found

    def mention_ids_before(self, cutoff: datetime, limit: int = 5000) -> list[int]:
        """Up to ``limit`` ids of mentions written before ``cutoff``, oldest first."""
        m = schema.mentions
        stmt = select(m.c.id).where(m.c.created_at < cutoff).order_by(m.c.created_at).limit(limit)
        with self.engine.connect() as conn:
            return [int(x) for x in conn.execute(stmt).scalars()]

    def delete_mentions(self, ids: Sequence[int]) -> dict[str, int]:
        """Delete the mentions ``ids`` with their labels and matches, and take them out of
        every stored alert (its examples and the ids it lists), in one transaction.
        Returns what went, per kind."""
        removed = {"mentions": 0, "labels": 0, "matches": 0, "alerts edited": 0}
        wanted = {int(x) for x in ids}
        if not wanted:
            return removed
        with self.engine.begin() as conn:
            days = daycache.affected_days(conn, sorted(wanted))
            for chunk in _chunks(sorted(wanted), 500):
                for name, table, column in (
                    ("labels", schema.labels, schema.labels.c.mention_id),
                    ("matches", schema.matches, schema.matches.c.mention_id),
                    ("mentions", schema.mentions, schema.mentions.c.id),
                ):
                    done = conn.execute(delete(table).where(column.in_(chunk)))
                    removed[name] += int(done.rowcount or 0)
            a = schema.alerts
            for alert_id, payload in conn.execute(select(a.c.id, a.c.payload)).all():
                cleaned = _without_mentions(payload, wanted)
                if cleaned != payload:
                    conn.execute(update(a).where(a.c.id == alert_id).values(payload=cleaned))
                    removed["alerts edited"] += 1
            daycache.touch_days(conn, days)
            daycache.drop_days(conn, days)  # stored figures may name the deleted
        return removed

    def forget_figures_before(self, day: date) -> None:
        """Drop the stored figure days before ``day`` (``storage.daycache``; retention)."""
        with self.engine.begin() as conn:
            daycache.clear(conn, before=day)

    def _drop_forgotten(
        self, conn: Connection, unique: dict[tuple[str, str], Mention]
    ) -> dict[tuple[str, str], Mention]:
        """``unique`` without the mentions of forgotten authors and forgotten mentions.

        Fails closed: with tombstones in the store but no key to compare against, the page
        is refused rather than written (a forgotten person must not come back)."""
        if not unique or conn.execute(select(schema.tombstones.c.digest).limit(1)).first() is None:
            return unique
        key = keys.load_key(self.engine.url.render_as_string(hide_password=False))
        if key is None:
            raise RuntimeError(
                "the store has tombstones of forgotten people but the pseudonym key is "
                "missing, so collected mentions cannot be checked against them; restore "
                f"the key ({keys.KEY_ENV} or the key file) before collecting"
            )
        digest = {
            k: (
                keys.tombstone_digest(key, "mention", m.source, m.external_id),
                keys.tombstone_digest(key, "author", m.source, m.author) if m.author else None,
            )
            for k, m in unique.items()
        }
        wanted = {d for pair in digest.values() for d in pair if d}
        t = schema.tombstones
        dead: set[str] = set()
        for chunk in _chunks(sorted(wanted), 500):
            dead.update(conn.execute(select(t.c.digest).where(t.c.digest.in_(chunk))).scalars())
        return {k: m for k, m in unique.items() if not dead.intersection(digest[k])}


def _row(mention: Mention, now: datetime) -> dict[str, Any]:
    row = {f.name: getattr(mention, f.name) for f in dataclasses.fields(mention)}
    row["kind"] = str(mention.kind)
    row["raw"] = dict(mention.raw)
    row["collected_at"] = now
    row["updated_at"] = now
    return row


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _begin_immediate(conn: Connection) -> None:
    """Start the SQLite transaction holding the write lock (pysqlite begins it lazily, at
    the first write, after reads another writer may already have made stale)."""
    if not conn.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None)
    text = str(original if original is not None else exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__


def one_line(message: str | None, limit: int = 500) -> str | None:
    """A run's message as one short line: the first line, without the SQL statement and
    parameters SQLAlchemy appends (``[SQL: …]``, ``[parameters: …]``), at most ``limit``
    characters."""
    if message is None:
        return None
    text = message.strip().splitlines()
    line = text[0] if text else ""
    for marker in ("[SQL:", "[parameters:", "(Background on this error"):
        cut = line.find(marker)
        if cut >= 0:
            line = line[:cut]
    line = line.strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Open (and by default migrate) the store at ``url``."""
    store = Store(make_engine(url))
    if migrate:
        store.migrate()
    return store


def _without_mentions(payload: Any, ids: set[int]) -> Any:
    """An alert payload with the deleted mentions taken out: its examples, the entries of
    its data that name them, and their ids."""
    if isinstance(payload, dict):
        out: dict[str, Any] = {}
        for k, v in payload.items():
            if k in {"mention_ids", "subjects"} and isinstance(v, list):
                out[k] = [x for x in v if not _names(x, ids)]
            else:
                out[k] = _without_mentions(v, ids)
        return out
    if isinstance(payload, list):
        return [
            _without_mentions(x, ids)
            for x in payload
            if not (isinstance(x, dict) and _names(x.get("mention_id"), ids))
        ]
    return payload


def _names(value: Any, ids: set[int]) -> bool:
    try:
        return int(value) in ids
    except (TypeError, ValueError):
        return False
