"""The ``grapevine`` command line: init, collect, run, status (and each area's commands).

Commands are thin: they load the configuration, open the store and call the engine,
scheduler or an area's functions. Long work shows a progress bar; errors a person can fix
(bad config, unknown brand) end with a readable message and exit code 2, not a traceback.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from collectors import REGISTRY, CollectorError
from config import ConfigError, Settings, install_redaction, load_config, load_dotenv_file
from grapevine.alerts.commands import alerts_app
from grapevine.dashboard.format import ago
from grapevine.engine import Engine, Job, RunResult
from grapevine.export.commands import export_command
from nlp.commands import register as register_nlp
from storage import Store, database_url_for_display, open_store

app = typer.Typer(
    help="Grapevine: social listening and sentiment monitoring.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="Config file (default: $GRAPEVINE_CONFIG or config/grapevine.toml)."
    ),
]
DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", help="Overrides GRAPEVINE_DATABASE_URL and the file."),
]


def _setup_logging(verbose: bool = False) -> None:
    root = logging.getLogger()
    if not any(isinstance(h, RichHandler) for h in root.handlers):
        root.addHandler(RichHandler(console=console, show_path=False, rich_tracebacks=False))
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    install_redaction(root)


def load_settings(
    config: Path | None, database_url: str | None = None, **collect: object
) -> Settings:
    """Config with CLI flags on top; a ConfigError ends the command with its message."""
    load_dotenv_file()
    overrides: dict[str, object] = {}
    if database_url:
        overrides["store"] = {"database_url": database_url}
    collect_overrides = {k: v for k, v in collect.items() if v is not None}
    if collect_overrides:
        overrides["collect"] = collect_overrides
    try:
        return load_config(config, overrides=overrides)
    except ConfigError as exc:
        console.print(f"[bold red]Configuration error[/]\n{exc}")
        raise typer.Exit(2) from None


def open_settings_store(settings: Settings) -> Store:
    try:
        return open_store(settings.store.database_url)
    except Exception as exc:
        url = database_url_for_display(settings.store.database_url)
        console.print(f"[bold red]Cannot open the store[/] at {url}: {type(exc).__name__}: {exc}")
        raise typer.Exit(2) from None


def _reachable(url: str, timeout: float = 2.0) -> bool:
    """Can we open a TCP connection to the API's host? Asked once per source per command."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        return False
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def replay_sources(settings: Settings, sources: Iterable[str], mode: str) -> set[str]:
    """Which sources to replay from bundled recordings: all (always), none (never), or
    those whose API host cannot be reached (auto)."""
    names = list(sources)
    if mode == "always":
        return set(names)
    if mode == "never":
        return set()
    offline = set()
    for name in names:
        cls = REGISTRY[name]
        source = settings.sources.get(name)
        base = (source.base_url if source else None) or cls.default_base_url
        if not _reachable(base):
            offline.add(name)
    return offline


def _announce_replay(replayed: set[str], all_sources: Sequence[str]) -> None:
    if not replayed:
        return
    if set(all_sources) <= replayed:
        console.print(
            "[bold yellow]Offline:[/] replaying the bundled API recordings "
            "(real responses recorded earlier) instead of calling the live APIs."
        )
    else:
        console.print(
            f"[yellow]Unreachable, replaying recordings for:[/] {', '.join(sorted(replayed))}"
        )


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


@app.command()
def init(config: ConfigOption = None, database_url: DatabaseOption = None) -> None:
    """Validate the configuration and create (or migrate) the store."""
    _setup_logging()
    settings = load_settings(config, database_url)
    store = open_settings_store(settings)
    store.set_meta_once("installation_id", secrets.token_hex(16))
    _init_hooks(store)
    url = database_url_for_display(settings.store.database_url)
    console.print(
        f"[green]Ready.[/] Store at {url}; {len(settings.brands)} brand(s), "
        f"{len(settings.competitors)} competitor(s), sources: {', '.join(settings.enabled_sources()) or 'none'}."
    )


def _init_hooks(store: Store) -> None:
    """Per-installation set-up the areas need."""
    from grapevine.export import ensure_installation_secret

    ensure_installation_secret(store)  # the key behind research exports' author pseudonyms


@app.command()
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
    settings, store, engine = _prepare(config, database_url, replay, verbose, source)
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
        _stop_on_signals(engine)
        results = run_jobs(engine, jobs)
        _print_results(results)
        console.print(f"{store.count_mentions()} mentions in the store.")
        if results and all(r.status in {"failed", "disabled"} for r in results):
            raise typer.Exit(1)
        return
    from grapevine.scheduler import run_scheduler

    run_scheduler(settings, store, engine, jobs=jobs, with_app=False, extra_jobs=False)


def _stop_on_signals(engine: Engine) -> None:
    """SIGINT/SIGTERM: finish the page being committed, then stop (nothing half-written)."""

    def stop(signum: int, _frame: object) -> None:
        engine.stop.set()  # first: the collecting thread checks it between pages
        console.print(f"[yellow]{signal.Signals(signum).name}: stopping after the current page…[/]")

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def _prepare(
    config: Path | None,
    database_url: str | None,
    replay: bool | None,
    verbose: bool,
    sources: Sequence[str] | None,
) -> tuple[Settings, Store, Engine]:
    """What ``collect`` and ``run`` share: settings with the flags applied, the store (runs a
    killed process left open marked interrupted), and an engine that replays the sources it
    should — each source's host is probed once, here, never at import time."""
    _setup_logging(verbose)
    mode = None if replay is None else ("always" if replay else "never")
    settings = load_settings(config, database_url, replay=mode)
    store = open_settings_store(settings)
    store.close_abandoned_runs()
    names = list(sources) if sources else list(settings.enabled_sources())
    known = [n for n in names if n in REGISTRY]
    replayed = replay_sources(settings, known, settings.collect.replay)
    _announce_replay(replayed, known)
    return settings, store, Engine(store, settings, replay=replayed)


@app.command()
def run(
    app_: Annotated[
        bool, typer.Option("--app/--no-app", help="Also serve the Streamlit dashboard.")
    ] = True,
    port: Annotated[int, typer.Option(help="Dashboard port.")] = 8501,
    replay: Annotated[bool | None, typer.Option("--replay/--live")] = None,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Collect, classify and alert on schedule (and serve the dashboard) until stopped."""
    settings, store, engine = _prepare(config, database_url, replay, verbose, None)
    from grapevine.scheduler import run_scheduler

    run_scheduler(settings, store, engine, jobs=engine.jobs(), with_app=app_, port=port)


@app.command()
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
            next_run = r["started_at"] + source.every
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
                ago(next_run, now) if next_run > now else "due",
                error[:60],
            )
    out = Console()
    out.print(table)
    totals = store.source_totals()
    out.print(
        "Mentions stored: "
        + (", ".join(f"{k} {v}" for k, v in sorted(totals.items())) or "none yet")
    )


# --- area commands ---
register_nlp(app)  # train, classify, label
app.command("export")(export_command)
app.add_typer(alerts_app, name="alerts")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:
        console.print("stopped")
        sys.exit(130)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
