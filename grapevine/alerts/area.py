"""The alerts area as the registry sees it: ``grapevine alerts …`` and the rule check and
outbox jobs."""

from __future__ import annotations

import typer

from grapevine.alerts.commands import alerts_app
from grapevine.alerts.schedule import alert_jobs
from grapevine.areas import Area, JobContext, ScheduledJob


def _add_commands(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")


def _jobs(context: JobContext) -> list[ScheduledJob]:
    return alert_jobs(context.settings, context.store)


AREA = Area(name="alerts", add_commands=_add_commands, jobs=_jobs)
