"""The scheduler: every area's periodic jobs (each (source x brand) collection, the
labeller, the alert check, …), each on its own interval, in one process.

APScheduler 3 runs jobs in a small thread pool with ``max_instances=1`` (a slow source
never overlaps itself), ``coalesce=True`` (missed runs collapse into one) and a misfire
grace time. SIGINT/SIGTERM set the process's stop flag (the engine's): running jobs finish the page they
are committing, then the process exits cleanly.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from rich.console import Console

from config import Settings
from grapevine.areas import ScheduledJob
from grapevine.privacy.accounts import count_users, is_loopback, oidc_configured
from storage import open_store

__all__ = ["build_scheduler", "dashboard_command", "dashboard_refusal", "run_scheduler"]

log = logging.getLogger(__name__)
console = Console(stderr=True)

MISFIRE_GRACE = 300  # seconds a late job may still start


def _safe(name: str, func: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        try:
            func()
        except Exception:  # a failing area job is logged and retried on its next interval
            log.exception("scheduled job %s failed", name)

    return run


def build_scheduler(
    jobs: Sequence[ScheduledJob], *, first_run: datetime | None = None
) -> BackgroundScheduler:
    """One interval job per scheduled job. Collection jobs (``start_now=False``) first run
    one interval from now — the command collected once before starting — others at once."""
    scheduler = BackgroundScheduler(
        timezone=UTC,
        executors={"default": ThreadPoolExecutor(max_workers=4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE},
    )
    now = datetime.now(UTC)
    for job in jobs:
        scheduler.add_job(
            _safe(job.id, job.func),
            IntervalTrigger(seconds=job.every.total_seconds(), timezone=UTC),
            id=job.id,
            name=job.id,
            next_run_time=first_run or (now if job.start_now else now + job.every),
        )
    return scheduler


def dashboard_command(settings: Settings, port: int) -> list[str]:
    """``streamlit run`` for the installed ``app.py``, from any working directory: bound to
    ``[app] address`` (loopback unless configured), file watcher off (it floods the log on
    large trees and the installed app never changes under a running server), toolbar
    reduced to what a viewer needs."""
    spec = importlib.util.find_spec("app")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the dashboard's app.py is not installed")
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        spec.origin,
        "--server.headless=true",
        f"--server.port={port}",
        f"--server.address={settings.app.address}",
        "--server.fileWatcherType=none",
        "--server.runOnSave=false",
        "--client.toolbarMode=viewer",
        "--browser.gatherUsageStats=false",
    ]


def dashboard_refusal(settings: Settings) -> str | None:
    """Why the dashboard must not be served as configured, or None: beyond loopback it
    needs a way to log in (a local account, or an OpenID Connect provider)."""
    address = settings.app.address
    if is_loopback(address) or oidc_configured():
        return None
    store = open_store(settings.store.database_url, migrate=False)
    try:
        users = count_users(store)
    finally:
        store.engine.dispose()
    if users:
        return None
    return (
        f"[app] address = {address!r} serves the dashboard beyond this machine, and nobody "
        "could be asked to log in: add an account (`grapevine users add NAME --role admin`) "
        "or configure an OpenID Connect provider in .streamlit/secrets.toml "
        "(docs/privacy.md), or serve on 127.0.0.1"
    )


def _start_dashboard(settings: Settings, port: int) -> subprocess.Popen[bytes] | None:
    """The dashboard in its own process, reading the same configuration file and store as
    this one (passed through the environment, which ``config`` reads first). Refuses
    (exit status 2) to serve a reachable dashboard without authentication."""
    refusal = dashboard_refusal(settings)
    if refusal is not None:
        console.print(f"[bold red]Refusing to start the dashboard:[/] {refusal}")
        raise SystemExit(2)
    try:
        cmd = dashboard_command(settings, port)
    except FileNotFoundError as exc:
        console.print(f"[yellow]{exc}; the dashboard is not started.[/]")
        return None
    env = dict(os.environ)
    if settings.path is not None:
        env["GRAPEVINE_CONFIG"] = str(Path(settings.path).resolve())
    env["GRAPEVINE_DATABASE_URL"] = settings.store.database_url
    host = (
        "localhost" if settings.app.address in {"127.0.0.1", "localhost"} else settings.app.address
    )
    console.print(f"[green]Dashboard:[/] http://{host}:{port}")
    return subprocess.Popen(cmd, env=env)


def _child_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    if settings.path is not None:
        env["GRAPEVINE_CONFIG"] = str(Path(settings.path).resolve())
    env["GRAPEVINE_DATABASE_URL"] = settings.store.database_url
    return env


def _stop_children(children: Sequence[subprocess.Popen[bytes]], grace: float = 60.0) -> None:
    """SIGTERM every local worker (each finishes the page it is committing), then wait."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def run_scheduler(
    settings: Settings,
    stop: threading.Event,
    jobs: Sequence[ScheduledJob],
    *,
    with_app: bool = True,
    port: int = 8501,
    children: Sequence[list[str]] = (),
) -> None:
    """Run until SIGINT/SIGTERM; then stop after the current pages are committed.

    ``children`` are command lines of local worker processes (``grapevine run --workers
    N``): started with this process's configuration and store, sent SIGTERM when it stops
    (each finishes its page), and waited for."""
    scheduler = build_scheduler(jobs)

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
    dashboard = _start_dashboard(settings, port) if with_app else None
    workers = [subprocess.Popen(cmd, env=_child_env(settings)) for cmd in children]
    scheduler.start()
    console.print(f"[green]Scheduler running[/] {len(jobs)} job(s). Stop with Ctrl+C.")
    try:
        while not stop.wait(1.0):
            if dashboard is not None and dashboard.poll() is not None:
                console.print("[red]The dashboard process exited; stopping.[/]")
                stop.set()
    finally:
        scheduler.shutdown(wait=True)
        _stop_children(workers)
        if dashboard is not None and dashboard.poll() is None:
            dashboard.terminate()
            try:
                dashboard.wait(timeout=10)
            except subprocess.TimeoutExpired:
                dashboard.kill()
        console.print("[green]Stopped cleanly.[/]")
