"""Sweep windows: resumable newest-first paging for APIs that filter by time.

Hacker News (``numericFilters=created_at_i``), Stack Exchange (``fromdate``/``todate``) and
Bluesky (``since``/``until``) return newest first. Each stream keeps a window in its cursor:

- ``since``: everything at or before this instant (epoch seconds) is already stored;
- ``until``: the current sweep has stored everything newer than this (None = not started);
- ``newest``: the newest item of the current sweep, which becomes ``since`` when it ends;
- ``boundary``: ids already taken at ``until`` (the API re-sends that instant).

Because the window is in the cursor, every page's cursor is safe to commit: a run cut
short (``max_pages``, a crash, a quota) resumes inside the window instead of skipping the
gap, and a run that reaches ``since`` closes it. That is why these sources are
``is_sorted`` although their pages come newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["new_window", "sweep_step"]


def new_window() -> dict[str, Any]:
    return {"since": None, "until": None, "newest": None, "page": 0, "boundary": []}


def sweep_step(
    window: dict[str, Any], items: Sequence[tuple[str, float]], more: bool
) -> tuple[set[str], bool]:
    """Advance ``window`` past one page of ``(id, epoch seconds)`` items.

    Returns the ids that are new to this window (the caller yields only those) and
    whether the sweep is finished; ``more`` is the API's "there is another page".
    """
    since, until = window.get("since"), window.get("until")
    page = int(window.get("page") or 0)
    boundary = set(window.get("boundary") or ())
    fresh = [
        (key, at)
        for key, at in items
        if (since is None or at > since) and (until is None or at <= until) and key not in boundary
    ]
    if fresh:
        oldest = min(at for _, at in fresh)
        newest = max(at for _, at in fresh)
        window["newest"] = max(window.get("newest") or newest, newest)
        at_oldest = {key for key, at in fresh if at == oldest}
        if oldest == until:
            boundary |= at_oldest  # a crowded instant: page on inside it
            window["page"] = page + 1
        else:
            boundary = at_oldest
            window["until"], window["page"] = oldest, 0
        window["boundary"] = sorted(boundary)
    elif more:
        # Nothing new, but the API has more (a page of one crowded instant, or of records
        # too malformed to keep): page on rather than end the sweep and skip what is older.
        window["page"] = page + 1
    reached_since = since is not None and any(at <= since for _, at in items)
    done = not more or reached_since
    if done:
        newest_seen = window.get("newest")
        window.update(
            since=newest_seen if newest_seen is not None else since,
            until=None,
            newest=None,
            page=0,
            boundary=[],
        )
    return {key for key, _ in fresh}, done
