"""The queue's wiring, without PostgreSQL: which URL it needs, how jobs are deferred (lock
and queueing lock per job id; labelling unlocked, since it claims its own batches), and
the refusals on SQLite."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from grapevine.areas import ScheduledJob
from grapevine.cli import app
from grapevine.worker.queue import QueuedJob, conninfo, deferring, uses_queue

runner = CliRunner()


def test_the_queue_needs_postgresql_and_speaks_libpq() -> None:
    assert uses_queue("postgresql+psycopg://u:p@db:5432/grapevine")
    assert not uses_queue("sqlite:///data/grapevine.db")
    assert conninfo("postgresql+psycopg://u:secret@db:5432/grapevine") == (
        "postgresql://u:secret@db:5432/grapevine"
    )


class _Task:
    def __init__(self, calls: list[dict[str, Any]]) -> None:
        self.calls = calls

    def configure(self, **options: Any) -> _Task:
        self.calls.append(dict(options))
        return self

    def defer(self, **kwargs: Any) -> int:
        self.calls[-1]["kwargs"] = kwargs
        return 1


class _App:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.tasks = {"grapevine.scheduled_job": _Task(self.calls)}


def test_due_jobs_are_deferred_by_id_with_a_lock_per_job() -> None:
    ran: list[str] = []
    jobs = [
        QueuedJob("collect", ScheduledJob("hackernews:Acme", timedelta(hours=1), lambda: ran.append("x"), start_now=False)),
        QueuedJob("label", ScheduledJob("nlp:label", timedelta(minutes=10), lambda: ran.append("y"))),
    ]  # fmt: skip
    queue = _App()
    deferred = deferring(queue, jobs)  # type: ignore[arg-type]
    assert [j.id for j in deferred] == ["hackernews:Acme", "nlp:label"]
    assert all(j.start_now for j in deferred)  # the scheduler collects nothing itself
    for job in deferred:
        job.func()
    assert ran == []  # deferred, not run
    assert queue.calls == [
        {"queue": "collect", "lock": "hackernews:Acme", "queueing_lock": "hackernews:Acme",
         "kwargs": {"job_id": "hackernews:Acme"}},
        {"queue": "label", "lock": None, "queueing_lock": "nlp:label",
         "kwargs": {"job_id": "nlp:label"}},
    ]  # fmt: skip


def test_workers_are_refused_on_sqlite_in_words(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    result = runner.invoke(app, ["worker", "--database-url", url, "--replay"])
    assert result.exit_code == 2
    assert "PostgreSQL" in result.output
    result = runner.invoke(
        app, ["run", "--workers", "0", "--no-app", "--replay", "--database-url", url]
    )
    assert result.exit_code == 2
    assert "PostgreSQL" in result.output
