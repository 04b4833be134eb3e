"""``grapevine collect`` and ``grapevine status``: collecting now or on schedule, and how
each (source × brand) job is doing."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Literal

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import case, func, select

from collectors import CollectorError
from config import ConfigError
from grapevine.areas import Area, JobContext, ScheduledJob
from grapevine.dashboard.format import ago
from grapevine.demo.provenance import replay_note
from grapevine.engine import Engine, Job, RunResult
from grapevine.freshness import format_lag, freshness
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
from storage import Store, schema

__all__ = ["Column", "add_commands", "brand_counts", "cli_table", "collection_jobs", "run_jobs"]


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


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of a CLI table: its header, alignment, and how it may shrink.

    Tables are drawn without vertical rules so that a row of short cells fits 80
    columns; long free text (errors, notes) goes under the table, never in a cell."""

    header: str
    justify: Literal["left", "right"] = "left"
    min_width: int | None = None
    max_width: int | None = None
    #: short tokens (names, times) never break; free text folds
    no_wrap: bool = True


def cli_table(title: str, columns: Sequence[Column]) -> Table:
    """A table that fits an 80-column terminal: light box, one space of padding, cells
    that fold rather than truncate to "hacke…"."""
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        pad_edge=False,
        show_edge=False,
    )
    for c in columns:
        table.add_column(
            c.header,
            justify=c.justify,
            min_width=c.min_width,
            max_width=c.max_width,
            no_wrap=c.no_wrap,
            overflow="fold",
        )
    return table


_COLOURS = {
    "ok": "green",
    "degraded": "yellow",
    "failed": "red",
    "stopped": "yellow",
    "interrupted": "yellow",
    "disabled": "dim",
}
REPLAY_MARK = "*"


def _status(status: str) -> str:
    return f"[{_COLOURS.get(status, 'white')}]{status}[/]"


def brand_counts(store: Store, since: datetime) -> dict[tuple[str, str], tuple[int, int]]:
    """Per (source, brand): mentions stored, and those first stored at or after ``since``.

    Counted from the matches, so a mention counts for every brand it names (and only for
    those): a post that another brand's job found first is still new for this brand if it
    reached the store in this run, and a post that matched only another brand is not
    counted here at all."""
    m, x = schema.mentions, schema.matches
    fresh = func.sum(case((m.c.collected_at >= since, 1), else_=0))
    stmt = (
        select(m.c.source, x.c.brand, func.count(func.distinct(m.c.id)), fresh)
        .join(x, x.c.mention_id == m.c.id)
        .where(x.c.role.in_(("brand", "category", "own")))
        .group_by(m.c.source, x.c.brand)
    )
    with store.engine.connect() as conn:
        return {(s, b): (int(n), int(f or 0)) for s, b, n, f in conn.execute(stmt)}


def _print_results(results: Sequence[RunResult], store: Store, since: datetime) -> None:
    """What the pass did, per (source, brand): run status, then the brand's own counts."""
    counts = brand_counts(store, since)
    table = cli_table(
        "Collection",
        [
            Column("source"),
            Column("brand", max_width=18, no_wrap=False),
            Column("status"),
            Column("new", "right"),
            Column("stored", "right"),
            Column("skipped", "right"),
            Column("waits", "right"),
        ],
    )
    notes: list[str] = []
    previous = None
    for r in results:
        c = r.counters
        stored, new = counts.get((r.job.source, r.job.brand), (0, 0))
        source = r.job.source + (REPLAY_MARK if r.replay else "")
        table.add_row(
            source if r.job.source != previous else "",
            r.job.brand,
            _status(r.status),
            f"{new:,}",
            f"{stored:,}",
            f"{c.skipped:,}",
            f"{c.rate_limit_waits} ({c.waited_seconds:.0f}s)" if c.rate_limit_waits else "0",
        )
        previous = r.job.source
        if r.message:
            notes.append(f"{r.job.source} / {r.job.brand}: {r.message}")
    out = Console()
    out.print(table)
    if any(r.replay for r in results):
        replayed = sorted({r.job.source for r in results if r.replay})
        out.print(f"{REPLAY_MARK} replayed from the bundled files: {replay_note(replayed)}.")
    out.print(
        "new: this brand's mentions first stored by this pass; stored: all of them.",
        style="dim",
    )
    for note in notes:
        out.print(f"- {note}", markup=False, highlight=False)


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
        since = datetime.now(UTC)
        results = run_jobs(engine, jobs)
        _print_results(results, store, since)
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
    # Two tables, each narrow enough for 80 columns: how the runs went, and how fresh the
    # store is (docs/sources.md) — from the one function the Sources page uses too.
    brand_width = min(14, max((len(b.name) for b in settings.tracked), default=5))
    runs_table = cli_table(
        "Runs",
        [
            Column("source"),
            Column("brand", min_width=brand_width, max_width=14, no_wrap=False),
            Column("last run"),
            Column("result"),
            Column("new", "right"),
            Column("skip", "right"),
            Column("waits", "right"),
            Column("next run"),
        ],
    )
    fresh_table = cli_table(
        "Freshness",
        [
            Column("source"),
            Column("brand", min_width=brand_width, max_width=14, no_wrap=False),
            Column("newest stored"),
            Column("lag", "right"),
            Column("history", max_width=32, no_wrap=False),
        ],
    )
    fresh = {(f.source, f.brand): f for f in freshness(store, now)}

    errors: list[str] = []
    replayed = False
    runs = {(r["source"], r["scope"]): r for r in store.latest_runs()}
    for name, source in settings.sources.items():
        for i, brand in enumerate(settings.tracked):
            r = runs.get((name, brand.name))
            label = name if i == 0 else ""
            f = fresh.get((name, brand.name))
            fresh_table.add_row(
                label,
                brand.name,
                f"{f.newest:%Y-%m-%d %H:%M}" if f is not None and f.newest else "—",
                format_lag(f.lag) if f is not None else "—",
                f.backfill if f is not None else "—",
            )
            if not source.enabled:
                last = ago(r["started_at"], now) if r else "—"
                runs_table.add_row(label, brand.name, last, _status("disabled"), "", "", "", "—")
                continue
            if r is None:
                runs_table.add_row(label, brand.name, "never", "—", "", "", "", "at start")
                continue
            due = next_run(r["started_at"], source.every, source.enabled)
            if r["rate_limit_waits"]:
                errors.append(
                    f"{name} / {brand.name}: waited {r['waited_seconds']:.0f} s for rate limits"
                )
            if r["status"] in {"failed", "degraded", "interrupted"} and r["message"]:
                errors.append(f"{name} / {brand.name}: {r['message']}")
            if r["replay"] and label:
                label += REPLAY_MARK
            replayed = replayed or bool(r["replay"])
            runs_table.add_row(
                label,
                brand.name,
                ago(r["started_at"], now),
                _status(r["status"]),
                f"{r['new']:,}",
                f"{r['skipped']:,}",
                f"{r['rate_limit_waits']:,}",
                ago(due, now) if due is not None and due > now else "due",
            )
    out = Console()
    out.print(runs_table)
    out.print(fresh_table)
    if replayed:
        out.print(f"{REPLAY_MARK} the latest run replayed the bundled files.")
    for error in errors:
        out.print(f"- {error}", markup=False, highlight=False)
    totals = store.source_totals()
    out.print(
        "Mentions stored: "
        + (", ".join(f"{k} {v:,}" for k, v in sorted(totals.items())) or "none yet")
    )


def _jobs(context: JobContext) -> list[ScheduledJob]:
    return collection_jobs(context)


def add_commands(app: typer.Typer) -> None:
    app.command()(collect)
    app.command()(status)


AREA = Area(name="collect", add_commands=add_commands, jobs=_jobs)
