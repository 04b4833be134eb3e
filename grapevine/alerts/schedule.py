"""The two scheduler jobs the alerts area needs, for the scheduler (through :mod:`grapevine.alerts.area`).

The rule check runs every ``[alerts] every`` (hourly: the spike rule compares 24 h
windows); the outbox is drained every ``deliver_every`` (a minute), so a retry's backoff is
honoured to the minute and an alert fired by ``grapevine alerts check --no-deliver`` or a
crashed process goes out soon after.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from config import Settings
from grapevine.alerts.check import run_alert_check
from grapevine.alerts.deliver import deliver_pending
from grapevine.areas import ScheduledJob
from storage import Store

__all__ = ["alert_jobs"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def alert_jobs(
    settings: Settings, store: Store, *, clock: Callable[[], datetime] = _utcnow
) -> list[ScheduledJob]:
    """``alerts-check`` and ``alerts-deliver``, or nothing when ``[alerts] enabled = false``."""
    cfg = settings.alerts
    if not cfg.enabled:
        return []
    return [
        ScheduledJob(
            "alerts-check", cfg.every, lambda: run_alert_check(store, settings, now=clock())
        ),
        ScheduledJob(
            "alerts-deliver",
            cfg.deliver_every,
            lambda: deliver_pending(store, settings, now=clock()),
        ),
    ]
