"""The demo in the dashboard: a banner on every page while the data is the demo's (or
replayed), alerts fired on the Alerts page, readable community names, and the chart and
table details of issue #17 (integer counts, date ticks, labels that do not collide, "—"
for nothing, labels with probabilities and stars in the detail view)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from config import Settings, load_config
from grapevine.dashboard import charts
from grapevine.dashboard.detail import MentionDetail
from grapevine.dashboard.format import stamp
from grapevine.dashboard.pages.mentions import label_lines, stars
from grapevine.demo.build import build_demo
from grapevine.demo.screenshots import CHROMIUM, serve_app
from scoring.communities import display_name
from storage import open_store
from tests.app.test_mentions_sources import open_page
from tests.demo.conftest import EXAMPLE, stand_in_labels

PAGES = ("overview", "word_of_mouth", "complaints", "communities", "mentions", "sources", "alerts")


@pytest.fixture(scope="module")
def demo_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh demo store (recordings replayed, a generated month ending now, stand-in
    labels, alerts checked) and the example configuration pointing at it."""
    tmp = tmp_path_factory.mktemp("demo")
    url = f"sqlite:///{tmp / 'demo.db'}"
    text = EXAMPLE.read_text(encoding="utf-8").replace("sqlite:///data/grapevine.db", url)
    config = tmp / "grapevine.toml"
    config.write_text(text, encoding="utf-8")
    settings: Settings = load_config(config, environ={})
    store = open_store(url)
    summary = build_demo(store, settings, now=datetime.now(UTC), label=stand_in_labels)
    store.engine.dispose()
    assert len(summary.alerts.fired) == 7
    return config


@pytest.fixture
def on_demo(demo_config: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GRAPEVINE_CONFIG", str(demo_config))
    monkeypatch.delenv("GRAPEVINE_DATABASE_URL", raising=False)
    return demo_config


@pytest.mark.usefixtures("on_demo")
@pytest.mark.parametrize("slug", PAGES)
def test_every_page_says_demo_data(slug: str) -> None:
    at = open_page(slug)
    banners = [w.value for w in at.warning]
    assert any(b.startswith("**Demo data**") for b in banners), banners
    assert any("written from the documented schema for appstore" in b for b in banners)


@pytest.mark.usefixtures("on_demo")
def test_the_alerts_page_shows_the_alerts_the_demo_fired() -> None:
    at = open_page("alerts")
    table = next(d.value for d in at.dataframe if "Rule" in d.value.columns)
    assert {"volume_spike", "negative_swing", "unanswered_complaint", "incidents"} <= set(
        table["Rule"]
    )


@pytest.mark.usefixtures("on_demo")
def test_communities_have_readable_names() -> None:
    at = open_page("communities")
    names = set(at.dataframe[0].value["Community"])
    assert {"Hacker News", "r/waymo", "Waymo One (App Store)"} <= names
    assert not any(":" in n for n in names)


@pytest.mark.usefixtures("on_demo")
def test_sources_page_says_it_ignores_the_filters_and_what_was_replayed() -> None:
    at = open_page("sources")
    assert any("ignores the sidebar's brand, period" in c.value for c in at.caption)
    data = at.dataframe[0].value.set_index("Source")["Data"]
    assert data["hackernews"] == "replayed: recorded API responses"
    assert data["appstore"] == "replayed: written from the documented schema"


def test_replayed_recordings_get_their_own_banner(
    make_settings: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'replayed.db'}"
    text = EXAMPLE.read_text(encoding="utf-8").replace("sqlite:///data/grapevine.db", url)
    config = tmp_path / "grapevine.toml"
    config.write_text(text, encoding="utf-8")
    settings = load_config(config, environ={})
    store = open_store(url)
    from grapevine.engine import Engine

    engine = Engine(store, settings, replay=settings.enabled_sources())
    for job in engine.jobs(["hackernews", "appstore"], ["Waymo"]):
        engine.run_job(job)
    store.engine.dispose()
    monkeypatch.setenv("GRAPEVINE_CONFIG", str(config))
    monkeypatch.delenv("GRAPEVINE_DATABASE_URL", raising=False)
    at = open_page("overview")
    banners = [w.value for w in at.warning]
    assert any(b.startswith("**Replayed recordings**") for b in banners), banners


# --- the parts, without Streamlit -----------------------------------------------------------


def _spec(chart: object) -> dict[str, object]:
    return json.loads(chart.to_json())  # type: ignore[attr-defined]


def test_count_axes_have_whole_ticks_and_dates_have_no_hours() -> None:
    days = pd.date_range("2026-11-01", periods=30, freq="D")
    frame = pd.DataFrame(
        [
            {"period": d, "sentiment": s, "mentions": 1}
            for d in days
            for s in ("negative", "positive")
        ]
    )
    spec = json.dumps(_spec(charts.sentiment_area(frame)))
    assert '"tickMinStep": 1' in spec
    assert '"format": ",d"' in spec
    assert '"format": "%d %b"' in spec
    assert '"interval": "day"' in spec
    assert "unlabelled" not in spec  # no legend entry for what is not there
    weekly = pd.DataFrame({"period": pd.date_range("2025-12-01", periods=52, freq="W-MON")})
    weekly["rate"] = 12.5
    spec = json.dumps(_spec(charts.lines(weekly, y="rate", y_title="Rate", unit="week")))
    assert '"interval": "month"' in spec or '"interval": "week"' in spec
    assert "%H" not in spec
    assert "%I" not in spec
    assert "%p" not in spec


def test_a_long_period_is_drawn_per_week() -> None:
    days = pd.date_range("2025-12-01", periods=365, freq="D")
    frame = pd.DataFrame({"period": days, "sentiment": "positive", "mentions": 1})
    assert charts.time_unit(frame) == "week"
    data = _spec(charts.sentiment_area(frame))["datasets"]
    rows = next(iter(data.values()))  # type: ignore[attr-defined]
    assert len(rows) <= 53
    assert {r["mentions"] for r in rows} <= {1, 2, 3, 4, 5, 6, 7}


def test_scatter_labels_never_collide() -> None:
    frame = pd.DataFrame(
        {
            "community": ["a", "b", "c", "d"],
            "label": ["a", "b", "c", ""],
            "relevance": [1.0, 0.95, 0.2, 0.5],
            "nss": [50.0, 45.0, 50.0, 0.0],
        }
    )
    assert charts.spaced_labels(frame, x="relevance", y="nss", label="label") == ["a", "", "c", ""]


def test_nothing_shows_as_a_dash() -> None:
    assert stamp(None) == "—"
    assert stamp(datetime(2026, 11, 30, 9, 5, tzinfo=UTC)) == "Nov 30, 09:05 UTC"
    assert display_name(None) == "—"


@pytest.mark.parametrize(
    ("community", "names", "shown"),
    [
        ("reddit:r/waymo", {}, "r/waymo"),
        ("hackernews", {}, "Hacker News"),
        ("stackexchange:superuser", {}, "Super User"),
        ("mastodon:mastodon.social", {}, "mastodon.social"),
        ("news:www.citydesk.example", {}, "citydesk.example"),
        ("appstore:1463803563", {}, "App Store app 1463803563"),
        ("appstore:1463803563", {"appstore:1463803563": "Waymo One"}, "Waymo One"),
    ],
)
def test_community_display_names(community: str, names: dict[str, str], shown: str) -> None:
    assert display_name(community, names) == shown


def test_the_detail_view_shows_labels_with_probabilities_and_stars() -> None:
    detail = MentionDetail(
        kind="review",
        rating=2,
        score=None,
        comments=None,
        answers=None,
        helpful_votes=4,
        sentiment="negative",
        negative=0.81,
        neutral=0.12,
        positive=0.07,
        complaint=0.93,
        quality="constructive",
        quality_score=0.77,
        language="de",
    )
    assert stars(2) == "★★☆☆☆ 2/5"
    assert stars(None) is None
    lines = label_lines(detail)
    assert lines[0] == "**Sentiment:** negative (negative 0.81 · neutral 0.12 · positive 0.07)"
    assert "**Complaint probability:** 0.93" in lines
    assert "**Quality:** constructive (score 0.77)" in lines
    unlabelled = MentionDetail("post", None, 3, 1, None, None)
    assert label_lines(unlabelled) == ["Not labelled yet (`grapevine label`)."]


@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent")
def test_a_fresh_demo_shows_in_a_real_browser_with_alerts_fired(on_demo: Path) -> None:
    from playwright.sync_api import sync_playwright

    from grapevine.demo.screenshots import CHROMIUM_ARGS

    with serve_app({"GRAPEVINE_CONFIG": str(on_demo)}) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1200})
            page.goto(f"{base}/alerts", wait_until="domcontentloaded")
            page.get_by_role("heading", name="Alerts").first.wait_for(timeout=60_000)
            page.get_by_text("Demo data", exact=False).first.wait_for(timeout=60_000)
            page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=60_000)
            assert page.locator('[data-testid="stException"]').count() == 0
            tiles = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
            assert tiles
            assert int(tiles[0]) >= 5
        finally:
            browser.close()


@pytest.mark.usefixtures("seeded")
def test_small_figures_carry_their_sample_size() -> None:
    at = open_page("overview")
    captions = [c.value for c in at.caption]
    # the seeded period: 4 positive and 3 negative Acme mentions
    assert "Net sentiment score from 7 polar mentions: a small sample." in captions
    assert not at.warning  # a store never built by the demo nor replayed: no banner
