"""The ``grapevine`` command line: ``init`` and ``run``, plus every area's commands.

Areas (collection, labelling, alerts, export, …) add their commands through
:mod:`grapevine.areas`; this module knows none of them by name. Commands are thin: they
load the configuration, open the store and call an area's functions. Errors a person can
fix (bad config, unknown brand) end with a readable message and exit code 2, never a
traceback.
"""

from __future__ import annotations

import os
import secrets
import sys
from typing import Annotated

import typer

from collectors import REGISTRY, CollectorError
from config import Settings
from grapevine.areas import JobContext, installed_areas, scheduled_jobs
from grapevine.launch import prepare
from grapevine.runtime import (
    ConfigOption,
    DatabaseOption,
    VerboseOption,
    console,
    load_settings,
    open_settings_store,
    setup_logging,
)
from grapevine.scheduler import run_scheduler
from grapevine.worker.queue import (
    STALLED_AFTER_SECONDS,
    queue_mode,
    uses_queue,
    worker_commands,
)
from storage import database_url_for_display

app = typer.Typer(
    help="Grapevine: social listening and sentiment monitoring.",
    no_args_is_help=True,
    add_completion=False,
)


def check_sources(settings: Settings) -> list[str]:
    """Every configured source's own options, checked by its collector (the config layer
    cannot know them): one line per problem, naming the file and the key."""
    where = str(settings.path) if settings.path else "configuration"
    problems = []
    for name, source in settings.sources.items():
        if name not in REGISTRY:
            problems.append(f"{where}: sources.{name}: no such source; known: {sorted(REGISTRY)}")
            continue
        try:
            REGISTRY[name].from_config(source.options)
        except CollectorError as exc:
            problems.append(f"{where}: {exc}")
    return problems


@app.command()
def init(config: ConfigOption = None, database_url: DatabaseOption = None) -> None:
    """Validate the configuration and create (or migrate) the store."""
    setup_logging()
    settings = load_settings(config, database_url)
    problems = check_sources(settings)
    if problems:
        console.print("[bold red]Configuration error[/]\n" + "\n".join(problems))
        raise typer.Exit(2)
    store = open_settings_store(settings)
    store.set_meta_once("installation_id", secrets.token_hex(16))
    for area in installed_areas():
        if area.on_init is not None:
            area.on_init(settings, store)
    url = database_url_for_display(settings.store.database_url)
    console.print(
        f"[green]Ready.[/] Store at {url}; {len(settings.brands)} brand(s), "
        f"{len(settings.competitors)} competitor(s), sources: {', '.join(settings.enabled_sources()) or 'none'}."
    )


@app.command()
def run(
    app_: Annotated[
        bool, typer.Option("--app/--no-app", help="Also serve the Streamlit dashboard.")
    ] = True,
    port: Annotated[int, typer.Option(help="Dashboard port.")] = 8501,
    replay: Annotated[bool | None, typer.Option("--replay/--live")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=0,
            help="PostgreSQL only: defer every job to the task queue and start this many local "
            "`grapevine worker` processes (0: this process only schedules; run workers "
            "elsewhere). Default: do everything in this process.",
        ),
    ] = None,
    stalled_after: Annotated[
        float,
        typer.Option(
            help="With --workers: seconds without a worker's heartbeat before its jobs are "
            "retried by another; keep it at least 3x the workers' --heartbeat (10 s)."
        ),
    ] = STALLED_AFTER_SECONDS,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Collect, classify and alert on schedule (and serve the dashboard) until stopped."""
    settings, store, engine = prepare(config, database_url, replay, verbose, None)
    if workers is None:
        jobs = scheduled_jobs(JobContext(settings, store, engine))
        run_scheduler(settings, engine.stop, jobs, with_app=app_, port=port)
        return
    if not uses_queue(settings.store.database_url):
        console.print(
            "[bold red]--workers needs a PostgreSQL store[/] (GRAPEVINE_DATABASE_URL); on "
            "SQLite `grapevine run` does everything in one process."
        )
        raise typer.Exit(2)
    jobs, queue = queue_mode(settings, store, engine, stalled_after=stalled_after)
    try:
        run_scheduler(
            settings,
            engine.stop,
            jobs,
            with_app=app_,
            port=port,
            children=worker_commands(settings, workers),
        )
    finally:
        queue.close()


for _area in installed_areas():
    if _area.add_commands is not None:
        _area.add_commands(app)


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
