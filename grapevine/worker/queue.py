"""The task queue between the scheduler and the workers: procrastinate on the store's own
PostgreSQL (docs/scale.md says why).

APScheduler still decides *when* a job is due; on PostgreSQL with ``grapevine run
--workers N`` it only *defers* the job, by id, to the queue its area names (``collect``,
``label``, ``alerts``). Every worker builds the same registry of scheduled jobs
(:func:`grapevine.areas.installed_areas`) and runs the id it is handed. Each deferred job
carries its id as procrastinate ``lock`` (no two runs of one (source, brand) job at once,
across every worker) and ``queueing_lock`` (at most one waiting copy of it). A worker that
dies (SIGKILL, a lost machine) stops its procrastinate heartbeat; the scheduler hands its
jobs back to the queue (:func:`retry_stalled_jobs`), and the store's upserts make the rerun
harmless.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import procrastinate
from procrastinate import sql as procrastinate_sql
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.schema import SchemaManager
from sqlalchemy import text
from sqlalchemy.engine import make_url

from config import Settings
from grapevine.areas import JobContext, ScheduledJob, installed_areas
from grapevine.engine import Engine
from storage import Store

__all__ = [
    "HOUSEKEEPING_EVERY",
    "QUEUES",
    "TASK_NAME",
    "QueuedJob",
    "apply_queue_schema",
    "conninfo",
    "defer_job",
    "deferring",
    "queue_app",
    "queue_jobs",
    "queue_mode",
    "retry_stalled_jobs",
    "uses_queue",
    "worker_commands",
]

log = logging.getLogger(__name__)

#: the queue each area's jobs go to (an area not named here gets a queue of its own name)
AREA_QUEUES = {"collect": "collect", "labelling": "label", "alerts": "alerts"}
QUEUES: tuple[str, ...] = ("collect", "label", "alerts")
#: queues whose jobs claim their own work (labelling claims batches of mentions): several
#: runs of one job may overlap, on as many workers as there are, so they take no lock
CLAIMING_QUEUES = frozenset({"label"})
TASK_NAME = "grapevine.scheduled_job"
#: a worker whose procrastinate heartbeat is older than this is dead; its jobs are retried
STALLED_AFTER_SECONDS = 30.0
_SCHEMA_LOCK = 0x67726170  # pg_advisory_xact_lock key while applying the queue's schema


@dataclasses.dataclass(frozen=True)
class QueuedJob:
    """A scheduled job and the queue its runs go to."""

    queue: str
    job: ScheduledJob


def uses_queue(database_url: str) -> bool:
    """The queue needs PostgreSQL: workers elsewhere must reach the same database."""
    return make_url(database_url).get_backend_name() == "postgresql"


def conninfo(database_url: str) -> str:
    """The libpq URI (what psycopg takes) for the store's SQLAlchemy URL."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def queue_jobs(context: JobContext) -> dict[str, QueuedJob]:
    """Every area's scheduled jobs by id, each with its queue: the scheduler defers these
    ids, a worker runs them."""
    found: dict[str, QueuedJob] = {}
    for area in installed_areas():
        if area.jobs is None:
            continue
        for job in area.jobs(context):
            found[job.id] = QueuedJob(AREA_QUEUES.get(area.name, area.name), job)
    return found


def queue_app(
    database_url: str,
    run: Callable[[str], None] | None = None,
    *,
    sync: bool = False,
) -> procrastinate.App:
    """The procrastinate app on the store's database, with the one task that runs a
    scheduled job by id (``run``; the scheduler, which only defers, passes none)."""
    connector: Any = (
        procrastinate.SyncPsycopgConnector(conninfo=conninfo(database_url))
        if sync
        else procrastinate.PsycopgConnector(conninfo=conninfo(database_url))
    )
    app = procrastinate.App(connector=connector)

    def scheduled_job(job_id: str) -> None:
        if run is None:
            raise RuntimeError("this process only defers jobs; it does not run them")
        run(job_id)

    app.task(name=TASK_NAME, queue="collect")(scheduled_job)
    return app


def apply_queue_schema(store: Store) -> bool:
    """Create procrastinate's tables in the store's PostgreSQL database unless they are
    there; True when it created them. Safe when several processes start at once."""
    if store.engine.dialect.name != "postgresql":
        return False
    schema_sql = SchemaManager.get_schema()
    with store.engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK})
        if conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is not None:
            return False
        conn.connection.dbapi_connection.cursor().execute(schema_sql)  # type: ignore[union-attr]
    return True


def deferring(app: procrastinate.App, jobs: Sequence[QueuedJob]) -> list[ScheduledJob]:
    """The scheduler's jobs in queue mode: each, when due, defers its id to its queue,
    locked by its id — due at once, since this process collects nothing itself."""

    def defer(queued: QueuedJob) -> None:
        defer_job(app, queued)

    return [
        dataclasses.replace(queued.job, func=_bind(defer, queued), start_now=True)
        for queued in jobs
    ]


def defer_job(app: procrastinate.App, queued: QueuedJob) -> bool:
    """Put one run of ``queued`` in its queue, locked by its id (unless its queue claims
    its own work); False when a copy is already waiting."""
    job_id = queued.job.id
    lock = None if queued.queue in CLAIMING_QUEUES else job_id
    try:
        app.tasks[TASK_NAME].configure(queue=queued.queue, lock=lock, queueing_lock=job_id).defer(
            job_id=job_id
        )
    except AlreadyEnqueued:
        log.info("%s is still waiting in the %s queue; not deferred again", job_id, queued.queue)
        return False
    return True


def _bind(defer: Callable[[QueuedJob], None], queued: QueuedJob) -> Callable[[], None]:
    return lambda: defer(queued)


def retry_stalled_jobs(
    app: procrastinate.App, seconds_since_heartbeat: float = STALLED_AFTER_SECONDS
) -> int:
    """Hand the jobs of workers whose heartbeat stopped back to the queue."""
    connector = app.connector.get_sync_connector()
    rows = connector.execute_query_all(
        procrastinate_sql.queries["select_stalled_jobs_by_heartbeat"],
        queue=None,
        task_name=None,
        seconds_since_heartbeat=seconds_since_heartbeat,
    )
    for row in rows:
        log.warning(
            "job %s (%s) was running on a worker that stopped; retrying it", row["id"], row["args"]
        )
        connector.execute_query(
            procrastinate_sql.queries["retry_job"],
            job_id=row["id"],
            retry_at=datetime.now(UTC),
            new_priority=None,
            new_queue_name=None,
            new_lock=None,
        )
    return len(rows)


def job_counts(app: procrastinate.App) -> Iterator[tuple[str, str, int]]:
    """``(queue, status, count)`` of the queue's jobs, for ``grapevine worker --status``."""
    connector = app.connector.get_sync_connector()
    rows = connector.execute_query_all(
        "SELECT queue_name, status::text AS status, count(*) AS n FROM procrastinate_jobs "
        "GROUP BY queue_name, status ORDER BY queue_name, status"
    )
    for row in rows:
        yield str(row["queue_name"]), str(row["status"]), int(row["n"])


#: how often the scheduler looks for jobs of dead workers, and for runs of dead processes
HOUSEKEEPING_EVERY = timedelta(seconds=15)


def worker_commands(settings: Settings, count: int) -> list[list[str]]:
    """The command lines of ``count`` local workers for ``grapevine run --workers N``."""
    command = [sys.executable, "-m", "grapevine.cli", "worker"]
    if settings.path is not None:
        command += ["--config", str(Path(settings.path).resolve())]
    if settings.collect.replay in {"always", "never"}:
        command.append("--replay" if settings.collect.replay == "always" else "--live")
    return [list(command) for _ in range(count)]


def queue_mode(
    settings: Settings, store: Store, engine: Engine, *, stalled_after: float
) -> tuple[list[ScheduledJob], procrastinate.App]:
    """The scheduler's jobs when workers carry the work: every area's job defers itself to
    its queue, plus the housekeeping this process does itself (retrying the jobs of dead
    workers, closing the runs of dead processes)."""
    apply_queue_schema(store)
    app = queue_app(settings.store.database_url, sync=True)
    app.open()
    queued = queue_jobs(JobContext(settings, store, engine))
    jobs = deferring(app, list(queued.values()))
    every = min(HOUSEKEEPING_EVERY, timedelta(seconds=max(1.0, stalled_after / 2)))
    jobs.append(
        ScheduledJob(
            id="queue:retry-stalled",
            every=every,
            func=lambda: retry_stalled_jobs(app, stalled_after),
        )
    )
    jobs.append(
        ScheduledJob(
            id="runs:close-abandoned", every=HOUSEKEEPING_EVERY, func=store.close_abandoned_runs
        )
    )
    return jobs, app
