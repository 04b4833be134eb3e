"""``grapevine evaluate``, ``grapevine report`` and ``grapevine corrections``: thin commands
that parse, call :mod:`scoring.corrections`, :mod:`grapevine.workflow.report` or
:mod:`grapevine.workflow.dataset`, and say what happened."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from config import ConfigError, parse_interval
from config.alerts import EmailChannel
from grapevine.alerts.channels.errors import DeliveryError
from grapevine.export.query import parse_when
from grapevine.runtime import (
    ConfigOption,
    DatabaseOption,
    console,
    load_settings,
    open_settings_store,
    setup_logging,
)
from grapevine.workflow.dataset import write_corrections
from grapevine.workflow.mail import send_report
from grapevine.workflow.report import build_report
from scoring.corrections import FIELDS, ModelAgreement, model_agreement
from scoring.queries import resolve_model_version

__all__ = ["corrections_command", "evaluate_command", "report_command"]

out = Console()


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} %"


def agreement_json(found: ModelAgreement) -> dict[str, object]:
    return {
        "model_version": found.model_version,
        "complaint_threshold": found.complaint_threshold,
        "corrections": found.corrections,
        "unlabelled": found.unlabelled,
        "rows": [
            {
                "field": r.field,
                "by": r.by,
                "key": r.key,
                "reviewed": r.reviewed,
                "agreed": r.agreed,
                "agreement_pct": r.agreement_pct,
            }
            for r in found.rows
        ],
    }


def evaluate_command(
    model_version: Annotated[
        str | None,
        typer.Option("--model-version", help="The labels to judge (default: the newest)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """How often the model agrees with people's corrected labels, per source, language
    and label, with counts: a live accuracy estimate on the team's own data."""
    setup_logging()
    settings = load_settings(config, database_url)
    store = open_settings_store(settings)
    with store.engine.connect() as conn:
        version = resolve_model_version(conn, model_version)
        found = model_agreement(conn, version, settings.scoring.complaint_threshold)
    if as_json:
        typer.echo(json.dumps(agreement_json(found), indent=2))
        return
    if not found.corrections:
        console.print(
            "No corrections yet: editors correct labels on the dashboard's Mentions and "
            "Complaints pages, and each one is counted here."
        )
        return
    console.print(
        f"Model [bold]{version or '—'}[/] against {found.corrections:,} corrected mentions "
        f"(complaint threshold {found.complaint_threshold:g}). People review the mentions "
        "they choose, so this estimate leans towards the hard cases."
    )
    if found.unlabelled:
        console.print(f"{found.unlabelled:,} corrected mentions have no label from this model.")
    for field in FIELDS:
        overall = found.overall(field)
        table = Table(
            "by",
            "group",
            "reviewed",
            "agreed",
            "agreement",
            title=f"{field}: {_pct(overall.agreement_pct)} of {overall.reviewed:,}",
        )
        for by in ("source", "language", "label"):
            for row in found.table(field, by):
                table.add_row(
                    by, row.key, f"{row.reviewed:,}", f"{row.agreed:,}", _pct(row.agreement_pct)
                )
        out.print(table)


def report_command(
    brand: Annotated[str, typer.Option("--brand", "-b", help="The brand to report on.")],
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the HTML report here.")
    ] = None,
    period: Annotated[
        str, typer.Option("--period", "-p", help="How far back, in whole days: 7d, 30d…")
    ] = "7d",
    until: Annotated[
        str | None,
        typer.Option("--until", help="The last day covered (default: yesterday, UTC)."),
    ] = None,
    send: Annotated[
        list[str] | None,
        typer.Option("--send", help="Also e-mail it through this email channel (repeatable)."),
    ] = None,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """A brand's report (key figures and their change, volume and sentiment, share of
    voice, top complaints and their status, hotspots) as one self-contained HTML page."""
    setup_logging()
    settings = load_settings(config, database_url)
    try:
        length = parse_interval(period)
        settings.brand(brand)
    except (ValueError, KeyError, ConfigError) as exc:
        console.print(f"[bold red]{exc}[/]")
        raise typer.Exit(2) from None
    if length < timedelta(days=1):
        console.print("[bold red]--period is at least one day (1d).[/]")
        raise typer.Exit(2)
    channels: list[EmailChannel] = []
    for name in send or []:
        channel = settings.alerts.channels.get(name)
        if not isinstance(channel, EmailChannel):
            console.print(f"[bold red]{name} is not an email channel under [alerts.channels].[/]")
            raise typer.Exit(2)
        channels.append(channel)
    if output is None and not channels:
        console.print("[bold red]Give --out PATH, --send CHANNEL, or both.[/]")
        raise typer.Exit(2)
    end = (
        parse_when(until, end=True)
        if until
        else datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    )
    store = open_settings_store(settings)
    report = build_report(store, settings, brand, end=end, length=length)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report.html(), encoding="utf-8")
        console.print(f"[green]Wrote[/] {output} ({report.title}).")
    for channel in channels:
        try:
            send_report(report, channel)
        except DeliveryError as exc:
            console.print(f"[bold red]Sending failed:[/] {exc}")
            raise typer.Exit(1) from None
        console.print(f"[green]Sent[/] to {', '.join(channel.to)}.")


def corrections_command(
    output: Annotated[Path, typer.Option("--out", "-o", help="Where to write the dataset.")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="jsonl or csv (default: from the file name).")
    ] = "",
    model_version: Annotated[
        str | None,
        typer.Option("--model-version", help="The model labels to put beside them."),
    ] = None,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """People's corrected labels as a labelled dataset (text, people's labels, the
    model's labels), for training or for checking another model."""
    setup_logging()
    chosen = fmt or ("csv" if output.suffix.lower() == ".csv" else "jsonl")
    if chosen not in ("jsonl", "csv"):
        console.print("[bold red]--format is jsonl or csv.[/]")
        raise typer.Exit(2)
    store = open_settings_store(load_settings(config, database_url))
    output.parent.mkdir(parents=True, exist_ok=True)
    with store.engine.connect() as conn:
        n = write_corrections(conn, output, "csv" if chosen == "csv" else "jsonl", model_version)
    console.print(f"[green]Wrote[/] {n:,} corrected mentions to {output}.")
