"""The Mentions page's "export command for the same filters" exports the page's rows.

The page renders its selection as ``grapevine export`` flags; the command line parses them
back into an equal selection; both select through :class:`scoring.queries.BrandScope`. So
running the command the page shows (through the real CLI) must give exactly the rows the
page lists, label for label, for every filter the page has — and the complaint filter of
both follows ``[scoring] complaint_threshold``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from config import Settings
from grapevine.cli import app
from grapevine.dashboard import queries
from grapevine.dashboard.filters import Filters
from grapevine.dashboard.pages.mentions import export_command
from grapevine.export import ensure_installation_secret, export_arguments
from scoring import MentionSelection
from storage import open_store
from tests.export.conftest import seed, selection

runner = CliRunner()

#: The whole seeded span (old1 is 30 days before T0, cat1 9 days after).
ALL = Filters("Acme", date(2026, 1, 1), date(2026, 3, 31))


@dataclasses.dataclass(frozen=True)
class Installation:
    settings: Settings
    config: Path


@pytest.fixture
def installation(
    make_settings: Callable[..., Settings], request: pytest.FixtureRequest
) -> Installation:
    extra = getattr(request, "param", "")
    settings = make_settings(extra)
    assert settings.path is not None
    store = open_store(settings.store.database_url)
    seed(store)
    ensure_installation_secret(store)
    store.engine.dispose()
    return Installation(settings, settings.path)


def page_rows(settings: Settings, query: queries.MentionQuery) -> list[tuple[Any, ...]]:
    """What the Mentions page lists for ``query``: id and labels, oldest first."""
    store = open_store(settings.store.database_url, migrate=False)
    with store.engine.connect() as conn:
        total = queries.count_mentions(conn, query, settings.scoring)
        rows = queries.search_mentions(conn, query, limit=10_000, scoring=settings.scoring)
    store.engine.dispose()
    assert total == len(rows)
    return [(r.id, r.sentiment, r.complaint, r.quality) for r in reversed(rows)]


def run_export(
    inst: Installation, args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    """Run ``grapevine export ARGS`` (the CLI, in a scratch directory): rows and datasheet."""
    monkeypatch.chdir(tmp_path)
    assert args[:2] == ["grapevine", "export"]
    result = runner.invoke(app, [*args[1:], "--config", str(inst.config)])
    assert result.exit_code == 0, result.output
    out = tmp_path / args[args.index("--out") + 1]
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    sheet = json.loads(out.with_name(out.name + ".datasheet.json").read_text("utf-8"))
    rows = [(r["mention_id"], r["sentiment"], r["complaint"], r["quality"]) for r in records]
    return rows, sheet


def page_query(**fields: object) -> queries.MentionQuery:
    return queries.MentionQuery(**{"filters": ALL, **fields})  # type: ignore[arg-type]


QUERIES = {
    "everything": page_query(),
    "period and sources": page_query(
        filters=Filters("Acme", date(2026, 3, 1), date(2026, 3, 3), ("hackernews", "reddit"))
    ),
    "languages": page_query(filters=dataclasses.replace(ALL, languages=("ru", "de"))),
    "sentiment": page_query(sentiments=("negative",)),
    "quality": page_query(qualities=("constructive", "ordinary")),
    "complaints": page_query(complaint="complaints", complaint_threshold=0.5),
    "not complaints": page_query(complaint="not complaints", complaint_threshold=0.5),
    "stricter complaints": page_query(complaint="complaints", complaint_threshold=0.8),
    "community": page_query(communities=("reddit:r/acme", "hackernews")),
    "text": page_query(text="acme  MENTION"),
    "roles": page_query(roles=("brand", "category", "own")),
    "own posts": page_query(roles=("own",)),
    "older model": page_query(model_version="v1", sentiments=("negative",)),
    "current model": page_query(model_version="v2", qualities=("ordinary",)),
    "together": page_query(
        filters=Filters("Acme", date(2026, 2, 1), date(2026, 3, 6), ("hackernews", "reddit")),
        text="acme",
        sentiments=("negative", "positive"),
        complaint="complaints",
        complaint_threshold=0.6,
        model_version="v2",
    ),
}


@pytest.mark.parametrize("query", list(QUERIES.values()), ids=list(QUERIES))
def test_the_pages_export_command_exports_the_pages_rows(
    installation: Installation,
    query: queries.MentionQuery,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    command = export_command(query, "jsonl")
    rows, sheet = run_export(installation, command, tmp_path, monkeypatch)
    assert rows == page_rows(installation.settings, query)
    # The command line parsed the flags back into the page's own selection.
    assert MentionSelection.from_json(sheet["filters"]) == query.selection


def test_some_filters_select_nothing_and_agree_on_it(
    installation: Installation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = page_query(text="nobody-wrote-this")
    rows, _ = run_export(installation, export_command(query, "jsonl"), tmp_path, monkeypatch)
    assert rows == page_rows(installation.settings, query) == []


def test_every_page_filter_becomes_a_flag_and_parses_back() -> None:
    query = QUERIES["together"]
    args = export_arguments(query.selection)
    for flag in ("--since", "--until", "--source", "--text", "--sentiment", "--complaint"):
        assert flag in args
    assert args[args.index("--since") + 1] == "2026-02-01"
    assert args[args.index("--until") + 1] == "2026-03-06"  # inclusive, as the page shows
    assert args[args.index("--complaint-threshold") + 1] == "0.6"
    assert args[args.index("--model-version") + 1] == "v2"
    assert "--language" not in args  # filters at "all" are left out
    assert export_arguments(selection()) == ["--brand", "Acme"]


def test_open_and_intraday_windows_round_trip() -> None:
    from datetime import UTC, datetime

    from grapevine.export import parse_when

    sel = selection(since=datetime(2026, 3, 1, 10, 30, tzinfo=UTC))
    args = export_arguments(sel)
    assert args == ["--brand", "Acme", "--since", "2026-03-01T10:30:00+00:00"]
    assert parse_when(args[-1]) == sel.since
    sel = selection(until=datetime(2026, 3, 2, tzinfo=UTC), roles=("category",))
    args = export_arguments(sel)
    assert args == ["--brand", "Acme", "--until", "2026-03-01", "--role", "category"]
    assert parse_when("2026-03-01", end=True) == sel.until


@pytest.mark.parametrize(
    ("installation", "expected"),
    [("", {"hn2", "r1"}), ("\n[scoring]\ncomplaint_threshold = 0.8\n", {"hn2"})],
    indirect=["installation"],
    ids=["default 0.5", "configured 0.8"],
)
def test_the_exports_complaint_filter_follows_the_scoring_threshold(
    installation: Installation,
    expected: set[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threshold = installation.settings.scoring.complaint_threshold
    args = ["grapevine", "export", "--brand", "Acme", "--complaint", "--out", "c.jsonl"]
    rows, sheet = run_export(installation, args, tmp_path, monkeypatch)
    store = open_store(installation.settings.store.database_url, migrate=False)
    ids = {i: ext for ext, i in ((r["external_id"], r["id"]) for r in store.iter_mentions())}
    store.engine.dispose()
    assert {ids[row[0]] for row in rows} == expected
    assert sheet["filters"]["complaint_threshold"] is None
    assert sheet["counts"]["complaint_threshold"] == threshold
    # The page, given the same setting, lists the same complaints.
    query = page_query(complaint="complaints", complaint_threshold=threshold)
    assert rows == page_rows(installation.settings, query)
    # An explicit --complaint-threshold overrides the setting for one export.
    override = [*args, "--complaint-threshold", "0.95"]
    (tmp_path / "c.jsonl").unlink()
    rows, _ = run_export(installation, override, tmp_path, monkeypatch)
    assert rows == []
