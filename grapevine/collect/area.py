"""``grapevine collect`` and ``grapevine status``: collecting now or on schedule, and how
each (source × brand) job is doing."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from collectors import CollectorError
from config import ConfigError
from grapevine.areas import Area, JobContext, ScheduledJob
from grapevine.dashboard.format import ago
from grapevine.engine import Engine, Job, RunResult
from grapevine.launch import prepare, stop_on_signals
from grapevine.runtime import (
    ConfigOption,
    DatabaseOption,
    console,
    load_settings,
    open_settings_store,
)
from grapevine.scheduler import run_scheduler
from scoring.health import next_run

__all__ = ["add_commands", "collection_jobs", "run_jobs"]


def collection_jobs(context: JobContext, only: Sequence[Job] | None = None) -> list[ScheduledJob]:
    """One periodic job per enabled (source × brand) — or per job in ``only`` — on the
    source's interval."""
    engine = context.engine
    jobs = engine.jobs() if only is None else only
    return [
        ScheduledJob(
            id=job.id,
            every=context.settings.sources[job.source].every,
            func=functools.partial(engine.run_job, job),
            start_now=False,
        )
        for job in jobs
    ]


def run_jobs(engine: Engine, jobs: Sequence[Job]) -> list[RunResult]:
    """Run jobs one after another with a progress bar; return every result."""
    results: list[RunResult] = []
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[new]} new"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    ) as progress:
        task = progress.add_task("collecting", total=len(jobs), new=0)
        new = 0
        for job in jobs:
            progress.update(task, description=f"collecting {job.id}")
            if engine.stop.is_set():
                break
            result = engine.run_job(job)
            new += result.counters.new
            results.append(result)
            progress.update(task, advance=1, new=new)
        progress.update(task, description="collected")
    return results


def _print_results(results: Sequence[RunResult]) -> None:
    table = Table(title="Collection", show_lines=False)
    for col in ("source", "brand", "status", "new", "already stored", "skipped", "waits", "note"):
        table.add_column(col)
    colours = {
        "ok": "green",
        "degraded": "yellow",
        "failed": "red",
        "stopped": "yellow",
        "disabled": "dim",
    }
    for r in results:
        c = r.counters
        table.add_row(
            r.job.source + (" (replay)" if r.replay else ""),
            r.job.brand,
            f"[{colours.get(r.status, 'white')}]{r.status}[/]",
            str(c.new),
            str(c.duplicates),
            str(c.skipped),
            f"{c.rate_limit_waits} ({c.waited_seconds:.0f}s)" if c.rate_limit_waits else "0",
            (r.message or "")[:80],
        )
    Console().print(table)


def collect(
    source: Annotated[
        list[str] | None, typer.Option("--source", "-s", help="Only this source (repeatable).")
    ] = None,
    brand: Annotated[
        list[str] | None, typer.Option("--brand", "-b", help="Only this brand (repeatable).")
    ] = None,
    once: Annotated[
        bool,
        typer.Option("--once", help="One pass, then exit (default: keep collecting on schedule)."),
    ] = False,
    replay: Annotated[
        bool | None,
        typer.Option(
            "--replay/--live", help="Force replaying bundled recordings, or force live APIs."
        ),
    ] = None,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Collect mentions for every (source x brand) job, or the ones named."""
    settings, store, engine = prepare(config, database_url, replay, verbose, source)
    try:
        jobs = engine.jobs(source, brand)
    except (CollectorError, ConfigError) as exc:
        console.print(f"[bold red]{exc}[/]")
        raise typer.Exit(2) from None
    if not jobs:
        console.print(
            "[yellow]Nothing to collect:[/] no enabled source or no brand in the configuration."
        )
        raise typer.Exit(1)
    if once:
        stop_on_signals(engine)
        results = run_jobs(engine, jobs)
        _print_results(results)
        console.print(f"{store.count_mentions()} mentions in the store.")
        if results and all(r.status in {"failed", "disabled"} for r in results):
            raise typer.Exit(1)
        return
    context = JobContext(settings, store, engine)
    run_scheduler(settings, engine.stop, collection_jobs(context, jobs), with_app=False)


def status(config: ConfigOption = None, database_url: DatabaseOption = None) -> None:
    """Per source and brand: last run, result, new mentions, rate-limit waits, next run."""
    settings = load_settings(config, database_url)
    store = open_settings_store(settings)
    now = datetime.now(UTC)
    table = Table(title="Sources")
    for col in (
        "source",
        "brand",
        "last run",
        "result",
        "new",
        "skipped",
        "waits",
        "next run",
        "last error",
    ):
        table.add_column(col)
    runs = {(r["source"], r["scope"]): r for r in store.latest_runs()}
    for name, source in settings.sources.items():
        for brand in settings.tracked:
            r = runs.get((name, brand.name))
            if not source.enabled:
                table.add_row(
                    name,
                    brand.name,
                    ago(r["started_at"], now) if r else "—",
                    "disabled",
                    "",
                    "",
                    "",
                    "—",
                    "",
                )
                continue
            if r is None:
                table.add_row(name, brand.name, "never", "—", "", "", "", "at start", "")
                continue
            due = next_run(r["started_at"], source.every, source.enabled)
            waits = (
                f"{r['rate_limit_waits']} ({r['waited_seconds']:.0f}s)"
                if r["rate_limit_waits"]
                else "0"
            )
            error = (
                (r["message"] or "") if r["status"] in {"failed", "degraded", "interrupted"} else ""
            )
            table.add_row(
                name + (" (replay)" if r["replay"] else ""),
                brand.name,
                ago(r["started_at"], now),
                r["status"],
                str(r["new"]),
                str(r["skipped"]),
                waits,
                ago(due, now) if due is not None and due > now else "due",
                error[:60],
            )
    out = Console()
    out.print(table)
    totals = store.source_totals()
    out.print(
        "Mentions stored: "
        + (", ".join(f"{k} {v}" for k, v in sorted(totals.items())) or "none yet")
    )


def _jobs(context: JobContext) -> list[ScheduledJob]:
    return collection_jobs(context)


def add_commands(app: typer.Typer) -> None:
    app.command()(collect)
    app.command()(status)


AREA = Area(name="collect", add_commands=add_commands, jobs=_jobs)
