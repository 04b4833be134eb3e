"""``grapevine alerts``: check the rules now, send a sample to a channel, list what fired.

Commands are thin: they load the configuration, open the store and call
:func:`run_alert_check`, :func:`deliver_pending` or the outbox. Nothing they print carries a
secret: channels are shown by name, errors were redacted before they were stored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from config import Settings, redact
from config.alerts import AlertsSettings
from grapevine.alerts.channels import DeliveryError, Transports, send
from grapevine.alerts.check import run_alert_check
from grapevine.alerts.deliver import deliver_pending
from grapevine.alerts.outbox import list_alerts
from grapevine.runtime import load_settings, open_settings_store, setup_logging
from storage import Store

__all__ = ["alerts_app", "sample_payload"]

alerts_app = typer.Typer(
    help="Alerts: volume spikes, negative swings, unanswered complaints, keywords, hotspots.",
    no_args_is_help=True,
)
err = Console(stderr=True)

ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="Config file.")]
DatabaseOption = Annotated[
    str | None, typer.Option("--database-url", help="Overrides GRAPEVINE_DATABASE_URL.")
]
_COLOURS = {"delivered": "green", "pending": "yellow", "failed": "red"}


def _load(config: Path | None, database_url: str | None) -> tuple[Settings, AlertsSettings]:
    setup_logging()
    settings = load_settings(config, database_url)
    return settings, settings.alerts


def _store(settings: Settings) -> Store:
    return open_settings_store(settings)


@alerts_app.command("check")
def check_command(
    brand: Annotated[
        list[str] | None, typer.Option("--brand", "-b", help="Only this brand (repeatable).")
    ] = None,
    deliver: Annotated[
        bool, typer.Option("--deliver/--no-deliver", help="Send what is due afterwards.")
    ] = True,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Evaluate every rule now, store what fired, then deliver what is due."""
    settings, cfg = _load(config, database_url)
    if not cfg.rules:
        err.print("[yellow]No rules under [[alerts.rules]] in the configuration.[/]")
    store = _store(settings)
    now = datetime.now(UTC)
    summary = run_alert_check(store, settings, now=now, brands=brand)
    out = Console()
    table = Table(title="Alert check")
    for col in ("brand", "rule", "result"):
        table.add_column(col)
    for f in summary.fired:
        table.add_row(f.brand, f.rule, f"[bold red]fired[/] #{f.alert_id}: {f.title}")
    for q in summary.quiet:
        table.add_row(q.brand, q.rule, q.reason)
    if summary.digest_id is not None:
        table.add_row("*", "digest", f"fired #{summary.digest_id}")
    out.print(table)
    if deliver:
        results = deliver_pending(store, settings, now=datetime.now(UTC))
        for r in results:
            colour = _COLOURS.get(r.status, "white")
            note = f": {r.error}" if r.error else ""
            out.print(f"alert #{r.alert_id} → {r.channel}: [{colour}]{r.status}[/]{note}")


def sample_payload(cfg: AlertsSettings, now: datetime) -> dict[str, Any]:
    """A harmless example alert, for checking that a channel is set up right."""
    return {
        "kind": "test",
        "rule": "test",
        "brand": "Grapevine",
        "title": "Test alert from Grapevine",
        "summary": "If you can read this, the channel is set up correctly. Nothing happened.",
        "figure": {"label": "Sent at", "value": f"{now:%Y-%m-%d %H:%M} UTC"},
        "examples": [
            {
                "source": "hackernews",
                "community": "hackernews",
                "created_at": now.isoformat(),
                "text": "An example mention would be quoted here.",
                "url": None,
            }
        ],
        "link": cfg.dashboard_url,
        "checked_at": now.isoformat(),
        "data": {},
        "subjects": [],
    }


@alerts_app.command("test")
def send_test_command(
    channel: Annotated[str, typer.Option("--channel", help="A name under [alerts.channels].")],
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Send a sample alert to one channel now (not stored, no retries)."""
    _settings, cfg = _load(config, database_url)
    chosen = cfg.channels.get(channel)
    if chosen is None:
        err.print(f"[bold red]No channel named {channel!r};[/] configured: {sorted(cfg.channels)}")
        raise typer.Exit(2)
    now = datetime.now(UTC)
    identity = {
        "id": 0,
        "rule": "test",
        "brand": "Grapevine",
        "event_key": "test",
        "fired_at": now.isoformat(),
        "delivery_id": f"test:{channel}:{int(now.timestamp())}",
    }
    with httpx.Client(follow_redirects=False) as http:
        try:
            send(
                chosen,
                identity,
                sample_payload(cfg, now),
                http=http,
                transports=Transports(http=http),
                now=now,
            )
        except DeliveryError as exc:
            err.print(f"[bold red]{channel}: not delivered[/]: {exc}")
            raise typer.Exit(1) from None
    Console().print(f"[green]{channel}: delivered[/] a test alert ({chosen.type}).")


@alerts_app.command("list")
def list_command(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Newest N alerts.")] = 20,
    brand: Annotated[str | None, typer.Option("--brand", "-b")] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="Only alerts with a delivery pending, delivered or failed."),
    ] = None,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """The newest alerts with each channel's delivery status, attempts and last error."""
    if status is not None and status not in _COLOURS:
        raise typer.BadParameter("pending, delivered or failed", param_hint="--status")
    settings, _cfg = _load(config, database_url)
    store = _store(settings)
    alerts = list_alerts(store, limit=limit, brand=brand, status=status)
    out = Console()
    if not alerts:
        out.print("No alerts yet.")
        return
    table = Table(title="Alerts", show_lines=True)
    for col in ("#", "fired (UTC)", "brand", "rule", "alert", "deliveries"):
        table.add_column(col)
    for a in alerts:
        deliveries = []
        for d in a.deliveries:
            line = f"{d.channel}: [{_COLOURS.get(d.status, 'white')}]{d.status}[/]"
            if d.attempts:
                line += f" ({d.attempts} attempt{'s' if d.attempts != 1 else ''})"
            if d.status == "pending" and d.next_attempt_at is not None:
                line += f", next {d.next_attempt_at:%H:%M}"
            if d.last_error and d.status != "delivered":
                line += f"\n  {redact(d.last_error)[:120]}"
            deliveries.append(line)
        table.add_row(
            str(a.id),
            f"{a.fired_at:%Y-%m-%d %H:%M}",
            a.brand,
            a.rule,
            str(a.payload.get("title", "")),
            "\n".join(deliveries) or "(no channels)",
        )
    out.print(table)
