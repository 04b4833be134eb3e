"""The team-workflow area as the registry sees it: ``grapevine evaluate``, ``report`` and
``corrections``, and the scheduled report job (``[alerts.report]``).

The job runs hourly and makes each brand's report once per ``every``: the time it last
made one is kept in the store's ``meta`` table, so a restart neither repeats nor skips one.
Reports cover whole UTC days up to the start of today.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer

from config import Settings
from config.alerts import EmailChannel
from grapevine.alerts.channels.errors import DeliveryError
from grapevine.areas import Area, JobContext, ScheduledJob
from grapevine.workflow.commands import corrections_command, evaluate_command, report_command
from grapevine.workflow.mail import report_file_name, send_report
from grapevine.workflow.report import build_report
from storage import Store

__all__ = ["AREA", "run_scheduled_reports"]

log = logging.getLogger(__name__)
CHECK_EVERY = timedelta(hours=1)


def _add_commands(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate_command)
    app.command("report")(report_command)
    app.command("corrections")(corrections_command)


def _meta_key(brand: str) -> str:
    return f"workflow:report:{brand.casefold()}"


def run_scheduled_reports(store: Store, settings: Settings, *, now: datetime) -> list[str]:
    """Make (write and send) every report that is due at ``now``; returns their brands."""
    cfg = settings.alerts.report
    if cfg is None or not cfg.enabled:
        return []
    brands = cfg.brands or [b.name for b in settings.brands]
    made: list[str] = []
    end = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for name in brands:
        key = _meta_key(name)
        last = store.get_meta(key)
        if last is not None and now - datetime.fromisoformat(last) < cfg.every - CHECK_EVERY:
            continue
        report = build_report(store, settings, name, end=end, length=cfg.period)
        if cfg.out_dir:
            folder = Path(cfg.out_dir)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / report_file_name(report)).write_text(report.html(), encoding="utf-8")
        for channel_name in cfg.channels:
            channel = settings.alerts.channels[channel_name]
            if not isinstance(channel, EmailChannel) or not channel.enabled:
                continue
            try:
                send_report(report, channel)
            except DeliveryError as exc:  # the file is written; the next run does not retry
                log.warning("report for %s not sent through %s: %s", name, channel_name, exc)
        store.delete_meta(key)
        store.set_meta_once(key, now.isoformat())
        made.append(name)
    return made


def _jobs(context: JobContext) -> list[ScheduledJob]:
    cfg = context.settings.alerts.report
    if cfg is None or not cfg.enabled:
        return []

    def reports() -> None:
        made = run_scheduled_reports(context.store, context.settings, now=datetime.now(UTC))
        if made:
            log.info("reports made: %s", ", ".join(made))

    return [ScheduledJob(id="workflow:report", every=CHECK_EVERY, func=reports)]


AREA = Area(name="workflow", add_commands=_add_commands, jobs=_jobs)
