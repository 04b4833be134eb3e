"""``grapevine export``: the research export on the command line (DESIGN.md §5)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from config import ConfigError
from grapevine.export.exporter import ExportOptions, count_rows, export_to_path
from grapevine.export.pseudonym import MissingKeyError, installation_secret
from grapevine.export.query import ComplaintFilter, ExportFilters, parse_when
from grapevine.export.writers import FORMATS, Format
from grapevine.runtime import console, load_settings, open_settings_store
from scoring import MentionFilters

__all__ = ["export_command"]


class RowsPerSecond(ProgressColumn):
    """The export's speed, in the unit a researcher thinks in."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("—" if speed is None else f"{speed:,.0f} rows/s", style="cyan")


def _when(value: str | None, *, end: bool, flag: str) -> Any:
    if value is None:
        return None
    try:
        return parse_when(value, end=end)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD) or ISO datetime", param_hint=flag
        ) from None


def _format(given: str | None, out: Path) -> Format:
    value = given or out.suffix.lstrip(".").lower()
    for fmt in FORMATS:
        if value == fmt:
            return fmt
    raise typer.BadParameter(
        f"choose one of {', '.join(FORMATS)} (or give --out a .csv, .parquet or .jsonl name)",
        param_hint="--format",
    )


def export_command(
    brand: Annotated[
        str, typer.Option("--brand", "-b", help="The brand (or competitor) to export.")
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The file to write; datasheets go beside it.")
    ],
    format_: Annotated[
        str | None,
        typer.Option(
            "--format", "-f", help="csv, parquet or jsonl (default: from --out's suffix)."
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="From this date/datetime (UTC, inclusive).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Up to this date (inclusive) or datetime (exclusive), UTC.")
    ] = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")
    ] = None,
    language: Annotated[
        list[str] | None, typer.Option("--language", "-l", help="Only this language (repeatable).")
    ] = None,
    sentiment: Annotated[
        list[str] | None, typer.Option(help="negative, neutral or positive (repeatable).")
    ] = None,
    quality: Annotated[
        list[str] | None,
        typer.Option(help="constructive, ordinary, low_effort, spam, toxic (repeatable)."),
    ] = None,
    complaint: Annotated[
        bool | None,
        typer.Option(
            "--complaint/--no-complaint",
            help="Only complaints, or only mentions that are not complaints (default: both).",
            show_default=False,
        ),
    ] = None,
    complaint_threshold: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Complaint probability that counts as a complaint "
            "(default: [scoring] complaint_threshold).",
        ),
    ] = None,
    community: Annotated[
        list[str] | None, typer.Option(help="Only this community (repeatable).")
    ] = None,
    text: Annotated[
        str,
        typer.Option(
            "--text", "-t", help="Words that must all appear in the title or text (any case)."
        ),
    ] = "",
    role: Annotated[
        list[str] | None, typer.Option(help="brand, category and/or own (default: brand).")
    ] = None,
    model_version: Annotated[
        str | None, typer.Option(help="Labels of this model version (default: the current one).")
    ] = None,
    include_authors: Annotated[
        bool,
        typer.Option(
            "--include-authors", help="Keep real author handles (recorded in the datasheet)."
        ),
    ] = False,
    include_raw: Annotated[
        bool,
        typer.Option(
            "--include-raw", help="Add the raw source payloads (needs --include-authors)."
        ),
    ] = False,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Config file.")] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="Overrides the store URL.")
    ] = None,
) -> None:
    """Export a brand's mentions with their labels for research: CSV, Parquet or JSONL,
    authors pseudonymised, with a datasheet beside the file.

    The filters are the app's Mentions page's, flag for flag: the page's "export command
    for the same filters" is :func:`grapevine.export.export_arguments` of its selection.
    """
    fmt = _format(format_, out)
    settings = load_settings(config, database_url)
    try:
        configured = settings.brand(brand)
    except (ConfigError, KeyError, ValueError) as exc:
        console.print(f"[bold red]{exc}[/]")
        raise typer.Exit(2) from None
    kinds: dict[bool | None, ComplaintFilter] = {
        None: "any",
        True: "complaints",
        False: "not complaints",
    }
    kind = kinds[complaint]
    try:
        filters = ExportFilters(
            brand=configured.name,
            since=_when(since, end=False, flag="--since"),
            until=_when(until, end=True, flag="--until"),
            roles=tuple(role or ("brand",)),
            filters=MentionFilters(
                sources=tuple(source or ()),
                languages=tuple(language or ()),
                communities=tuple(community or ()),
                text=text,
                sentiments=tuple(sentiment or ()),
                qualities=tuple(quality or ()),
                complaint=kind,
            ),
            model_version=model_version,
            complaint_threshold=complaint_threshold,
        )
        options = ExportOptions(
            include_authors=include_authors,
            include_raw=include_raw,
            brand=configured,
            scoring=settings.scoring,
            retention_days=settings.store.retention_days,
        )
    except ValueError as exc:
        console.print(f"[bold red]{exc}[/]")
        raise typer.Exit(2) from None
    store = open_settings_store(settings)
    try:
        installation_secret(store)  # before any file is written: init creates the key
    except MissingKeyError as exc:
        console.print(f"[bold red]Cannot pseudonymise:[/] {exc}")
        raise typer.Exit(2) from None
    total = count_rows(store, filters, options)
    with Progress(
        TextColumn("[bold]exporting"),
        BarColumn(),
        MofNCompleteColumn(),
        RowsPerSecond(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("export", total=total)
        result = export_to_path(
            store,
            filters,
            fmt,
            out,
            options,
            progress=lambda n: progress.advance(task, n),
        )
    rows = result.datasheet.tally.rows
    who = "real author handles" if include_authors else "authors pseudonymised"
    console.print(
        f"[green]Exported[/] {rows:,} mentions of {configured.name} to {result.path} ({who}); "
        f"datasheet: {result.datasheet_md.name}, {result.datasheet_json.name}"
    )
