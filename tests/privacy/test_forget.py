"""``grapevine forget`` and retention: a forgotten person's rows are gone from the store,
its alerts and every later export, and no collector stores them again."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from typer.testing import CliRunner

from config import Settings
from core.mention import Mention
from grapevine.areas import JobContext
from grapevine.cli import app
from grapevine.engine import Engine
from grapevine.export import ExportFilters, ExportOptions, export_to_path
from grapevine.privacy.area import AREA
from grapevine.privacy.forget import NoKeyError, apply_retention, forget_author
from storage import Match, Store, keys, open_store, schema
from tests.export.conftest import T0, mentions, seed

runner = CliRunner()


def _count(store: Store, table: object, **where: object) -> int:
    stmt = select(func.count()).select_from(table)  # type: ignore[arg-type]
    for column, value in where.items():
        stmt = stmt.where(getattr(table, "c")[column] == value)  # noqa: B009
    with store.engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def _alert(store: Store, ids: dict[str, int]) -> None:
    """An alert that quotes alice's mention and bob's, as the complaint rule stores it."""
    examples = [
        {"mention_id": ids["hn1"], "text": "alice's words", "url": "https://x.test/1"},
        {"mention_id": ids["hn2"], "text": "bob's words", "url": "https://x.test/2"},
    ]
    payload = {
        "title": "Complaints",
        "examples": examples,
        "data": {"complaints": [{"mention_id": ids["hn1"]}, {"mention_id": ids["hn2"]}]},
        "mention_ids": [ids["hn1"], ids["hn2"]],
    }
    with store.engine.begin() as conn:
        conn.execute(
            insert(schema.alerts).values(
                rule="complaint", brand="Acme", event_key="k", fired_at=T0, payload=payload
            )
        )


@pytest.fixture
def installed(make_settings: Callable[..., Settings]) -> tuple[Settings, Store, dict[str, int]]:
    settings = make_settings()
    store = open_store(settings.store.database_url)
    ids = seed(store)  # creates the key, as `grapevine init` does
    _alert(store, ids)
    return settings, store, ids


def test_forget_an_author_removes_everything_and_reports_it(
    installed: tuple[Settings, Store, dict[str, int]],
) -> None:
    settings, store, ids = installed
    assert settings.path is not None
    before = store.count_mentions()
    result = runner.invoke(
        app, ["forget", "--author", "@Alice_HN", "--source", "hackernews", "-c", str(settings.path)]
    )
    assert result.exit_code == 0, result.output
    assert "mentions deleted: 2" in result.output
    assert "labels deleted: 3" in result.output  # hn1 under two model versions, old1 once
    assert "alerts that quoted them, edited: 1" in result.output
    assert store.count_mentions() == before - 2
    for gone in ("hn1", "old1"):
        assert _count(store, schema.mentions, id=ids[gone]) == 0
        assert _count(store, schema.labels, mention_id=ids[gone]) == 0
        assert _count(store, schema.matches, mention_id=ids[gone]) == 0
    assert _count(store, schema.mentions, id=ids["hn2"]) == 1  # bob stays
    with store.engine.connect() as conn:
        payload = conn.execute(select(schema.alerts.c.payload)).scalar_one()
        stones = conn.execute(select(schema.tombstones)).all()
    assert [e["mention_id"] for e in payload["examples"]] == [ids["hn2"]]
    assert payload["data"]["complaints"] == [{"mention_id": ids["hn2"]}]
    assert payload["mention_ids"] == [ids["hn2"]]
    assert "alice" not in json.dumps(payload)
    assert len(stones) == 3  # the author, and each of the two mentions
    assert "alice" not in repr(stones).lower()  # keyed hashes, no handle


def test_a_forgotten_author_is_never_stored_again(
    installed: tuple[Settings, Store, dict[str, int]],
) -> None:
    _, store, _ = installed
    forget_author(store, "hackernews", "alice_hn")
    again = [m for m, _ in mentions() if m.author == "alice_hn"]
    fresh = dataclasses.replace(again[0], external_id="hn-new", author="ALICE_HN")
    elsewhere = dataclasses.replace(again[0], source="reddit", external_id="r-new")
    new, _ = store.save_page(
        [*again, fresh, elsewhere], {m.key: [Match("Acme")] for m in [*again, fresh, elsewhere]}
    )
    assert new == 1  # only the same handle on another site: a handle names a person per site
    assert store.mention_ids_by_author("hackernews", "alice_hn") == []
    assert len(store.mention_ids_by_author("reddit", "alice_hn")) == 1


def test_forget_one_mention_by_id(installed: tuple[Settings, Store, dict[str, int]]) -> None:
    settings, store, ids = installed
    assert settings.path is not None
    result = runner.invoke(app, ["forget", "--mention", str(ids["hn2"]), "-c", str(settings.path)])
    assert result.exit_code == 0, result.output
    assert "mentions deleted: 1" in result.output
    bob = next(m for m, _ in mentions() if m.external_id == "hn2")
    assert store.save_page([bob], {bob.key: [Match("Acme")]}) == (0, 0)
    assert _count(store, schema.mentions, id=ids["hn2"]) == 0


def test_forget_needs_its_arguments_and_the_key(
    installed: tuple[Settings, Store, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, store, _ = installed
    assert settings.path is not None
    c = ["-c", str(settings.path)]
    assert runner.invoke(app, ["forget", *c]).exit_code == 2
    assert runner.invoke(app, ["forget", "--author", "alice_hn", *c]).exit_code == 2
    keys.key_path(settings.store.database_url).unlink()
    result = runner.invoke(app, ["forget", "--author", "alice_hn", "--source", "hackernews", *c])
    assert result.exit_code == 2
    assert "grapevine init" in result.output
    with pytest.raises(NoKeyError):
        forget_author(store, "hackernews", "alice_hn")


def test_without_the_key_a_store_with_tombstones_refuses_to_write(
    installed: tuple[Settings, Store, dict[str, int]],
) -> None:
    settings, store, _ = installed
    forget_author(store, "hackernews", "alice_hn")
    keys.key_path(settings.store.database_url).unlink()
    someone = Mention(
        source="hackernews", external_id="z", kind="comment", created_at=T0, text="acme"
    )  # type: ignore[call-arg]
    with pytest.raises(RuntimeError, match="pseudonym key is missing"):
        store.save_page([someone], {})


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_exports_after_a_deletion_never_hold_the_deleted_rows(
    installed: tuple[Settings, Store, dict[str, int]], tmp_path: Path, fmt: str
) -> None:
    _, store, ids = installed
    forget_author(store, "hackernews", "alice_hn")
    out = tmp_path / f"acme.{fmt}"
    result = export_to_path(
        store,
        ExportFilters(brand="Acme"),
        fmt,  # type: ignore[arg-type]
        out,
        ExportOptions(include_authors=True, retention_days=400),
    )
    raw = out.read_bytes()
    # Other people may still name her (a reply's "@alice_hn" is their words, not her data:
    # docs/privacy.md), but none of her own rows or words are left.
    assert "грайндер".encode() not in raw  # alice's text
    assert b"old acme mention" not in raw
    assert result.datasheet.tally.rows == 6
    sheet = result.datasheet_md.read_text("utf-8")
    assert "## Retention" in sheet
    assert "deleted 400 days after they were posted" in sheet
    assert (
        json.loads(result.datasheet_json.read_text("utf-8"))["retention"]["retention_days"] == 400
    )
    assert ids["hn1"] not in {int(x) for x in _ids(out, fmt)}


def _ids(path: Path, fmt: str) -> list[int]:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return [int(x) for x in pq.read_table(path).column("mention_id").to_pylist()]
    if fmt == "jsonl":
        return [int(json.loads(line)["mention_id"]) for line in path.read_text().splitlines()]
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        return [int(r["mention_id"]) for r in csv.DictReader(handle)]


def test_retention_deletes_what_is_older_than_the_limit_and_keeps_the_rest(
    installed: tuple[Settings, Store, dict[str, int]],
) -> None:
    _, store, ids = installed
    total = store.count_mentions()
    now = T0 + timedelta(days=10)
    assert apply_retention(store, None, now).mentions == 0  # default: keep everything
    report = apply_retention(store, 30, now)  # old1 is 40 days old
    assert report.mentions == 1
    assert report.labels == 1
    assert _count(store, schema.mentions, id=ids["old1"]) == 0
    assert store.count_mentions() == total - 1
    assert apply_retention(store, 1, now, stop=lambda: True).mentions == 0  # stops at once


def test_the_retention_job_runs_only_when_configured(
    make_settings: Callable[..., Settings], store: Store
) -> None:
    settings = make_settings()
    assert AREA.jobs is not None
    assert AREA.jobs(JobContext(settings, store, Engine.__new__(Engine))) == []
    limited = settings.model_copy(
        update={"store": settings.store.model_copy(update={"retention_days": 90})}
    )
    jobs = AREA.jobs(JobContext(limited, store, Engine.__new__(Engine)))
    assert [j.id for j in jobs] == ["privacy:retention"]
    assert jobs[0].every <= timedelta(days=1)
    assert datetime.now(UTC) > T0  # the job deletes by the wall clock, not a cursor
