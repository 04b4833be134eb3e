"""The scheduler: every (source x brand) job, the classifier and the alert check, each on
its own interval, in one process.

APScheduler 3 runs jobs in a small thread pool with ``max_instances=1`` (a slow source
never overlaps itself), ``coalesce=True`` (missed runs collapse into one) and a misfire
grace time. SIGINT/SIGTERM set the engine's stop flag: running jobs finish the page they
are committing, then the process exits cleanly.
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from rich.console import Console

from config import Settings
from grapevine.engine import Engine, Job
from storage import Store

__all__ = ["AreaJob", "build_scheduler", "run_scheduler"]

log = logging.getLogger(__name__)
console = Console(stderr=True)

MISFIRE_GRACE = 300  # seconds a late job may still start


@dataclasses.dataclass(frozen=True)
class AreaJob:
    """A periodic task that is not a collector (classification, alerts)."""

    id: str
    every: timedelta
    func: Callable[[], Any]


def area_jobs(settings: Settings, store: Store) -> list[AreaJob]:
    """Classification and alerting jobs, when those areas are installed and configured."""
    jobs: list[AreaJob] = []
    # --- area scheduler jobs ---
    from grapevine.alerts.schedule import alert_jobs
    from nlp.labeller import labelling_job

    jobs.append(labelling_job(settings, store))  # label new mentions
    jobs.extend(alert_jobs(settings, store))  # check rules hourly, deliver the outbox
    return jobs


def _safe(name: str, func: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        try:
            func()
        except Exception:  # a failing area job is logged and retried on its next interval
            log.exception("scheduled job %s failed", name)

    return run


def build_scheduler(
    settings: Settings,
    engine: Engine,
    jobs: Sequence[Job],
    extra: Sequence[AreaJob] = (),
    *,
    first_run: datetime | None = None,
) -> BackgroundScheduler:
    """A scheduler with one interval job per collection job and per area job."""
    scheduler = BackgroundScheduler(
        timezone=UTC,
        executors={"default": ThreadPoolExecutor(max_workers=4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE},
    )
    for job in jobs:
        every = settings.sources[job.source].every
        start = first_run or (datetime.now(UTC) + every)
        scheduler.add_job(
            engine.run_job,
            IntervalTrigger(seconds=every.total_seconds(), timezone=UTC),
            args=[job],
            id=job.id,
            name=f"collect {job.id}",
            next_run_time=start,
        )
    for area in extra:
        scheduler.add_job(
            _safe(area.id, area.func),
            IntervalTrigger(seconds=area.every.total_seconds(), timezone=UTC),
            id=area.id,
            name=area.id,
            next_run_time=first_run or datetime.now(UTC),
        )
    return scheduler


def _start_dashboard(port: int) -> subprocess.Popen[bytes] | None:
    app_file = Path("app.py")
    if not app_file.exists():
        console.print("[yellow]No app.py here; the dashboard is not started.[/]")
        return None
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_file),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
    ]
    console.print(f"[green]Dashboard:[/] http://localhost:{port}")
    return subprocess.Popen(cmd)


def run_scheduler(
    settings: Settings,
    store: Store,
    engine: Engine,
    *,
    jobs: Sequence[Job],
    with_app: bool = True,
    port: int = 8501,
    extra_jobs: bool = True,
) -> None:
    """Run until SIGINT/SIGTERM; then stop after the current pages are committed."""
    stop = engine.stop
    extra = area_jobs(settings, store) if extra_jobs else []
    scheduler = build_scheduler(settings, engine, jobs, extra)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        first = not stop.is_set()
        stop.set()  # before printing: a job thread may be checking the flag right now
        if first:
            console.print(
                f"[yellow]{signal.Signals(signum).name}: finishing the current batch, then stopping…[/]"
            )

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
    dashboard = _start_dashboard(port) if with_app else None
    scheduler.start()
    console.print(
        f"[green]Scheduler running[/] {len(jobs)} collection job(s)"
        + (f" and {len(extra)} other job(s)" if extra else "")
        + ". Stop with Ctrl+C."
    )
    try:
        while not stop.wait(1.0):
            if dashboard is not None and dashboard.poll() is not None:
                console.print("[red]The dashboard process exited; stopping.[/]")
                stop.set()
    finally:
        scheduler.shutdown(wait=True)
        if dashboard is not None and dashboard.poll() is None:
            dashboard.terminate()
            try:
                dashboard.wait(timeout=10)
            except subprocess.TimeoutExpired:
                dashboard.kill()
        console.print("[green]Stopped cleanly.[/]")
