from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text

from storage import Match, RunCounters, Store, open_store
from storage.schema import matches, mentions, metadata
from storage.store import one_line
from tests.foundation.helpers import mention

PG_URL = os.environ.get("GRAPEVINE_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, store: Store) -> Iterator[Store]:
    """The same tests on SQLite and, where CI started one, PostgreSQL."""
    if request.param == "sqlite":
        yield store
        return
    if not PG_URL:
        pytest.skip("GRAPEVINE_TEST_POSTGRES_URL not set (.ci/run starts a PostgreSQL)")
    pg = open_store(PG_URL)
    with pg.engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE mentions, matches, labels, cursors, runs, alerts, alert_deliveries, meta RESTART IDENTITY CASCADE"
            )
        )
    yield pg
    pg.engine.dispose()


def test_migrations_produce_exactly_the_schema(any_store: Store) -> None:
    with any_store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_migrate_is_idempotent(store: Store) -> None:
    store.migrate()
    store.migrate()
    assert store.count_mentions() == 0


def test_sqlite_runs_in_wal_mode(store: Store) -> None:
    with store.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_upsert_is_idempotent_and_counts_new_and_duplicates(any_store: Store) -> None:
    page = [mention("1"), mention("2"), mention("2")]  # a repeat inside one page too
    matched = {m.key: [Match("Acme")] for m in page}
    assert any_store.save_page(page, matched) == (2, 0)
    assert any_store.save_page(page, matched) == (0, 2)
    assert any_store.count_mentions() == 2
    with any_store.engine.connect() as conn:
        assert conn.execute(select(matches.c.brand)).scalars().all() == ["Acme", "Acme"]


def test_engagement_refreshes_but_deleted_is_never_resurrected(any_store: Store) -> None:
    any_store.save_page(
        [mention("1", score=1, deleted=True)], {("hackernews", "1"): [Match("Acme")]}
    )
    any_store.save_page(
        [mention("1", score=9, deleted=False)], {("hackernews", "1"): [Match("Acme")]}
    )
    with any_store.engine.connect() as conn:
        row = conn.execute(select(mentions.c.score, mentions.c.deleted)).one()
    assert row.score == 9
    assert row.deleted is True


def test_timestamps_come_back_aware_utc(any_store: Store) -> None:
    created = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    any_store.save_page([mention("1", created_at=created)], {("hackernews", "1"): [Match("Acme")]})
    (row,) = list(any_store.iter_mentions())
    assert row["created_at"] == created
    assert row["created_at"].tzinfo is not None


def test_mentions_and_cursor_commit_together(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_put_cursor", explode)
    with pytest.raises(RuntimeError):
        store.save_page(
            [mention("1")],
            {("hackernews", "1"): [Match("Acme")]},
            cursor=("hackernews", "Acme", {"since": 5}),
        )
    assert store.count_mentions() == 0  # rolled back with the cursor
    monkeypatch.undo()
    store.save_page(
        [mention("1")],
        {("hackernews", "1"): [Match("Acme")]},
        cursor=("hackernews", "Acme", {"since": 5}),
    )
    assert store.count_mentions() == 1
    assert store.get_cursor("hackernews", "Acme") == {"since": 5}


def test_runs_are_recorded_and_abandoned_ones_closed(store: Store) -> None:
    run_id = store.start_run("hackernews", "Acme")
    assert store.close_abandoned_runs(expired_after=timedelta(0)) == 1
    (latest,) = store.latest_runs()
    assert latest["id"] == run_id
    assert latest["status"] == "interrupted"
    assert latest["worker"] == store.worker


def test_only_runs_whose_heartbeat_expired_are_closed(any_store: Store) -> None:
    """Another live process's run stays open; a dead one's is closed once its heartbeat is
    older than the expiry."""
    now = [datetime(2026, 11, 1, 12, 0, tzinfo=UTC)]
    live = Store(any_store.engine, clock=lambda: now[0], worker="live")
    dead = Store(any_store.engine, clock=lambda: now[0], worker="dead")
    live_run = live.start_run("hackernews", "Acme")
    dead_run = dead.start_run("reddit", "Acme")
    dead._live_runs.clear()  # killed: its heartbeat stops
    now[0] += timedelta(seconds=100)
    assert live.heartbeat() == 1
    assert dead.heartbeat() == 0
    other = Store(any_store.engine, clock=lambda: now[0], worker="newcomer")
    assert other.close_abandoned_runs(expired_after=timedelta(seconds=120)) == 0
    now[0] += timedelta(seconds=30)  # dead: 130 s since its last beat, live: 30 s
    assert other.close_abandoned_runs(expired_after=timedelta(seconds=120)) == 1
    runs = {r["id"]: r for r in any_store.latest_runs()}
    assert runs[dead_run]["status"] == "interrupted"
    assert runs[live_run]["status"] == "running"
    live.finish_run(live_run, "ok", RunCounters())
    assert {r["id"]: r["status"] for r in any_store.latest_runs()}[live_run] == "ok"


def test_run_messages_are_one_short_line_without_sql(any_store: Store) -> None:
    run_id = any_store.start_run("hackernews", "Acme")
    message = (
        "store failed (IntegrityError): duplicate key value violates unique constraint "
        '"uq_mentions_source_external_id" [SQL: INSERT INTO mentions (source) VALUES (%(s)s)]'
        "\n[parameters: {'s': 'secret text'}]\n(Background on this error at: https://sqlalche.me)"
    )
    any_store.finish_run(run_id, "failed", RunCounters(errors=1), message)
    (latest,) = any_store.latest_runs()
    assert "\n" not in latest["message"]
    assert "SQL" not in latest["message"]
    assert "secret" not in latest["message"]
    assert latest["message"].startswith("store failed (IntegrityError): duplicate key")
    assert one_line("x" * 2000) is not None
    assert len(one_line("x" * 2000) or "") == 500


def test_concurrent_writers_of_one_page_never_collide(any_store: Store) -> None:
    """Eight threads, each with its own connection, save the same overlapping pages at once:
    no IntegrityError, every mention stored once, every page's new + duplicates adds up."""
    pages = [[mention(str(i)) for i in range(start, start + 60)] for start in range(0, 200, 20)]
    matched = {m.key: [Match("Acme")] for page in pages for m in page}
    barrier = threading.Barrier(8)
    results: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def write() -> None:
        store = Store(any_store.engine)
        barrier.wait()
        try:
            for page in pages:
                results.append(
                    store.save_page(page, matched, cursor=("hackernews", "Acme", {"n": 1}))
                )
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert any_store.count_mentions() == len(matched) == 240
    assert sum(new for new, _ in results) == 240
    assert sum(new + dupes for new, dupes in results) == 8 * 60 * len(pages)
    with any_store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(matches)).scalar_one() == 240
    assert any_store.get_cursor("hackernews", "Acme") == {"n": 1}


def test_meta_is_set_once(store: Store) -> None:
    assert store.set_meta_once("secret", "a") == "a"
    assert store.set_meta_once("secret", "b") == "a"
    assert store.get_meta("secret") == "a"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        mention("1", created_at=datetime(2026, 1, 1))


def test_a_sqlite_uri_creates_no_folder_and_opens_the_file(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``file:...?mode=ro&uri=true`` (a read-only view of a store) names a file, not a
    folder "file:" to create in the working directory."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    read_only = open_store(
        f"sqlite:///file:{store.engine.url.database}?mode=ro&uri=true", migrate=False
    )
    with read_only.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(mentions)).scalar_one() == 0
    read_only.engine.dispose()
    assert list(cwd.iterdir()) == []
