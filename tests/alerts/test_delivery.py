"""Delivery against real loopback servers: SMTP with STARTTLS and AUTH, Slack and a signed
webhook over HTTP, retries with backoff, a crash between firing and delivering, secrets."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from config import Settings
from grapevine.alerts import deliver_pending, list_alerts
from grapevine.alerts.channels import SIGNATURE_HEADER, Transports, sign, verify
from grapevine.alerts.outbox import claim_due, fire
from storage import Store, open_store, schema

from .conftest import (
    HMAC_KEY,
    HOOK_TOKEN,
    NOW,
    SLACK_TOKEN,
    SMTP_PASSWORD,
    HttpReceiver,
    SmtpReceiver,
)

SECRETS = (SMTP_PASSWORD, SLACK_TOKEN, HOOK_TOKEN, HMAC_KEY)


def payload(n_examples: int = 4) -> dict[str, Any]:
    return {
        "kind": "volume_spike",
        "rule": "volume_spike",
        "brand": "Acme",
        "title": "Acme: mention volume spike",
        "summary": "57 mentions of Acme in the last 24 h; the trailing mean is 10.0 <b>.",
        "figure": {"label": "Mentions, last 24 h", "value": "57 (5.0σ above the mean)"},
        "examples": [
            {
                "mention_id": i,
                "source": "hackernews",
                "community": "hackernews",
                "created_at": NOW.isoformat(),
                "text": f"example {i}: acme grinder <broke> & leaks",
                "url": f"https://example.test/item/{i}",
            }
            for i in range(n_examples)
        ],
        "link": "http://grapevine.test/?brand=Acme",
        "data": {"current": 57},
        "subjects": [],
    }


def fire_one(store: Store, channels: list[str], key: str = "k1") -> int:
    alert_id = fire(
        store,
        rule="volume_spike",
        brand="Acme",
        event_key=key,
        payload=payload(),
        channels=channels,
        now=NOW,
    )
    assert alert_id is not None
    return alert_id


def test_email_over_starttls_with_auth(
    store: Store,
    alert_settings: Callable[..., Settings],
    smtp_receiver: SmtpReceiver,
    transports: Transports,
) -> None:
    settings = alert_settings(smtp_port=smtp_receiver.port)
    fire_one(store, ["mail"])

    results = deliver_pending(store, settings, now=NOW, transports=transports)

    assert [(r.channel, r.status) for r in results] == [("mail", "delivered")]
    assert len(smtp_receiver.mails) == 1
    mail = smtp_receiver.mails[0]
    assert mail.tls, "the message must travel after STARTTLS"
    assert mail.login == "alerts"
    assert smtp_receiver.logins == [("alerts", SMTP_PASSWORD)]
    assert mail.mail_from == "alerts@grapevine.test"
    assert sorted(mail.rcpt_tos) == ["cm@acme.test", "lead@acme.test"]
    msg = mail.message
    assert msg["Subject"] == "[Grapevine] Acme: mention volume spike"
    assert msg["To"] == "cm@acme.test, lead@acme.test"
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert plain is not None
    assert html is not None
    text = plain.get_content()
    assert "Mentions, last 24 h: 57 (5.0σ above the mean)" in text
    assert "example 0: acme grinder <broke> & leaks" in text
    assert "http://grapevine.test/?brand=Acme" in text
    markup = html.get_content()
    assert "example 0: acme grinder &lt;broke&gt; &amp; leaks" in markup
    assert "<b>" not in markup  # summary text is escaped, never markup
    assert "href='http://grapevine.test/?brand=Acme'" in markup


def test_slack_block_kit_and_signed_webhook(
    store: Store,
    alert_settings: Callable[..., Settings],
    http_receiver: HttpReceiver,
    transports: Transports,
) -> None:
    settings = alert_settings()
    alert_id = fire_one(store, ["slack", "hook"])

    results = deliver_pending(store, settings, now=NOW, transports=transports)

    assert sorted((r.channel, r.status) for r in results) == [
        ("hook", "delivered"),
        ("slack", "delivered"),
    ]
    [slack] = http_receiver.on("slack")
    assert slack.path == f"/slack/{SLACK_TOKEN}"
    message = slack.json()
    assert message["text"] == "Acme: mention volume spike"
    blocks = message["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Acme: mention volume spike"},
    }
    assert blocks[1]["fields"][0]["text"] == "*Mentions, last 24 h*\n57 (5.0σ above the mean)"
    quotes = [b for b in blocks if "text" in b and b["text"]["text"].startswith(">")]
    assert len(quotes) == 3, "three example mentions, not all four"
    assert quotes[0]["text"]["text"] == (
        ">example 0: acme grinder &lt;broke&gt; &amp; leaks\n"
        "<https://example.test/item/0|hackernews · 2026-11-23 12:30 UTC>"
    )
    assert blocks[-1]["elements"][0]["url"] == "http://grapevine.test/?brand=Acme"

    [hook] = http_receiver.on("hook")
    body = hook.body
    doc = json.loads(body)
    assert doc["id"] == alert_id
    assert doc["delivery_id"] == f"{alert_id}:hook"
    assert doc["title"] == "Acme: mention volume spike"
    assert doc["data"] == {"current": 57}
    assert "subjects" not in doc
    timestamp = int(NOW.timestamp())
    assert hook.headers["x-grapevine-timestamp"] == str(timestamp)
    assert hook.headers["x-grapevine-delivery"] == f"{alert_id}:hook"
    header = hook.headers[SIGNATURE_HEADER.lower()]
    assert header == sign(HMAC_KEY.encode(), timestamp, body)
    assert verify(HMAC_KEY.encode(), header, body, now=timestamp + 10)
    assert not verify(b"wrong key", header, body, now=timestamp)
    assert not verify(HMAC_KEY.encode(), header, body + b" ", now=timestamp)
    assert not verify(HMAC_KEY.encode(), header, body, now=timestamp + 3600)  # replayed late


def _deliveries(store: Store) -> dict[str, dict[str, Any]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(schema.alert_deliveries))
        return {r.channel: dict(r._mapping) for r in rows}


def test_failing_receiver_is_retried_then_failed_without_blocking_others(
    store: Store,
    alert_settings: Callable[..., Settings],
    http_receiver: HttpReceiver,
    smtp_receiver: SmtpReceiver,
    transports: Transports,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = alert_settings(smtp_port=smtp_receiver.port)
    http_receiver.script["slack"] = [500, "hang"]  # then keeps hanging
    fire_one(store, ["mail", "slack", "hook"])

    first = deliver_pending(store, settings, now=NOW, transports=transports)
    assert {r.channel: r.status for r in first} == {
        "mail": "delivered",
        "slack": "pending",
        "hook": "delivered",
    }
    state = _deliveries(store)
    assert state["slack"]["attempts"] == 1
    assert "HTTP 500" in state["slack"]["last_error"]
    assert state["slack"]["next_attempt_at"] == NOW + timedelta(minutes=1)  # base delay

    assert (
        deliver_pending(store, settings, now=NOW + timedelta(seconds=59), transports=transports)
        == []
    )

    second = deliver_pending(store, settings, now=NOW + timedelta(minutes=1), transports=transports)
    assert [(r.channel, r.status) for r in second] == [("slack", "pending")]
    state = _deliveries(store)
    assert state["slack"]["attempts"] == 2
    assert "timed out" in state["slack"]["last_error"]
    assert state["slack"]["next_attempt_at"] == NOW + timedelta(minutes=3)  # 1 m + 2 m

    third = deliver_pending(store, settings, now=NOW + timedelta(minutes=3), transports=transports)
    assert [(r.channel, r.status) for r in third] == [("slack", "failed")]
    state = _deliveries(store)
    assert state["slack"]["status"] == "failed"
    assert state["slack"]["attempts"] == 3
    assert state["slack"]["next_attempt_at"] is None
    assert (
        deliver_pending(store, settings, now=NOW + timedelta(days=1), transports=transports) == []
    )

    assert len(smtp_receiver.mails) == 1
    assert len(http_receiver.on("hook")) == 1
    assert len(http_receiver.on("slack")) == 3
    [alert] = list_alerts(store, status="failed")
    assert {d.channel: d.status for d in alert.deliveries} == {
        "mail": "delivered",
        "slack": "failed",
        "hook": "delivered",
    }
    # Everything Grapevine and its HTTP/SMTP clients logged (not the test SMTP server's own
    # wire log, "mail.log", which is the receiver's business).
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail."))
    assert "HTTP Request: POST *** " in ours  # httpx logged each call, URL masked
    assert "giving up" in ours
    _assert_no_secrets(ours, store)


def test_permanent_refusal_fails_at_once(
    store: Store,
    alert_settings: Callable[..., Settings],
    http_receiver: HttpReceiver,
    transports: Transports,
) -> None:
    settings = alert_settings()
    http_receiver.script["hook"] = [410]  # the hook was removed
    fire_one(store, ["hook"])
    [result] = deliver_pending(store, settings, now=NOW, transports=transports)
    assert (result.status, result.attempts) == ("failed", 1)
    assert "HTTP 410" in (result.error or "")


def test_missing_secret_is_a_visible_failed_attempt(
    store: Store,
    alert_settings: Callable[..., Settings],
    transports: Transports,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TEST_SLACK_URL", raising=False)
    settings = alert_settings()
    fire_one(store, ["slack"])
    [result] = deliver_pending(store, settings, now=NOW, transports=transports)
    assert result.status == "pending"
    assert "TEST_SLACK_URL is not set" in (result.error or "")


def test_crash_between_firing_and_delivering_delivers_once_per_channel(
    store: Store,
    alert_settings: Callable[..., Settings],
    http_receiver: HttpReceiver,
    smtp_receiver: SmtpReceiver,
    transports: Transports,
) -> None:
    settings = alert_settings(smtp_port=smtp_receiver.port)
    fire_one(store, ["mail", "slack", "hook"])
    # the process dies here; a new one opens the same database
    url = str(store.engine.url)
    store.engine.dispose()
    restarted = open_store(url)
    try:
        later = NOW + timedelta(minutes=10)
        delivered = deliver_pending(restarted, settings, now=later, transports=transports)
        assert sorted(r.channel for r in delivered if r.status == "delivered") == [
            "hook",
            "mail",
            "slack",
        ]
        # a second pass (or a second process) sends nothing again
        assert deliver_pending(restarted, settings, now=later, transports=transports) == []
        assert (
            deliver_pending(
                restarted, settings, now=later + timedelta(days=1), transports=transports
            )
            == []
        )
        assert len(smtp_receiver.mails) == 1
        assert len(http_receiver.on("slack")) == 1
        assert len(http_receiver.on("hook")) == 1
    finally:
        restarted.engine.dispose()


def test_a_worker_that_dies_mid_send_hands_the_delivery_back_after_its_lease(
    store: Store,
    alert_settings: Callable[..., Settings],
    http_receiver: HttpReceiver,
    transports: Transports,
) -> None:
    settings = alert_settings()
    fire_one(store, ["slack"])
    claimed = claim_due(store, now=NOW, lease=timedelta(minutes=5), max_attempts=3)
    assert [c.channel for c in claimed] == ["slack"]
    # ...and the worker is killed before it reports. Another worker must not take it yet:
    assert (
        deliver_pending(store, settings, now=NOW + timedelta(minutes=1), transports=transports)
        == []
    )
    [result] = deliver_pending(
        store, settings, now=NOW + timedelta(minutes=5), transports=transports
    )
    assert (result.status, result.attempts) == ("delivered", 2)
    assert len(http_receiver.on("slack")) == 1


def test_same_event_is_stored_once(store: Store) -> None:
    assert fire_one(store, ["slack"], key="same") is not None
    assert (
        fire(
            store,
            rule="volume_spike",
            brand="Acme",
            event_key="same",
            payload=payload(),
            channels=["slack"],
            now=NOW + timedelta(hours=1),
        )
        is None
    )
    assert len(list_alerts(store)) == 1


def _assert_no_secrets(log_text: str, store: Store) -> None:
    with store.engine.connect() as conn:
        stored = json.dumps(
            [dict(r._mapping) for r in conn.execute(select(schema.alerts.c.payload))], default=str
        ) + json.dumps(
            [r.last_error for r in conn.execute(select(schema.alert_deliveries))], default=str
        )
    for secret in SECRETS:
        assert secret not in log_text
        assert base64.b64encode(secret.encode()).decode() not in log_text
        assert secret not in stored
