"""Sweep windows: fresh mentions first, then history, for APIs that page back in time.

Hacker News (``numericFilters=created_at_i``), Stack Exchange (``fromdate``/``todate``),
Bluesky (``since``/``until``) and Mastodon (``since_id``/``max_id``) return newest first.
Each *stream* (a search term, a site and term, a tag on an instance) keeps its state in
the cursor::

    head      everything at or before this instant down to the newest gap is stored;
              a run's fresh sweep asks for what is newer than it (epoch seconds), or
              ``lookback`` seconds less where items arrive late (below)
    recent    with ``lookback``: the ids taken within ``lookback`` of the head (id ->
              instant), so a re-read of the late margin yields only what is new
    fresh     the fresh sweep in progress (a window, below), None between runs
    gaps      windows still to fill, newest first: a fresh sweep that a run's budget cut
              short leaves one, and the last one (``since`` None) is the history backfill
    reached   the oldest instant stored for the stream: how far back history reaches
    complete  the backfill reached the beginning of the stream's history

A *window* pages newest-first between two instants: ``since`` (exclusive, None = the
beginning of time), ``until`` (inclusive; None = now), ``newest`` (the newest item this
sweep took), ``page`` (to page on inside a crowded instant) and ``boundary`` (ids already
taken at ``until``, which the API sends again).

:func:`sweep` drives every stream of a job the same way, so a collector only says how to
fetch one page of one window:

1. **Fresh first.** Each stream's fresh sweep, round-robin, one page per stream per round:
   every stream gets its newest page even when there are more streams than the budget,
   and further rounds continue while budget is left. A first run (no ``head``) takes one
   page; what lies below it becomes the history gap.
2. **History second.** What is left of the page budget (at least one page) goes to the
   gaps, round-robin across streams, newest gap first.

**Late arrivals** (``lookback``): where an item can turn up after newer ones were read,
under its own earlier instant — a search index that lists a post a little after it is
created, a Mastodon status from another instance whose id comes from its publication time
— each fresh sweep reads on for up to ``late_pages`` pages below the head, down to
``lookback`` seconds under it. The stream remembers the ids it took in that margin
(``recent``), so a re-read yields only what is new. The margin is a re-check, not history:
a budget cut inside it leaves no gap.

A fresh sweep that the budget (or a crash) cuts short becomes a gap at the start of the
next run, whose fresh sweep starts again from the top. So a mention published between two
runs is stored by the next run whatever the length of the history, as long as fewer than
about ``budget x page size`` mentions of its stream arrived in between; when more did, the
newest are stored first and the rest are filled in as backfill. Every page's cursor is
safe to commit, which is why these sources are ``is_sorted``.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import Field

from collectors.errors import CollectorError
from core.mention import Cursor, Mention, Page

__all__ = [
    "Fetched",
    "StreamProgress",
    "late_minutes_option",
    "new_window",
    "progress",
    "round_robin",
    "sweep",
    "sweep_step",
]

#: Unfinished fresh sweeps are kept as gaps; beyond this many the oldest two are merged
#: (re-reading what lies between them costs pages, never mentions).
MAX_GAPS = 16


def late_minutes_option(default: float) -> Any:
    """The ``late_minutes`` option of a source whose items can arrive below the newest
    stored one (``sweep``'s ``lookback``, in minutes)."""
    return Field(
        default=default,
        ge=0,
        le=1440,
        description="each run re-reads (10 pages at most) this far below the newest stored "
        "item, for items the API serves after newer ones (0 = never)",
    )


def new_window(since: float | None = None) -> dict[str, Any]:
    return {"since": since, "until": None, "newest": None, "page": 0, "boundary": []}


def sweep_step(
    window: dict[str, Any], items: Sequence[tuple[str, float]], more: bool
) -> tuple[set[str], bool]:
    """Advance ``window`` past one page of ``(id, epoch seconds)`` items.

    Returns the ids that are new to this window (the caller yields only those) and
    whether the sweep is finished; ``more`` is the API's "there is another page". A
    finished window's ``since`` becomes the newest instant it took.
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


@dataclasses.dataclass(frozen=True, slots=True)
class Fetched:
    """One page of one window as a collector read it.

    ``mentions`` pairs each mention with the instant the API sorts and filters it by;
    ``then_raise`` is an error to raise once the page is stored (a spent quota).
    """

    mentions: Sequence[tuple[Mention, float]]
    more: bool
    skipped: int = 0
    errors: Sequence[str] = ()
    then_raise: CollectorError | None = None


#: ``fetch(stream, window)``: request the page of ``window`` that its state points at.
Fetch = Callable[[str, dict[str, Any]], Fetched]


def _stream(state: dict[str, Any]) -> dict[str, Any]:
    """The stream's state in the current shape (an older cursor held one window)."""
    if "gaps" in state:
        return state
    legacy = {k: state.get(k) for k in ("since", "until", "newest", "page", "boundary")}
    state.clear()
    state.update(head=None, fresh=None, gaps=[], reached=None, complete=False)
    if legacy["since"] is not None and legacy["until"] is None:
        # A finished sweep; the first one only finished at the beginning of history.
        state.update(head=legacy["since"], complete=True)
    elif legacy["until"] is not None:
        state["fresh"] = {**new_window(), **legacy}
    return state


def _park(state: dict[str, Any]) -> None:
    """Turn an unfinished fresh sweep into the newest gap; the next sweep starts on top."""
    window = state.get("fresh")
    state["fresh"] = None
    if window is None:
        return
    if window.get("newest") is not None:
        state["head"] = max(state.get("head") or window["newest"], window["newest"])
    if window.get("until") is None:
        return  # it took nothing: the next fresh sweep covers the same ground
    floor = window.get("floor")  # the head the sweep started from, below it the late margin
    if floor is not None and window["until"] <= floor:
        return  # cut short in the late margin: a re-check, not history
    since = window.get("since") if floor is None else floor
    gap = {**new_window(since), **{k: window[k] for k in ("until", "page")}}
    gap["boundary"] = list(window.get("boundary") or [])
    gaps: list[dict[str, Any]] = state.setdefault("gaps", [])
    gaps.insert(0, gap)
    bounded = [g for g in gaps if g["since"] is not None]
    while len(bounded) > MAX_GAPS:
        older = bounded.pop()
        bounded[-1]["since"] = older["since"]  # the newer one now reaches down past it
        gaps.remove(older)


def sweep(
    streams: Sequence[str],
    states: dict[str, dict[str, Any]],
    fetch: Fetch,
    *,
    snapshot: Callable[[], Cursor],
    budget: int | None,
    page_limit: int | None = None,
    step: float = 1.0,
    lookback: float = 0.0,
    late_pages: int = 10,
) -> Iterator[Page]:
    """Fresh sweeps round-robin, then backfill round-robin, within ``budget`` pages.

    ``states`` maps each stream to its state (updated in place; it lives inside the
    cursor that ``snapshot`` deep-copies into every page). ``budget`` None means no limit
    (tests that page a whole recording). ``page_limit``: how many pages the API serves
    for one filter (Algolia: 1,000 hits); a window that reaches it steps ``step`` seconds
    below its ``until`` (the API's resolution: a second for Algolia, a millisecond for
    Mastodon's ids) and pages on from there. ``lookback`` and ``late_pages``: the late
    margin (module doc); 0 for APIs whose items never arrive below ones already served.
    """
    for key in streams:
        state = _stream(states.setdefault(key, {"gaps": []}))
        state.setdefault("head", None)
        state.setdefault("reached", None)
        state.setdefault("complete", False)
        _park(state)
        head = state["head"]
        if lookback > 0 and head is not None:
            state["fresh"] = {**new_window(head - lookback), "floor": head}
            _forget(state, head - lookback)
            recent = state.get("recent") or {}
            if len(recent) > MAX_RECENT:
                _forget(state, sorted(recent.values())[-MAX_RECENT])
        else:
            state["fresh"] = new_window(head)
    used = 0

    def take(key: str, window: dict[str, Any]) -> tuple[Fetched, list[Mention], bool]:
        nonlocal used
        fetched = fetch(key, window)
        used += 1
        stamps = [(m.external_id, at) for m, at in fetched.mentions]
        new_ids, done = sweep_step(window, stamps, fetched.more)
        if not done and page_limit is not None and int(window.get("page") or 0) >= page_limit:
            window.update(until=(window.get("until") or step) - step, page=0, boundary=[])
        taken = [at for m, at in fetched.mentions if m.external_id in new_ids]
        state = states[key]
        if taken:
            low = min(taken)
            state["reached"] = low if state["reached"] is None else min(state["reached"], low)
        kept = [m for m, _ in fetched.mentions if m.external_id in new_ids]
        if lookback > 0:
            kept = _unseen(state, kept, fetched, lookback)
        return fetched, kept, done

    def page(fetched: Fetched, kept: list[Mention]) -> Page:
        # The cursor is taken after the stream's bookkeeping, so it is safe to commit.
        return Page(kept, snapshot(), skipped=fetched.skipped, errors=list(fetched.errors))

    def spent() -> bool:
        return budget is not None and used >= budget

    # 1. Fresh: every stream's newest page first, then more rounds while budget is left.
    pending = list(streams)
    first_round = True
    while pending and (first_round or not spent()):
        for key in list(pending):
            if not first_round and spent():
                break
            state = states[key]
            window = state["fresh"]
            first_ever = window["since"] is None
            fetched, kept, done = take(key, window)
            floor = window.get("floor")
            if not done and floor is not None and _below(window, floor):
                window["late_pages"] = int(window.get("late_pages") or 0) + 1
                if window["late_pages"] >= late_pages:  # the late margin's pages are spent
                    done = True
                    window["since"] = window.get("newest")
            if done:
                # a sweep that took nothing above its floor leaves the head where it was
                marks = (window["since"], floor)
                state["head"] = max((m for m in marks if m is not None), default=None)
                state["fresh"] = None
                if first_ever:
                    state["complete"] = True  # the whole history fitted in one page
            elif first_ever:
                state["complete"] = False
                _park(state)  # a first run takes the newest page; the rest is history
            if state["fresh"] is None:
                pending.remove(key)
            yield page(fetched, kept)
            if fetched.then_raise is not None:
                raise fetched.then_raise
        first_round = False

    # 2. History: the rest of the budget (at least one page, so history always advances),
    # shared round-robin, newest gap first.
    if budget is not None:
        budget = max(budget, used + 1)
    while not spent():
        open_streams = [key for key in streams if states[key]["gaps"]]
        if not open_streams:
            return
        for key in open_streams:
            if spent():
                return
            state = states[key]
            gap = state["gaps"][0]
            history = gap["since"] is None
            fetched, kept, done = take(key, gap)
            if done:
                state["gaps"].pop(0)
                if history:
                    state["complete"] = True
            yield page(fetched, kept)
            if fetched.then_raise is not None:
                raise fetched.then_raise


def _below(window: dict[str, Any], floor: float) -> bool:
    """The window pages below ``floor`` now: it is in the late margin."""
    until = window.get("until")
    return until is not None and until <= floor


#: Late-margin ids a stream keeps between runs at most (the newest), and at most this many
#: more during a run: as many as a margin re-read reaches (``late_pages`` x the largest
#: page, 10 x 100). Beyond, a re-read may yield a stored mention again, which the store's
#: upsert absorbs.
MAX_RECENT = 1_000


def _unseen(
    state: dict[str, Any], kept: list[Mention], fetched: Fetched, lookback: float
) -> list[Mention]:
    """``kept`` without the mentions the stream took before within the late margin, and
    the margin's ids remembered for the next re-read."""
    recent: dict[str, float] = state.setdefault("recent", {})
    unseen = [m for m in kept if m.external_id not in recent]
    instants = [at for _, at in fetched.mentions]
    top = max([state.get("head") or 0.0, *instants])
    ids = {m.external_id for m in unseen}
    for mention, at in fetched.mentions:
        if mention.external_id in ids and at > top - lookback:
            recent[mention.external_id] = at
    if len(recent) > MAX_RECENT:
        # Keep the ids below the head this sweep started from (its own margin, still to
        # re-read, pruned when the sweep started) and the newest of the rest (the next
        # sweep's margin); the rest are older new items no margin will reach.
        head = state.get("head")
        below = {k: at for k, at in recent.items() if head is not None and at <= head}
        above = sorted((at, k) for k, at in recent.items() if k not in below)
        state["recent"] = below | {k: at for at, k in above[-MAX_RECENT:]}
    return unseen


def _forget(state: dict[str, Any], before: float) -> None:
    """Drop the remembered ids older than ``before`` (out of the late margin)."""
    recent = state.get("recent")
    if recent:
        state["recent"] = {key: at for key, at in recent.items() if at >= before}


def round_robin(streams: Sequence[Iterator[Page]], budget: int | None) -> Iterator[Page]:
    """One page of each stream in turn, within ``budget`` pages — except that every
    stream gets its first page, so no term goes unasked (for sources that read forward
    from a stored mark, such as Reddit's ``before``)."""
    active = list(streams)
    used = 0
    first_round = True
    while active:
        for stream in list(active):
            if not first_round and budget is not None and used >= budget:
                return
            try:
                page = next(stream)
            except StopIteration:
                active.remove(stream)
                continue
            used += 1
            yield page
        first_round = False


@dataclasses.dataclass(frozen=True, slots=True)
class StreamProgress:
    """How far one job's streams reach, read from its cursor (for ``grapevine status``)."""

    streams: int
    complete: bool  # every stream's history is stored back to its beginning
    reached: datetime | None  # complete: the oldest stored; else the least advanced stream's
    gaps: int  # unfinished windows between the newest and the oldest stored


def _when(epoch: Any) -> datetime | None:
    return datetime.fromtimestamp(float(epoch), UTC) if epoch is not None else None


def progress(cursor: Cursor | None) -> StreamProgress | None:
    """The backfill progress of a sweep-window cursor, or None for other sources' cursors."""
    if not cursor:
        return None
    streams = cursor.get("terms") or cursor.get("windows")
    if not isinstance(streams, dict) or not streams:
        return None
    states = [_stream(copy.deepcopy(s)) for s in streams.values() if isinstance(s, dict)]
    if not states:
        return None
    complete = all(s.get("complete") for s in states)
    reaches = [s["reached"] for s in states if s.get("reached") is not None]
    if complete:
        reached = min(reaches) if reaches else None
    else:
        behind = [s["reached"] for s in states if not s.get("complete") and s.get("reached")]
        reached = max(behind) if behind else None
    gaps = sum(
        1
        for s in states
        for g in s.get("gaps") or []
        if isinstance(g, dict) and g.get("since") is not None
    )
    return StreamProgress(len(states), complete, _when(reached), gaps)
