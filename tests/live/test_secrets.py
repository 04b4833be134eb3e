"""Secrets masked in every form they travel in (issue 12, finding 9): raw, URL-encoded in
any style, in query strings, and in error bodies that receivers echo back."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from config import Settings, load_config
from config.secrets import redact, register_secret
from grapevine.alerts import deliver_pending
from grapevine.alerts.outbox import fire
from storage import Store, schema
from tests.live.simulators import LoopbackServer

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SLACK_PATH = "services/T0SECRET42/B0SECRET42/xoxEchoedToken7731"
HOOK_PATH = "hooks/ab*((cd-9F3kLw2"

ALERTS = """
[store]
database_url = "sqlite:///{db}"

[[brands]]
name = "Acme"
query = "acme"

[alerts]
dashboard_url = "http://grapevine.test"
default_channels = ["slack", "hook"]

[alerts.retry]
max_attempts = 1

[alerts.channels.slack]
type = "slack"
url_env = "ECHO_SLACK_URL"
timeout_seconds = 2

[alerts.channels.hook]
type = "webhook"
url_env = "ECHO_HOOK_URL"
secret_env = "ECHO_HOOK_KEY"
timeout_seconds = 2
"""


@pytest.mark.parametrize(
    "form",
    [
        "ab*((cd-9F3kLw2",
        "ab%2A%28%28cd-9F3kLw2",
        "ab%2a%28%28cd-9F3kLw2",
        "ab*%28%28cd-9F3kLw2",
    ],
)
def test_every_encoding_of_a_secret_is_masked(form: str) -> None:
    register_secret("ab*((cd-9F3kLw2")
    assert redact(f"GET /2.3/search?key={form}&site=so failed") == (
        "GET /2.3/search?key=***&site=so failed"
    )


def test_the_parts_of_a_webhook_url_are_masked_on_their_own() -> None:
    register_secret(f"https://hooks.example/{SLACK_PATH}")
    assert redact(f"no_service: /{SLACK_PATH}") == "no_service: ***"
    assert redact("token xoxEchoedToken7731 is invalid") == "token *** is invalid"


def _echo(request: httpx.Request) -> httpx.Response:
    # Receivers that echo the request (path and query) in their error bodies.
    return httpx.Response(404, text=f"no such hook: {request.url.path}?{request.url.query!r}")


def test_receivers_that_echo_their_path_leave_no_token_anywhere(
    tmp_path: Path,
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with LoopbackServer(_echo) as server:
        base = server.url.rsplit("/api/v1", 1)[0]
        monkeypatch.setenv("ECHO_SLACK_URL", f"{base}/{SLACK_PATH}")
        monkeypatch.setenv("ECHO_HOOK_URL", f"{base}/{HOOK_PATH}?token=qs-SECRET-991")
        monkeypatch.setenv("ECHO_HOOK_KEY", "hmac-key-never-shown")
        path = tmp_path / "alerts.toml"
        path.write_text(ALERTS.format(db=tmp_path / "grapevine.db"), encoding="utf-8")
        settings: Settings = load_config(path, environ={})
        fire(
            store,
            rule="keyword",
            brand="Acme",
            event_key="k1",
            payload=_payload(),
            channels=["slack", "hook"],
            now=NOW,
        )
        results = deliver_pending(store, settings, now=NOW)
    assert {r.status for r in results} == {"failed"}
    with store.engine.connect() as conn:
        errors = [r.last_error for r in conn.execute(select(schema.alert_deliveries))]
    shown = "\n".join(
        [*(r.error or "" for r in results), *(e or "" for e in errors)]
        + [redact(r.getMessage()) for r in caplog.records]
    )
    assert "no such hook" in shown  # the receiver's answer is kept, its echo masked
    for secret in ("T0SECRET42", "xoxEchoedToken7731", "9F3kLw2", "qs-SECRET-991", "%28%28"):
        assert secret not in shown


def _payload() -> dict[str, Any]:
    return {
        "kind": "keyword",
        "rule": "keyword",
        "brand": "Acme",
        "title": "Acme: keyword",
        "summary": "acme recall",
        "figure": {"label": "Mentions", "value": "1"},
        "examples": [],
        "link": "http://grapevine.test/?brand=Acme",
        "data": {},
        "subjects": [],
    }
