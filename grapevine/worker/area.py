"""``grapevine worker``: run the scheduler's jobs that ``grapevine run --workers N`` defers
to the queue, on this machine. Any number of workers, on any machines, may share one
PostgreSQL store; ``grapevine init`` creates the queue's tables there.

SIGTERM/SIGINT: the worker takes no new job, the running ones finish the page they are
committing (collection) or the batch they are writing (labelling), then it exits.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import Sequence
from typing import Annotated

import procrastinate
import typer
from procrastinate.worker import Worker

from config import Settings
from grapevine.areas import Area, JobContext
from grapevine.launch import prepare
from grapevine.runtime import ConfigOption, DatabaseOption, VerboseOption, console
from grapevine.worker.queue import (
    CLAIMING_QUEUES,
    QUEUES,
    STALLED_AFTER_SECONDS,
    apply_queue_schema,
    defer_job,
    queue_app,
    queue_jobs,
    uses_queue,
)
from storage import Store, database_url_for_display

__all__ = ["AREA", "worker_command"]

log = logging.getLogger(__name__)


async def _work(
    app: procrastinate.App,
    stop: threading.Event,
    queues: Sequence[str],
    concurrency: int,
    heartbeat: float,
    stalled_after: float,
) -> None:
    async with app.open_async():
        worker = Worker(
            app,
            queues=list(queues),
            name=f"grapevine-{os.getpid()}",
            concurrency=concurrency,
            install_signal_handlers=False,
            update_heartbeat_interval=heartbeat,
            stalled_worker_timeout=stalled_after,
            delete_jobs="successful",
        )
        loop = asyncio.get_running_loop()

        def on_signal(signum: int) -> None:
            first = not stop.is_set()
            stop.set()  # first: running jobs check it between pages
            worker.stop()  # type: ignore[no-untyped-call]
            if first:
                console.print(
                    f"[yellow]{signal.Signals(signum).name}: finishing the running jobs' "
                    "current page, then stopping…[/]"
                )

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal, signum)
        await worker.run()  # type: ignore[no-untyped-call]


def worker_command(
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-n", min=1, help="Jobs this worker runs at once.")
    ] = 1,
    queues: Annotated[
        str, typer.Option("--queues", "-q", help="Comma-separated queues to take jobs from.")
    ] = ",".join(QUEUES),
    replay: Annotated[bool | None, typer.Option("--replay/--live")] = None,
    heartbeat: Annotated[
        float, typer.Option(help="Seconds between this worker's heartbeats in the queue.")
    ] = 10.0,
    config: ConfigOption = None,
    database_url: DatabaseOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Run the jobs `grapevine run --workers N` defers (collection, labelling, alerts)."""
    settings, store, engine = prepare(config, database_url, replay, verbose, None)
    url = settings.store.database_url
    if not uses_queue(url):
        console.print(
            "[bold red]Workers need a PostgreSQL store[/] (GRAPEVINE_DATABASE_URL); on SQLite "
            "`grapevine run` does everything in one process."
        )
        raise typer.Exit(2)
    wanted = [q.strip() for q in queues.split(",") if q.strip()]
    if not wanted:
        console.print("[bold red]--queues names no queue[/]")
        raise typer.Exit(2)
    apply_queue_schema(store)
    jobs = queue_jobs(JobContext(settings, store, engine))

    def run(job_id: str) -> None:
        queued = jobs.get(job_id)
        if queued is None:  # configured differently from the scheduler
            log.warning("no job %s in this worker's configuration; skipped", job_id)
            return
        done = queued.job.func()
        more = isinstance(done, int) and done > 0 and not engine.stop.is_set()
        if queued.queue in CLAIMING_QUEUES and more:
            # a backlog: queue the next batch at once, for this or any idle worker
            defer_job(app, queued)

    app = queue_app(url, run)
    console.print(
        f"[green]Worker[/] on {database_url_for_display(url)}: queues {', '.join(wanted)}, "
        f"{concurrency} at a time. Stop with Ctrl+C."
    )
    asyncio.run(
        _work(
            app,
            engine.stop,
            wanted,
            concurrency,
            heartbeat,
            max(STALLED_AFTER_SECONDS, 3 * heartbeat),
        )
    )
    console.print("[green]Worker stopped cleanly.[/]")


def _on_init(settings: Settings, store: Store) -> None:
    if apply_queue_schema(store):
        console.print("Created the task queue's tables (procrastinate) for workers.")


def _add_commands(app: typer.Typer) -> None:
    app.command("worker")(worker_command)


AREA = Area(name="worker", add_commands=_add_commands, on_init=_on_init)
