"""How fresh each collection job's data is: one computation for ``grapevine status`` and
the dashboard's Sources page.

Per source and brand: the newest mention stored, the lag (now minus that), and — for
sources that page back in time — how far back history reaches ("history complete to
2024-03-02" or "backfilling, reached 2025-11-20"). The freshness guarantee itself is in
``docs/sources.md``; the sweep state it reads is documented in :mod:`collectors.window`.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from collectors.window import StreamProgress, progress
from storage import Store

__all__ = ["Freshness", "format_lag", "freshness"]


@dataclasses.dataclass(frozen=True, slots=True)
class Freshness:
    source: str
    brand: str
    newest: datetime | None  # the newest mention stored for this source and brand
    lag: timedelta | None  # now - newest
    history: StreamProgress | None  # None for sources that do not page back in time

    @property
    def backfill(self) -> str:
        """The backfill progress in words, or "—" where the source keeps no history."""
        h = self.history
        if h is None:
            return "—"
        if h.complete:
            reached = f" to {h.reached:%Y-%m-%d}" if h.reached else ""
            return f"history complete{reached}" + (f", {h.gaps} gap(s) to fill" if h.gaps else "")
        if h.reached is None:
            return "backfilling"
        return f"backfilling, reached {h.reached:%Y-%m-%d}"


def format_lag(lag: timedelta | None) -> str:
    """``42 s``, ``17 min``, ``3.5 h``, ``12 d`` or "—"."""
    if lag is None:
        return "—"
    seconds = max(0.0, lag.total_seconds())
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} d"


def freshness(
    store: Store, now: datetime, jobs: list[tuple[str, str]] | None = None
) -> list[Freshness]:
    """Freshness of every (source, brand) that has stored mentions or a cursor, or of
    ``jobs`` (the configured ones) when given, sorted by source then brand."""
    newest = store.newest_mentions()
    cursors = store.all_cursors()
    keys = sorted(set(jobs) if jobs is not None else set(newest) | set(cursors))
    out = []
    for source, brand in keys:
        stored = newest.get((source, brand))
        out.append(
            Freshness(
                source,
                brand,
                stored,
                now - stored if stored is not None else None,
                progress(cursors.get((source, brand))),
            )
        )
    return out
