"""The privacy area as the registry sees it: ``grapevine users …``, ``grapevine forget``
and the retention job."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import typer

from grapevine.areas import Area, JobContext, ScheduledJob
from grapevine.privacy.commands import forget_command, users_app
from grapevine.privacy.forget import apply_retention

log = logging.getLogger(__name__)

#: How often retention runs: a mention outlives the limit by at most this long.
RETENTION_EVERY = timedelta(hours=6)


def _add_commands(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.command("forget")(forget_command)


def _jobs(context: JobContext) -> list[ScheduledJob]:
    days = context.settings.store.retention_days
    if days is None:
        return []

    def retention() -> None:
        report = apply_retention(
            context.store, days, datetime.now(UTC), stop=context.engine.stop.is_set
        )
        if report.mentions:
            log.info("retention: deleted %d mentions older than %d days", report.mentions, days)

    return [ScheduledJob(id="privacy:retention", every=RETENTION_EVERY, func=retention)]


AREA = Area(name="privacy", add_commands=_add_commands, jobs=_jobs)
