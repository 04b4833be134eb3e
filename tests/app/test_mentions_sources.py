"""The Mentions and Sources pages, and the sidebar's empty states, on the seeded store."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from config import Settings
from tests.app.conftest import APP
from tests.app.seed import ACME_VOLUME, SCRIPT_TEXT


def open_page(slug: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    at.switch_page(f"grapevine/dashboard/pages/{slug}.py").run()
    assert not at.exception, at.exception
    return at


def _count_line(at: AppTest) -> str:
    lines = [m.value for m in at.markdown if "mentions · showing" in m.value]
    assert lines, [m.value for m in at.markdown]
    return lines[0]


@pytest.mark.usefixtures("seeded")
def test_mentions_lists_the_brand_mentions_of_the_period_newest_first() -> None:
    at = open_page("mentions")
    assert _count_line(at).startswith(f"**{ACME_VOLUME}** mentions")
    table = at.dataframe[0].value
    assert len(table) == ACME_VOLUME
    assert table["When"].is_monotonic_decreasing
    assert table.iloc[0]["Author"] == "alice"


@pytest.mark.usefixtures("seeded")
def test_mention_text_is_shown_literally_and_unsafe_links_are_dropped() -> None:
    at = open_page("mentions")
    table = at.dataframe[0].value
    row = table[table["Author"] == "dave"].iloc[0]
    assert row["Mention"] == SCRIPT_TEXT
    assert pd.isna(row["Link"])  # the seed's javascript: URL
    assert all("<script>" not in m.value for m in at.markdown)
    assert all("<script>" not in c.value for c in at.caption)


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda at: at.text_input(key="mentions_text").input("refund"), 1),
        (lambda at: at.selectbox(key="mentions_complaint").select("Complaints only"), 3),
        (lambda at: at.multiselect(key="mentions_sentiment").select("positive"), 4),
        (lambda at: at.multiselect(key="sources").select("reddit"), 3),
        (lambda at: at.multiselect(key="languages").select("de"), 1),
        (
            lambda at: (
                at.multiselect(key="mentions_roles")
                .unselect("Brand mentions")
                .select("Category talk (brand not named)")
            ),
            3,  # k1, k2 and Globex's "grinder" mention
        ),
    ],
    ids=["search", "complaints", "sentiment", "source", "language", "category"],
)
def test_mention_filters_narrow_the_list(
    change: Callable[[AppTest], object], expected: int
) -> None:
    at = open_page("mentions")
    change(at)
    at.run()
    assert not at.exception, at.exception
    assert _count_line(at).startswith(f"**{expected}** mentions")
    assert len(at.dataframe[0].value) == expected


@pytest.mark.usefixtures("seeded")
def test_mentions_says_what_to_do_when_nothing_matches() -> None:
    at = open_page("mentions")
    at.text_input(key="mentions_text").input("nothing-says-this").run()
    assert not at.exception
    assert any("No mention matches these filters" in i.value for i in at.info)
    assert not at.dataframe


@pytest.mark.usefixtures("seeded")
def test_sources_page_shows_each_collector_health() -> None:
    at = open_page("sources")
    table = at.dataframe[0].value.set_index("Source")
    assert table.loc["hackernews", "Status"] == "ok"
    assert table.loc["hackernews", "New (last run)"] == 7
    assert table.loc["reddit", "Status"] == "FAILED"
    assert table.loc["reddit", "Rate-limit waits (last run)"] == 2
    assert "HTTP 429" in table.loc["reddit", "Last error"]
    # next run = last start + the source's interval (reddit: every 1h)
    gap = table.loc["reddit", "Next run"] - table.loc["reddit", "Last run"]
    assert gap.total_seconds() == 3600
    assert any("HTTP 429" in t.value for t in at.text)


def test_a_missing_store_explains_how_to_create_it(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = make_settings()
    monkeypatch.setenv("GRAPEVINE_CONFIG", str(settings.path))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert any("grapevine init" in i.value for i in at.info)
    assert not (tmp_path / "grapevine.db").exists()  # the app only reads


def test_a_broken_config_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[brands]]\nname = 'X'\nquery = 'a AND ('\n", encoding="utf-8")
    monkeypatch.setenv("GRAPEVINE_CONFIG", str(bad))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert at.error
    assert "configuration" in at.error[0].value
    assert "not a valid boolean query" in at.code[0].value


def test_no_brands_configured_says_where_to_add_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storage import open_store

    db = tmp_path / "g.db"
    open_store(f"sqlite:///{db}").engine.dispose()
    cfg = tmp_path / "g.toml"
    cfg.write_text(f'[store]\ndatabase_url = "sqlite:///{db}"\n', encoding="utf-8")
    monkeypatch.setenv("GRAPEVINE_CONFIG", str(cfg))
    at = open_page("mentions")
    assert any("[[brands]]" in c.value for c in at.code)  # the configuration error, shown
    assert not at.exception


@pytest.mark.usefixtures("seeded")
def test_the_filtered_set_downloads_through_the_export_module() -> None:
    at = open_page("mentions")
    at.multiselect(key="sources").select("reddit").run()
    at.radio(key="export_format").set_value("csv").run()
    at.button(key="export_prepare").click().run()
    assert not at.exception, at.exception
    bundle = at.session_state["_export_bundle"][1]
    assert bundle.file_name.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(bundle.data.decode("utf-8"))))
    assert len(rows) == 3  # the three Reddit mentions of Acme
    assert {"erin", "frank", "gina"}.isdisjoint(r.get("author") for r in rows)  # pseudonymised
    assert at.get("download_button")


def test_the_latest_run_is_the_one_that_started_last_not_the_last_written(
    seeded: Settings,
) -> None:
    from datetime import timedelta

    from sqlalchemy import insert

    from grapevine.dashboard import queries
    from storage import open_store
    from storage.schema import runs
    from tests.app.seed import NEWEST

    store = open_store(seeded.store.database_url, migrate=False)
    with store.engine.begin() as conn:  # a slow old run that finished (was written) last
        conn.execute(
            insert(runs).values(
                source="hackernews",
                scope="Globex",
                started_at=NEWEST - timedelta(hours=5),
                status="failed",
                new=0,
                duplicates=0,
                skipped=0,
                errors=1,
                rate_limit_waits=0,
                waited_seconds=0.0,
                replay=False,
                message="timeout",
            )
        )
    schedule = {"hackernews": queries.SourceSchedule(True, timedelta(minutes=15))}
    with store.engine.connect() as conn:
        health = {h.source: h for h in queries.source_health(conn, schedule, NEWEST)}
    store.engine.dispose()
    assert health["hackernews"].status == "ok"
    assert health["hackernews"].next_run == NEWEST + timedelta(minutes=15)
    assert health["hackernews"].last_error == "timeout"
