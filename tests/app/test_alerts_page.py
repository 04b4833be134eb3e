"""The Alerts page: what fired for the brand, and each channel's delivery (issue 7)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from config import Settings, get_secret
from grapevine.alerts import outbox
from grapevine.dashboard.pages.alerts import figure_text
from storage import Store, open_store, schema
from tests.app.seed import NEWEST
from tests.app.test_mentions_sources import open_page

SPIKE_FIGURE = {"label": "Mentions, last 24 h", "value": "41 (+3.2σ)"}
WEBHOOK_ERROR = "HTTP 500 from the receiver after 5 attempts"


def _fire(settings: Settings, brand: str, rule: str, key: str, hours_ago: int) -> int:
    store = open_store(settings.store.database_url)
    try:
        alert_id = outbox.fire(
            store,
            rule=rule,
            brand=brand,
            event_key=key,
            payload={
                "title": f"{brand}: volume spike",
                "summary": "41 mentions in the last 24 h against a mean of 12.",
                "figure": SPIKE_FIGURE,
                "link": "http://localhost:8501/?brand=x",
            },
            channels=["slack", "webhook"],
            now=NEWEST - timedelta(hours=hours_ago),
        )
        assert alert_id is not None
        slack, webhook = (c.delivery_id for c in _claim(store, alert_id))
        outbox.mark_delivered(store, slack, now=NEWEST)
        status = outbox.mark_failed_attempt(
            store, webhook, error=WEBHOOK_ERROR, attempts=5, max_attempts=5, retry_at=NEWEST
        )
        assert status == "failed"
    finally:
        store.engine.dispose()
    return alert_id


def _claim(store: Store, alert_id: int) -> list[outbox.Claimed]:
    claimed = outbox.claim_due(
        store, now=NEWEST + timedelta(days=1), lease=timedelta(minutes=5), max_attempts=5
    )
    mine = sorted((c for c in claimed if c.alert.id == alert_id), key=lambda c: c.channel)
    assert [c.channel for c in mine] == ["slack", "webhook"]
    return mine


@pytest.fixture
def with_alerts(seeded: Settings) -> dict[str, int]:
    """An Acme spike (Slack delivered, webhook failed), an older Globex one, no digest."""
    return {
        "acme": _fire(seeded, "Acme", "volume_spike", "2026-11-20", hours_ago=1),
        "globex": _fire(seeded, "Globex", "keyword", "2026-11-19", hours_ago=30),
    }


def _frames(at: AppTest) -> tuple[pd.DataFrame, pd.DataFrame]:
    assert len(at.dataframe) == 2, len(at.dataframe)
    return at.dataframe[0].value, at.dataframe[1].value


def test_alerts_page_shows_the_brand_alerts_and_each_channel_delivery(
    with_alerts: dict[str, int],
) -> None:
    at = open_page("alerts")
    alerts, deliveries = _frames(at)
    assert list(alerts["#"]) == [with_alerts["acme"]]  # Globex's alert is not Acme's
    row = alerts.iloc[0]
    assert row["Rule"] == "volume_spike"
    assert row["Alert"] == "Acme: volume spike"
    assert row["Key figure"] == "Mentions, last 24 h: 41 (+3.2σ)"
    assert row["Deliveries"] == "slack: delivered · webhook: FAILED"
    assert "41 mentions" in row["Summary"]

    by_channel = deliveries.set_index("Channel")
    assert list(deliveries["Channel"]) == ["webhook", "slack"]  # failed first
    assert by_channel.loc["webhook", "Status"] == "FAILED"
    assert by_channel.loc["webhook", "Attempts"] == 1
    assert by_channel.loc["webhook", "Last error"] == WEBHOOK_ERROR
    assert by_channel.loc["slack", "Status"] == "delivered"
    assert by_channel.loc["slack", "Last error"] == "—"  # never a blank or a raw None
    assert by_channel.loc["slack", "Delivered"].endswith("UTC")
    assert by_channel.loc["webhook", "Delivered"] == "—"

    failed = {m.label: m.value for m in at.metric}
    assert failed["Failed deliveries"] == "1"
    assert failed["Alerts"] == "1"
    assert len(at.error) == 1
    assert "`webhook`" in at.error[0].value
    assert "grapevine alerts test --channel webhook" in at.error[0].value
    assert [c.value for c in at.code] == [WEBHOOK_ERROR]


def test_failed_deliveries_are_highlighted(with_alerts: dict[str, int]) -> None:
    at = open_page("alerts")
    table = at.dataframe[1].value
    assert list(table["Status"]) == ["FAILED", "delivered"]
    styles = at.dataframe[1].proto.arrow_data.styler.styles
    assert "#b00020" in styles
    assert all(f"_row0_col{i}" in styles for i in range(len(table.columns)))  # the failed row
    assert "_row1_" not in styles  # the delivered one is left plain


def test_the_brand_picker_switches_the_alerts(with_alerts: dict[str, int]) -> None:
    at = open_page("alerts")
    at.selectbox(key="brand").select("Globex").run()
    assert not at.exception, at.exception
    alerts, _ = _frames(at)
    assert list(alerts["#"]) == [with_alerts["globex"]]
    assert alerts.iloc[0]["Rule"] == "keyword"


def test_the_daily_digest_shows_for_every_brand(seeded: Settings) -> None:
    digest = _fire(seeded, "*", "digest", "2026-11-20", hours_ago=2)
    at = open_page("alerts")
    alerts, _ = _frames(at)
    assert list(alerts["#"]) == [digest]
    assert alerts.iloc[0]["Brand"] == "all (digest)"


def test_a_secret_in_a_stored_error_is_masked(
    with_alerts: dict[str, int], seeded: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "https://hooks.example.com/services/T0/B0/s3cr3t-token"
    monkeypatch.setenv("GRAPEVINE_TEST_ALERTS_PAGE_URL", secret)
    value = get_secret("GRAPEVINE_TEST_ALERTS_PAGE_URL")  # now a known secret
    assert value is not None
    assert value.get_secret_value() == secret
    store = open_store(seeded.store.database_url)
    d = schema.alert_deliveries.c
    with store.engine.begin() as conn:  # an error stored before redaction (older versions)
        conn.execute(
            update(schema.alert_deliveries)
            .where(d.alert_id == with_alerts["acme"], d.channel == "webhook")
            .values(last_error=f"POST {secret} failed: HTTP 500")
        )
    store.engine.dispose()
    at = open_page("alerts")
    _, deliveries = _frames(at)
    shown = [str(v) for v in deliveries.to_numpy().ravel()]
    shown += [c.value for c in at.code] + [e.value for e in at.error]
    assert "POST *** failed: HTTP 500" in shown
    assert not any("s3cr3t" in s for s in shown)


def test_deliveries_store_no_channel_url_or_password() -> None:
    """The table has nothing a secret could be written to but the (redacted) error."""
    assert set(schema.alert_deliveries.c.keys()) == {
        "id",
        "alert_id",
        "channel",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "delivered_at",
    }


@pytest.mark.usefixtures("seeded")
def test_no_alerts_explains_how_to_configure_them() -> None:
    at = open_page("alerts")
    assert not at.dataframe
    assert not at.error
    (info,) = [i.value for i in at.info]
    assert "No alerts have fired for Acme yet" in info
    assert "`[alerts]`" in info
    assert "grapevine alerts test --channel NAME" in info


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"figure": SPIKE_FIGURE}, "Mentions, last 24 h: 41 (+3.2σ)"),
        ({"figure": {"value": "3"}}, "3"),
        ({"figure": "not a dict"}, ""),
        ({}, ""),
    ],
)
def test_figure_text(payload: dict[str, object], expected: str) -> None:
    assert figure_text(payload) == expected
