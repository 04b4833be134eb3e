"""The shared sweep window that Hacker News, Stack Exchange and Bluesky page with."""

from __future__ import annotations

from collectors.window import new_window, sweep_step


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
