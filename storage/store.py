"""The store: every read and write of mentions, matches, cursors and runs goes through here.

Collectors never see it. The engine hands it one page at a time; :meth:`Store.save_page`
writes the page's mentions, their brand matches and the advanced cursor in a single
transaction, so a crash at any point leaves the database at a page boundary: nothing lost,
nothing duplicated (the natural key ``(source, external_id)`` is upserted).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, create_engine, event, func, insert, select, update
from sqlalchemy.engine import make_url

from grapevine.mention import Cursor, Mention
from storage import schema

__all__ = ["Match", "RunCounters", "Store", "database_url_for_display", "open_store"]

_MIGRATIONS = Path(__file__).with_name("migrations")
_ENGAGEMENT = ("score", "comments", "answers", "rating", "helpful_votes")


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
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


class Store:
    """A handle on the database; cheap to create, safe to share within a process."""

    def __init__(self, engine: Engine, clock: Any = _utcnow) -> None:
        self.engine = engine
        self._now = clock

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
        if not unique:
            return 0, 0
        by_source: dict[str, list[str]] = {}
        for source, external_id in unique:
            by_source.setdefault(source, []).append(external_id)
        existing: dict[tuple[str, str], tuple[int, bool]] = {}
        for source, ids in by_source.items():
            for chunk in _chunks(ids, 500):
                rows = conn.execute(
                    select(m.c.id, m.c.external_id, m.c.deleted).where(
                        m.c.source == source, m.c.external_id.in_(chunk)
                    )
                )
                for row in rows:
                    existing[(source, row.external_id)] = (row.id, row.deleted)
        fresh = [mention for key, mention in unique.items() if key not in existing]
        if fresh:
            conn.execute(insert(m), [_row(mention, now) for mention in fresh])
            for source in {x.source for x in fresh}:
                ids = [x.external_id for x in fresh if x.source == source]
                for chunk in _chunks(ids, 500):
                    rows = conn.execute(
                        select(m.c.id, m.c.external_id).where(
                            m.c.source == source, m.c.external_id.in_(chunk)
                        )
                    )
                    for row in rows:
                        existing[(source, row.external_id)] = (row.id, False)
        for key, mention in unique.items():
            if key in existing and mention not in fresh:
                mention_id, was_deleted = existing[key]
                values: dict[str, Any] = {f: getattr(mention, f) for f in _ENGAGEMENT}
                values = {k: v for k, v in values.items() if v is not None}
                values["updated_at"] = now
                values["deleted"] = was_deleted or mention.deleted
                conn.execute(update(m).where(m.c.id == mention_id).values(**values))
        match_rows = []
        for key, mention in unique.items():
            for match in matched.get(key, ()):
                match_rows.append(
                    {
                        "mention_id": existing[key][0],
                        "brand": match.brand,
                        "role": match.role,
                        "created_at": mention.created_at,
                    }
                )
        if match_rows:
            self._insert_ignore(conn, schema.matches, match_rows)
        return len(fresh), len(unique) - len(fresh)

    def _insert_ignore(self, conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
        if conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            conn.execute(pg_insert(table).on_conflict_do_nothing(), rows)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            conn.execute(sqlite_insert(table).on_conflict_do_nothing(), rows)

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
        done = conn.execute(
            update(schema.cursors)
            .where(c.source == source, c.scope == scope)
            .values(cursor=cursor, updated_at=now)
        )
        if done.rowcount == 0:
            conn.execute(
                insert(schema.cursors).values(
                    source=source, scope=scope, cursor=cursor, updated_at=now
                )
            )

    # --- runs ----------------------------------------------------------------------------

    def start_run(self, source: str, scope: str, *, replay: bool = False) -> int:
        with self.engine.begin() as conn:
            result = conn.execute(
                insert(schema.runs).values(
                    source=source,
                    scope=scope,
                    started_at=self._now(),
                    status="running",
                    new=0,
                    duplicates=0,
                    skipped=0,
                    errors=0,
                    rate_limit_waits=0,
                    waited_seconds=0.0,
                    replay=replay,
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def finish_run(
        self, run_id: int, status: str, counters: RunCounters, message: str | None = None
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(schema.runs)
                .where(schema.runs.c.id == run_id)
                .values(
                    finished_at=self._now(),
                    status=status,
                    message=message,
                    **dataclasses.asdict(counters),
                )
            )

    def close_abandoned_runs(self) -> int:
        """Mark runs left 'running' by a killed process as interrupted."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(schema.runs)
                .where(schema.runs.c.status == "running")
                .values(
                    status="interrupted",
                    finished_at=self._now(),
                    message="the process stopped before the run finished",
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

    # --- installation metadata -----------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(schema.meta.c.value).where(schema.meta.c.key == key)
            ).scalar_one_or_none()

    def set_meta_once(self, key: str, value: str) -> str:
        """Store ``value`` under ``key`` unless one is there already; return what is stored."""
        with self.engine.begin() as conn:
            current = conn.execute(
                select(schema.meta.c.value).where(schema.meta.c.key == key)
            ).scalar_one_or_none()
            if current is not None:
                return str(current)
            conn.execute(insert(schema.meta).values(key=key, value=value))
            return value


def _row(mention: Mention, now: datetime) -> dict[str, Any]:
    row = {f.name: getattr(mention, f.name) for f in dataclasses.fields(mention)}
    row["kind"] = str(mention.kind)
    row["raw"] = dict(mention.raw)
    row["collected_at"] = now
    row["updated_at"] = now
    return row


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def open_store(url: str, *, migrate: bool = True) -> Store:
    """Open (and by default migrate) the store at ``url``."""
    store = Store(make_engine(url))
    if migrate:
        store.migrate()
    return store
