"""The shared sweep window that Hacker News, Stack Exchange, Bluesky and Mastodon page with."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from collectors import window
from collectors.window import (
    Fetched,
    StreamProgress,
    new_window,
    progress,
    round_robin,
    sweep,
    sweep_step,
)
from core.mention import Page
from tests.foundation.helpers import mention


def test_a_sweep_pages_back_then_closes_at_the_newest_seen() -> None:
    window = new_window()
    fresh, done = sweep_step(window, [("c", 30.0), ("b", 20.0)], more=True)
    assert (fresh, done) == ({"c", "b"}, False)
    assert (window["until"], window["boundary"]) == (20.0, ["b"])
    # ``<=`` re-sends the boundary instant: "b" is not new again.
    fresh, done = sweep_step(window, [("b", 20.0), ("a", 10.0)], more=False)
    assert (fresh, done) == ({"a"}, True)
    assert window == {**new_window(), "since": 30.0}


def test_a_crowded_instant_is_paged_through_not_skipped() -> None:
    window = new_window()
    sweep_step(window, [("x", 5.0), ("y", 5.0)], more=True)
    fresh, done = sweep_step(window, [("x", 5.0), ("y", 5.0), ("z", 5.0)], more=True)
    assert (fresh, done) == ({"z"}, False)
    assert (window["page"], window["boundary"]) == (1, ["x", "y", "z"])


def test_a_page_with_nothing_usable_pages_on_while_the_api_has_more() -> None:
    # e.g. a full page of records too malformed to keep: ending here would skip older posts
    window = new_window()
    sweep_step(window, [("b", 20.0)], more=True)
    fresh, done = sweep_step(window, [], more=True)
    assert (fresh, done) == (set(), False)
    assert (window["page"], window["until"]) == (1, 20.0)


def test_reaching_what_is_stored_ends_the_sweep() -> None:
    window = {**new_window(), "since": 15.0}
    fresh, done = sweep_step(window, [("b", 20.0), ("old", 15.0)], more=True)
    assert (fresh, done) == ({"b"}, True)
    assert window["since"] == 20.0


# --- sweep(): fresh first, history second, every stream served ---------------------------


def _fake_api(
    items: dict[str, list[tuple[str, float]]], per_page: int, log: list[tuple[str, Any]]
) -> Callable[[str, dict[str, Any]], Fetched]:
    """Newest-first pages of ``(id, at)`` per stream, honouring since/until/page."""

    def fetch(stream: str, window: dict[str, Any]) -> Fetched:
        log.append((stream, window.get("since"), window.get("until")))
        since, until, page = window.get("since"), window.get("until"), window.get("page") or 0
        chosen = sorted(
            (
                (key, at)
                for key, at in items[stream]
                if (since is None or at > since) and (until is None or at <= until)
            ),
            key=lambda item: -item[1],
        )
        served = chosen[page * per_page : (page + 1) * per_page]
        return Fetched(
            [(mention(key, created_at=datetime.fromtimestamp(at, UTC)), at) for key, at in served],
            more=len(chosen) > (page + 1) * per_page,
        )

    return fetch


def _run(
    state: dict[str, Any], fetch: Callable[[str, dict[str, Any]], Fetched], budget: int
) -> list[str]:
    streams = state.setdefault("terms", {})
    pages = sweep(["a", "b"], streams, fetch, snapshot=lambda: dict(state), budget=budget)
    return [m.external_id for p in pages for m in p.mentions]


def test_every_stream_gets_its_newest_page_first_even_past_the_budget() -> None:
    items = {
        "a": [(f"a{i}", float(i)) for i in range(100)],
        "b": [(f"b{i}", float(i)) for i in range(100)],
    }
    log: list[tuple[str, Any]] = []
    state: dict[str, Any] = {}
    taken = _run(state, _fake_api(items, 10, log), budget=1)
    assert [entry[0] for entry in log] == ["a", "b", "a"]  # one history page, as a minimum
    assert taken[:20] == [f"a{i}" for i in range(99, 89, -1)] + [f"b{i}" for i in range(99, 89, -1)]
    assert state["terms"]["a"]["head"] == 99.0
    assert state["terms"]["b"]["gaps"][0]["since"] is None  # history still to read


def test_a_burst_larger_than_the_budget_leaves_a_gap_filled_before_older_history() -> None:
    items = {"a": [(f"a{i}", float(i)) for i in range(30)], "b": []}
    log: list[tuple[str, Any]] = []
    state: dict[str, Any] = {}
    fetch = _fake_api(items, 5, log)
    while not state.get("terms", {}).get("a", {}).get("complete"):
        _run(state, fetch, budget=4)
    items["a"] += [(f"n{i}", float(100 + i)) for i in range(40)]  # 40 new: 8 pages
    first = _run(state, fetch, budget=4)
    assert first[:5] == [f"n{i}" for i in range(39, 34, -1)]  # the newest first
    assert state["terms"]["a"]["fresh"]["since"] == 29.0  # cut short by the budget
    items["a"].append(("latest", 500.0))
    second = _run(state, fetch, budget=4)
    assert second[0] == "latest"  # the next run still starts at the top
    gaps = state["terms"]["a"]["gaps"]
    assert gaps[0]["since"] == 29.0  # and keeps the rest of the burst as a gap to fill
    stored = set(first) | set(second)
    for _ in range(10):
        stored |= set(_run(state, fetch, budget=4))
    assert {f"n{i}" for i in range(40)} <= stored  # the whole burst, nothing skipped
    stream = state["terms"]["a"]
    assert stream["gaps"] == []
    assert stream["complete"]


def test_an_older_single_window_cursor_carries_on() -> None:
    finished = {"terms": {"a": {"since": 50.0, "until": None, "newest": None, "page": 0}}}
    assert progress(finished) == StreamProgress(1, True, None, 0)
    log: list[tuple[str, Any]] = []
    mid = {"since": None, "until": 40.0, "newest": 60.0, "page": 0, "boundary": ["x40"]}
    state: dict[str, Any] = {"terms": {"a": dict(mid), "b": {}}}
    items = {"a": [(f"x{i}", float(i)) for i in range(70)], "b": []}
    _run(state, _fake_api(items, 100, log), budget=5)
    assert log[0] == ("a", 60.0, None)  # fresh: above the old sweep's newest
    assert ("a", None, 40.0) in log  # then the rest of the old sweep, as history
    assert state["terms"]["a"]["complete"]


# --- the late margin: items that turn up below what was already read --------------------


def _late_run(
    state: dict[str, Any],
    fetch: Callable[[str, dict[str, Any]], Fetched],
    lookback: float,
    budget: int = 10,
    late_pages: int = 10,
) -> list[str]:
    streams = state.setdefault("windows", {})
    pages = sweep(
        ["a"],
        streams,
        fetch,
        snapshot=lambda: dict(state),
        budget=budget,
        lookback=lookback,
        late_pages=late_pages,
    )
    return [m.external_id for p in pages for m in p.mentions]


def test_an_item_that_arrives_late_below_the_head_is_taken_once() -> None:
    items = {"a": [(f"a{i}", float(100 + i)) for i in range(8)]}
    log: list[tuple[str, Any]] = []
    fetch = _fake_api(items, 5, log)
    for lookback, expected in ((0.0, []), (60.0, ["late"])):
        state: dict[str, Any] = {}
        assert len(_late_run(state, fetch, lookback)) == 8
        head = state["windows"]["a"]["head"]
        assert head == 107.0
        items["a"].append(("late", 104.5))  # published before the newest, served after it
        # without a margin the next sweep asks only above the head and never sees it
        assert _late_run(state, fetch, lookback) == expected
        assert _late_run(state, fetch, lookback) == []  # the re-read yields nothing twice
        stream = state["windows"]["a"]
        assert stream["head"] == head  # a margin re-read never lowers the head
        assert stream["gaps"] == []
        items["a"].remove(("late", 104.5))
    assert set(stream["recent"]) >= {"late", "a7"}


def test_the_late_margin_is_read_for_a_few_pages_and_never_becomes_a_gap() -> None:
    items = {"a": [(f"a{i}", float(i)) for i in range(100)]}
    log: list[tuple[str, Any]] = []
    fetch = _fake_api(items, 5, log)
    state: dict[str, Any] = {}
    while not state.get("windows", {}).get("a", {}).get("complete"):
        _late_run(state, fetch, lookback=1_000.0)
    log.clear()
    items["a"] += [("new", 200.0)]
    assert _late_run(state, fetch, lookback=1_000.0, late_pages=2) == ["new"]
    # the page that reached below the head, then one more (late_pages = 2), and no
    # history is left: the sweep ends there instead of re-reading all 100 in the margin
    assert len(log) == 2
    stream = state["windows"]["a"]
    assert (stream["head"], stream["fresh"], stream["gaps"]) == (200.0, None, [])
    # a budget spent inside the margin leaves no gap for the next run either
    assert _late_run(state, fetch, lookback=1_000.0, budget=1) == []
    assert state["windows"]["a"]["fresh"] is not None  # cut short after one page
    assert _late_run(state, fetch, lookback=1_000.0) == []
    assert state["windows"]["a"]["gaps"] == []


def test_a_run_with_more_new_items_than_the_id_cap_still_yields_nothing_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the cap covers what one margin page (3 items, late_pages = 1) reaches below a head
    monkeypatch.setattr(window, "MAX_RECENT", 4)
    items = {"a": [(f"a{i}", float(i)) for i in range(10)]}
    log: list[tuple[str, Any]] = []
    fetch = _fake_api(items, 3, log)
    state: dict[str, Any] = {}
    taken: list[str] = []
    while not state.get("windows", {}).get("a", {}).get("complete"):
        taken += _late_run(state, fetch, lookback=1_000.0, late_pages=1)
    for burst in range(3):  # each run: 8 new items, more than the cap, then the margin
        items["a"] += [(f"n{burst}.{i}", float(100 * (burst + 1) + i)) for i in range(8)]
        taken += _late_run(state, fetch, lookback=1_000.0, late_pages=1)
    assert len(taken) == len(set(taken)) == 34
    assert len(state["windows"]["a"]["recent"]) <= 2 * 4


def test_the_late_margin_remembers_only_recent_ids() -> None:
    items = {"a": [(f"a{i}", float(i)) for i in range(50)]}
    log: list[tuple[str, Any]] = []
    state: dict[str, Any] = {}
    while not state.get("windows", {}).get("a", {}).get("complete"):
        _late_run(state, _fake_api(items, 10, log), lookback=5.0)
    assert set(state["windows"]["a"]["recent"]) == {f"a{i}" for i in range(45, 50)}
    items["a"] += [("b", 300.0)]
    _late_run(state, _fake_api(items, 10, log), lookback=5.0)
    _late_run(state, _fake_api(items, 10, log), lookback=5.0)  # starts 5 s below "b"
    assert set(state["windows"]["a"]["recent"]) == {"b"}  # the rest is 250 s below it


def test_round_robin_serves_every_stream_once_then_keeps_to_the_budget() -> None:
    def stream(name: str) -> Iterator[Page]:
        for i in range(3):
            yield Page([], {"at": f"{name}{i}"})

    pages = list(round_robin([stream("a"), stream("b"), stream("c")], budget=2))
    assert [p.cursor["at"] for p in pages] == ["a0", "b0", "c0"]
    pages = list(round_robin([stream("a"), stream("b")], budget=5))
    assert [p.cursor["at"] for p in pages] == ["a0", "b0", "a1", "b1", "a2"]
