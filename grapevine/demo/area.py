"""``grapevine demo``: a clearly labelled demo store for the first ten minutes.

It replays the bundled recordings, adds a generated month of mentions for the configured
brands (ending now, with an outage in the last day), labels everything with the shipped
classifier and runs the alert check, so every dashboard page — the Alerts page included —
has something to show. Every page then carries a "Demo data" banner until live collection
runs. ``make run`` calls it with ``--if-offline``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from grapevine.areas import Area
from grapevine.demo.build import NotADemoStore, build_demo
from grapevine.demo.provenance import replay_note
from grapevine.launch import replay_sources
from grapevine.runtime import (
    ConfigOption,
    DatabaseOption,
    VerboseOption,
    console,
    load_settings,
    open_settings_store,
    setup_logging,
)
from storage import Store, database_url_for_display

__all__ = ["AREA", "demo"]


def demo(
    seed: Annotated[int, typer.Option(help="Seed of the generated month.")] = 7,
    if_offline: Annotated[
        bool,
        typer.Option(
            "--if-offline",
            help="Only when no source's API can be reached (what `make run` uses); "
            "online, do nothing and let `grapevine collect` collect live.",
        ),
    ] = False,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Build a demo store: replayed recordings plus a generated month, labelled, alerts fired."""
    setup_logging(verbose)
    settings = load_settings(config, database_url)
    sources = list(settings.enabled_sources())
    if if_offline:
        offline = replay_sources(settings, sources, settings.collect.replay)
        if set(sources) - offline:
            console.print("Online: collecting live data, no demo.")
            return
    store = open_settings_store(settings)
    now = datetime.now(UTC)

    def label(target: Store) -> int:
        # torch loads in seconds: only when labelling
        from grapevine.labelling.area import build_classifier
        from nlp.labeller import label_pending

        with console.status("labelling with the shipped classifier…"):
            classifier = build_classifier(settings.nlp)
            return label_pending(target, classifier, batch_size=settings.nlp.batch_size)

    try:
        summary = build_demo(
            store, settings, now=now, label=label, seed=seed, on_step=lambda s: console.log(s)
        )
    except NotADemoStore as exc:
        console.print(f"[yellow]No demo built:[/] {exc}.")
        if if_offline:
            return
        raise typer.Exit(2) from None
    out = Console()
    replayed = [r for r in summary.replayed if r.counters.new]
    if summary.replayed:
        names = sorted({r.job.source for r in summary.replayed})
        stored = sum(r.counters.new for r in replayed)
        out.print(
            f"Replayed recordings: {stored} mentions from {len(names)} sources "
            f"({replay_note(names)})."
        )
    out.print(
        f"Generated for the demo: {summary.generated:,} mentions over the last 30 days; "
        f"{summary.labelled:,} mentions labelled by the shipped classifier."
    )
    table = Table(title="Alerts fired on the demo", title_justify="left")
    table.add_column("brand")
    table.add_column("alert", overflow="fold")
    for fired in summary.alerts.fired:
        table.add_row(fired.brand, fired.title)
    out.print(table)
    quiet = [q for q in summary.alerts.quiet if q.reason != "cooldown"]
    if quiet:
        out.print(
            "Quiet: " + "; ".join(f"{q.brand} {q.rule} ({q.reason})" for q in quiet),
            style="dim",
        )
    url = database_url_for_display(settings.store.database_url)
    out.print(
        f"Demo store ready at {url}; every dashboard page says [bold]Demo data[/] until live "
        "collection runs. Open it with `grapevine run`."
    )


def add_commands(app: typer.Typer) -> None:
    app.command()(demo)


AREA = Area(name="demo", add_commands=add_commands)
