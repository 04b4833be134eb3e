"""End to end, as a community manager works: an alert's link → its mentions → correct one
label, assign one complaint and mark it done → the figures, the complaint queue, the Model
page and ``grapevine evaluate`` change accordingly; and the brand report opens in the
browser with its charts. ``streamlit run app.py`` on loopback, headless Chromium."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from config import Settings
from grapevine.alerts import run_alert_check
from grapevine.cli import app
from grapevine.dashboard.format import number
from grapevine.workflow.report import build_report
from scoring import Period, brand_overview
from storage import keys, open_store
from tests.app.browser import CHROMIUM, serve_app
from tests.app.seed import CONFIG_EXTRA, FIRST_DAY, LAST_DAY, NEWEST, seed

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium)",
)

RULE = """
[alerts]
dashboard_url = "http://localhost:8501"

[[alerts.rules]]
brand = "Acme"
kind = "keyword"
name = "refunds"
query = 'refund*'
lookback = "30d"
"""
PERIOD = Period.days(FIRST_DAY, LAST_DAY)


@pytest.fixture
def loop_settings(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    settings = make_settings(CONFIG_EXTRA + RULE)
    store = open_store(settings.store.database_url)
    seed(store, settings)
    keys.create_key(settings.store.database_url)
    store.engine.dispose()
    monkeypatch.setenv("GRAPEVINE_CONFIG", str(settings.path))
    monkeypatch.delenv("GRAPEVINE_DATABASE_URL", raising=False)
    return settings


def _idle(page: Any) -> None:
    from grapevine.demo.screenshots import _wait_until_idle

    _wait_until_idle(page, timeout=120, quiet=1.5)


def _metric(page: Any, label: str) -> str:
    tile = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return str(tile.locator('[data-testid="stMetricValue"]').inner_text()).strip()


def _choose(scope: Any, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label`` inside ``scope``."""
    box = scope.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    box.get_by_role("combobox").first.click()
    box.page.get_by_role("option", name=option, exact=True).click()


def _select_first_row(page: Any) -> None:
    """Tick the first row of the first data grid (a canvas: click its row marker)."""
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    grid.click(position={"x": 18, "y": 35 + 17})


def test_the_daily_loop_in_a_real_browser(loop_settings: Settings, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    store = open_store(loop_settings.store.database_url)
    summary = run_alert_check(store, loop_settings, now=NEWEST + timedelta(hours=1))
    assert [f.rule for f in summary.fired] == ["refunds"]
    with store.engine.connect() as conn:
        payload = conn.exec_driver_sql("SELECT payload FROM alerts").scalar_one()
    link = str(json.loads(payload)["link"] if isinstance(payload, str) else payload["link"])
    assert "/mentions?brand=Acme&" in link
    assert "ids=" in link
    nss_before = brand_overview(store.engine, loop_settings, "Acme", PERIOD).nss.current

    report = tmp_path / "report.html"
    report.write_text(
        build_report(store, loop_settings, "Acme", end=NEWEST, length=timedelta(days=7)).html(),
        encoding="utf-8",
    )

    with serve_app({"GRAPEVINE_CONFIG": str(loop_settings.path)}) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 1400})
            # 1. the alert's link lists the mention that fired it, and only that one
            page.goto(link.replace("http://localhost:8501", base), wait_until="domcontentloaded")
            page.get_by_role("heading", name="Mentions").first.wait_for(timeout=60_000)
            _idle(page)
            page.get_by_text("Showing the 1 mentions named by").first.wait_for(timeout=30_000)
            assert page.get_by_text("1 mentions · showing").count() == 1
            # 2. read it; correct its sentiment (negative → neutral)
            _select_first_row(page)
            _idle(page)
            labels = page.locator('[data-testid="stForm"]').filter(has_text="Save labels")
            _choose(labels, "Sentiment", "neutral")
            labels.get_by_role("button", name="Save labels").click()
            _idle(page)
            # 3. assign the complaint and mark it done
            if not page.get_by_text("Save triage").count():  # the selection did not survive
                _select_first_row(page)
                _idle(page)
            triage = page.locator('[data-testid="stForm"]').filter(has_text="Save triage")
            _choose(triage, "Status", "done")
            triage.get_by_label("Assigned to").fill("ben")
            triage.get_by_role("button", name="Save triage").click()
            _idle(page)
            # 4. the figures follow: the Overview's NSS, the queue, the Model page
            nss_after = brand_overview(store.engine, loop_settings, "Acme", PERIOD).nss.current
            assert nss_before is not None
            assert nss_after is not None
            assert nss_after > nss_before  # one negative fewer
            page.goto(f"{base}/?brand=Acme", wait_until="domcontentloaded")
            page.get_by_role("heading", name="Overview").first.wait_for(timeout=60_000)
            _idle(page)
            assert _metric(page, "Net sentiment score") == number(nss_after, 0)
            page.goto(f"{base}/complaints?brand=Acme&status=done", wait_until="domcontentloaded")
            page.get_by_role("heading", name="Complaint queue").first.wait_for(timeout=60_000)
            _idle(page)
            assert page.get_by_text("1 complaints · showing all").count() == 1
            page.goto(f"{base}/model", wait_until="domcontentloaded")
            page.get_by_role("heading", name="Model").first.wait_for(timeout=60_000)
            _idle(page)
            assert _metric(page, "Reviewed mentions") == "1"
            assert _metric(page, "Sentiment agreement") == "0 %"
            # 5. the report opens offline with its charts drawn
            page.goto(report.as_uri(), wait_until="load")
            assert page.get_by_role("heading", name="Key figures").count() == 1
            widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
            assert len(widths) == 2
            assert all(w > 100 for w in widths)
        finally:
            browser.close()

    with store.engine.connect() as conn:
        status = conn.exec_driver_sql("SELECT status, assignee, updated_by FROM triage").one()
    assert tuple(status) == ("done", "ben", "local")  # the open loopback operator
    result = CliRunner().invoke(app, ["evaluate", "--json", "--config", str(loop_settings.path)])
    assert result.exit_code == 0, result.output
    sentiment = next(
        r
        for r in json.loads(result.output)["rows"]
        if r["field"] == "sentiment" and r["by"] == "all"
    )
    assert (sentiment["reviewed"], sentiment["agreed"]) == (1, 0)
