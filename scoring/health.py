"""When a source's collection runs next — one rule for ``grapevine status`` and the
dashboard's Sources page."""

from __future__ import annotations

from datetime import datetime, timedelta

__all__ = ["next_run"]


def next_run(
    last_started: datetime | None, every: timedelta | None, enabled: bool
) -> datetime | None:
    """The last run's start plus the source's interval (the scheduler's interval trigger);
    None for a disabled source, or an unscheduled one. A source that never ran is due now,
    which the caller shows as "at start"."""
    if not enabled or every is None or last_started is None:
        return None
    return last_started + every
