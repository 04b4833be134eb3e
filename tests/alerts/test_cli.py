"""``grapevine alerts check | test | list`` end to end, against loopback receivers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from config import Settings
from grapevine.alerts.channels import verify
from grapevine.cli import app

from .conftest import HMAC_KEY, HOOK_TOKEN, SLACK_TOKEN, SMTP_PASSWORD, HttpReceiver, Seeder

DAY = timedelta(days=1)
RULES = """
[[alerts.rules]]
brand = "Acme"
kind = "keyword"
query = "recall"
channels = ["slack", "hook"]
"""


def _cli(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["alerts", *args, "--config", str(settings.path)], env={"COLUMNS": "250"}
    )
    return result.exit_code, result.output


def test_check_then_list(
    seeder: Seeder,
    alert_settings: Callable[..., Settings],
    http_receiver: HttpReceiver,
) -> None:
    settings = alert_settings(RULES)
    seeder.mention(at=datetime.now(UTC) - timedelta(hours=1), text="acme recall notice")
    http_receiver.script["hook"] = [500]

    code, out = _cli(settings, "check")
    assert code == 0, out
    assert "fired" in out
    assert "→ slack: delivered" in out
    assert "→ hook: pending: webhook: HTTP 500" in out
    assert len(http_receiver.on("slack")) == 1

    code, listing = _cli(settings, "list")
    assert code == 0, listing
    assert "Acme" in listing
    assert "keyword" in listing
    assert "slack: delivered" in listing
    assert "hook: pending (1 attempt)" in listing
    for secret in (SLACK_TOKEN, HOOK_TOKEN, HMAC_KEY, SMTP_PASSWORD):
        assert secret not in out + listing

    code, failed = _cli(settings, "list", "--status", "failed")
    assert (code, failed.strip()) == (0, "No alerts yet.")


def test_test_command_sends_a_signed_sample(
    alert_settings: Callable[..., Settings], http_receiver: HttpReceiver
) -> None:
    settings = alert_settings()
    code, out = _cli(settings, "test", "--channel", "hook")
    assert code == 0, out
    assert "hook: delivered" in out
    [hook] = http_receiver.on("hook")
    assert hook.json()["title"] == "Test alert from Grapevine"
    header = hook.headers["x-grapevine-signature"]
    assert verify(
        HMAC_KEY.encode(), header, hook.body, now=int(hook.headers["x-grapevine-timestamp"])
    )


def test_test_command_reports_failure_without_the_secret(
    alert_settings: Callable[..., Settings], http_receiver: HttpReceiver
) -> None:
    settings = alert_settings()
    http_receiver.script["slack"] = [404]
    code, out = _cli(settings, "test", "--channel", "slack")
    assert code == 1
    assert "slack: not delivered" in out
    assert "HTTP 404" in out
    assert SLACK_TOKEN not in out
    code, out = _cli(settings, "test", "--channel", "pager")
    assert code == 2
    assert "No channel named 'pager'" in out


def test_no_secret_in_a_wrong_config_error(tmp_path: Path) -> None:
    path = tmp_path / "grapevine.toml"
    path.write_text(
        f'[store]\ndatabase_url = "sqlite:///{tmp_path / "g.db"}"\n'
        '[[brands]]\nname = "Acme"\nquery = "acme"\n'
        '[alerts.channels.bad]\ntype = "slack"\nurl_env = "https://hooks.example/T0/SECRET"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["alerts", "list", "-c", str(path)])
    assert result.exit_code == 2
    assert "NAME of an environment variable" in result.output.replace("\n", " ")
    assert "SECRET" not in result.output
