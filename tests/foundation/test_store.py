from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from storage import Match, Store, open_store
from storage.schema import matches, mentions, metadata
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
    assert store.close_abandoned_runs() == 1
    (latest,) = store.latest_runs()
    assert latest["id"] == run_id
    assert latest["status"] == "interrupted"


def test_meta_is_set_once(store: Store) -> None:
    assert store.set_meta_once("secret", "a") == "a"
    assert store.set_meta_once("secret", "b") == "a"
    assert store.get_meta("secret") == "a"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        mention("1", created_at=datetime(2026, 1, 1))
