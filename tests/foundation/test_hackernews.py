"""The Hacker News collector against the real recorded Algolia responses, and against a
fake Algolia (same wire format) for paging, resuming and failures."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from collectors import HttpSession
from collectors.base import Search
from collectors.hackernews import HackerNews, HackerNewsOptions, hit_to_mention
from collectors.replay import RECORDINGS, replay_transport
from config import Settings
from core.mention import MentionKind
from grapevine.engine import Engine, Job
from storage import Store
from tests.foundation.helpers import FakeAlgolia, hn_hit

REC = RECORDINGS / "hackernews"


def _session(transport: httpx.BaseTransport, waits: list[float] | None = None) -> HttpSession:
    client = httpx.Client(base_url="https://hn.algolia.com/api/v1", transport=transport)
    return HttpSession(
        client,
        sleep=(waits if waits is not None else []).append,
        clock=lambda: datetime(2026, 11, 23, tzinfo=UTC),
    )


def test_recorded_hits_map_to_mentions() -> None:
    page = json.loads((REC / "search_by_date_page1.json").read_text())
    first = hit_to_mention(page["hits"][0])
    assert first.source == "hackernews"
    assert first.external_id == "18463371"
    assert first.kind is MentionKind.COMMENT
    assert first.created_at == datetime(2018, 11, 15, 21, 10, 34, tzinfo=UTC)
    assert first.author == "komali2"
    assert first.community == "hackernews"
    assert first.thread_id == "18445714"
    assert first.parent_id == "18453018"
    assert first.title == "Waymo CEO Says Alphabet Unit Plans to Launch Driverless Car Service"
    assert "left/right check" in first.text  # &#x2F; decoded
    assert "<p>" not in first.text
    assert "&#x27;" not in first.text
    assert "_highlightResult" not in first.raw
    assert first.url == "https://news.ycombinator.com/item?id=18463371"


def test_replay_pages_backwards_through_the_real_recordings() -> None:
    collector = HackerNews(HackerNewsOptions(hits_per_page=2))
    transport = replay_transport(
        "hackernews", HackerNews.default_base_url, HackerNews.replay_routes()
    )
    pages = list(collector.collect(_session(transport), Search(["waymo"]), None))
    ids = [m.external_id for p in pages for m in p.mentions]
    assert ids == ["18463371", "18463370", "18463369", "18463367"]
    # page 2 was asked for with created_at_i<= the oldest hit of page 1, not with ?page=
    final = pages[-1].cursor["terms"]["waymo"]
    assert final["head"] == 1542316234  # the next run's fresh sweep asks for what is newer
    assert final["complete"]
    assert final["gaps"] == []
    assert final["reached"] == 1542316215


def _engine(
    store: Store,
    settings: Settings,
    handler: Callable[[httpx.Request], httpx.Response],
    waits: list[float] | None = None,
) -> Engine:
    return Engine(
        store,
        settings,
        transports={"hackernews": httpx.MockTransport(handler)},
        sleep=(waits if waits is not None else []).append,
    )


def test_resume_from_cursor_fetches_only_newer_hits(
    store: Store, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings("max_pages = 100\n")
    algolia = FakeAlgolia([hn_hit(i, 1_700_000_000 + i) for i in range(1, 6)])
    job = Job("hackernews", "Acme")
    first = _engine(store, settings, algolia).run_job(job)
    assert (first.status, first.counters.new) == ("ok", 5)
    algolia.hits.insert(0, hn_hit(6, 1_700_000_006))
    algolia.requests.clear()
    second = _engine(store, settings, algolia).run_job(job)
    assert second.counters.new == 1
    # five minutes (late_minutes) below the newest stored hit, for one Algolia indexes late
    assert "created_at_i>1699999705" in algolia.requests[0].url.params["numericFilters"]
    assert store.count_mentions() == 6


def test_same_second_hits_across_a_page_boundary_are_not_lost(
    store: Store, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings("max_pages = 100\n")  # hits_per_page = 2
    algolia = FakeAlgolia([hn_hit(i, 1_700_000_000 + (i // 3)) for i in range(1, 8)])
    _engine(store, settings, algolia).run_job(Job("hackernews", "Acme"))
    assert store.count_mentions() == 7


def test_max_pages_leaves_history_that_later_runs_finish_fresh_first(
    store: Store, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings("max_pages = 6\n")  # 4 terms: acme, "acme corp", espresso, grinder
    algolia = FakeAlgolia([hn_hit(i, 1_700_000_000 + i) for i in range(1, 10)])
    job = Job("hackernews", "Acme")
    _engine(store, settings, algolia).run_job(job)
    # every term got its newest page (the fake ignores the query, so all four saw 9, 8)
    queries = [r.url.params["query"] for r in algolia.requests]
    assert queries[:4] == ["acme", '"acme corp"', "espresso", "grinder"]
    assert "numericFilters" not in algolia.requests[0].url.params
    # then two pages of history, round-robin: acme and "acme corp" each reached 7
    assert [r.url.params["numericFilters"] for r in algolia.requests[4:]] == [
        "created_at_i<=1700000008"
    ] * 2
    assert store.count_mentions() == 3
    stream = store.get_cursor("hackernews", "Acme")["terms"]["acme"]  # type: ignore[index]
    assert (stream["head"], stream["complete"]) == (1_700_000_009, False)
    assert stream["gaps"][0]["since"] is None  # the history still to read
    algolia.hits.insert(0, hn_hit(10, 1_700_000_010))  # published between two runs
    algolia.requests.clear()
    _engine(store, settings, algolia).run_job(job)
    # fresh first, from five minutes (late_minutes) below the head
    assert "created_at_i>1699999709" in algolia.requests[0].url.params["numericFilters"]
    assert "10" in {m["external_id"] for m in store.iter_mentions()}
    for _ in range(10):
        _engine(store, settings, algolia).run_job(job)
    assert store.count_mentions() == 10
    stream = store.get_cursor("hackernews", "Acme")["terms"]["acme"]  # type: ignore[index]
    assert stream["complete"]
    assert stream["reached"] == 1_700_000_001


def test_only_mentions_that_really_match_are_stored(
    store: Store, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings("max_pages = 100\n")
    algolia = FakeAlgolia(
        [
            hn_hit(1, 1_700_000_001, "acme is great"),
            hn_hit(2, 1_700_000_002, "the acme anvil fell", story_title="x"),  # excluded
            hn_hit(3, 1_700_000_003, "acmeville is a town", story_title="x"),  # not the word
            hn_hit(4, 1_700_000_004, "my espresso grinder", story_title="x"),  # category only
            hn_hit(5, 1_700_000_005, "globex is cheaper", story_title="x"),  # competitor
        ]
    )
    _engine(store, settings, algolia).run_job(Job("hackernews", "Acme"))
    stored = {m["external_id"] for m in store.iter_mentions()}
    assert stored == {"1", "4", "5"}


@pytest.mark.parametrize(
    ("failure", "waits_expected"),
    [
        (lambda r: httpx.Response(429, headers={"Retry-After": "30"}, request=r), [30.0]),
        (lambda r: httpx.Response(500, request=r), None),
        (lambda r: (_ for _ in ()).throw(httpx.ConnectTimeout("slow", request=r)), None),
        (lambda r: httpx.Response(200, text="<html>oops", request=r), None),
    ],
    ids=["429", "500", "timeout", "malformed-json"],
)
def test_transient_failures_are_survived(
    store: Store,
    make_settings: Callable[..., Settings],
    failure: Callable[[httpx.Request], httpx.Response],
    waits_expected: list[float] | None,
) -> None:
    settings = make_settings()
    algolia = FakeAlgolia(
        [hn_hit(i, 1_700_000_000 + i) for i in range(1, 4)], failures={2: failure}
    )
    waits: list[float] = []
    result = _engine(store, settings, algolia, waits).run_job(Job("hackernews", "Acme"))
    assert result.status == "ok"
    assert store.count_mentions() == 3
    assert len(waits) == 1
    if waits_expected is not None:
        assert waits == waits_expected
    assert result.counters.rate_limit_waits == 1


def test_persistent_failure_is_recorded_and_keeps_what_was_stored(
    store: Store, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings("max_pages = 100\n")  # max_retries = 2
    down = lambda r: httpx.Response(503, request=r)  # noqa: E731
    algolia = FakeAlgolia(
        [hn_hit(i, 1_700_000_000 + i) for i in range(1, 6)], failures={2: down, 3: down, 4: down}
    )
    result = _engine(store, settings, algolia).run_job(Job("hackernews", "Acme"))
    assert result.status == "failed"
    assert "503" in (result.message or "")
    assert store.count_mentions() == 2  # the first page was committed with its cursor
    (run,) = store.latest_runs()
    assert run["status"] == "failed"
    assert run["new"] == 2
    assert run["errors"] == 1
    # the next run resumes below the committed page and finishes the window
    algolia.failures.clear()
    assert _engine(store, settings, algolia).run_job(Job("hackernews", "Acme")).status == "ok"
    assert store.count_mentions() == 5


def test_malformed_records_are_skipped_and_the_run_degraded(
    store: Store, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings()
    broken = hn_hit(2, 1_700_000_002)
    del broken["created_at_i"]
    algolia = FakeAlgolia([hn_hit(1, 1_700_000_001)])
    algolia.hits.insert(0, broken)
    result = _engine(store, settings, algolia).run_job(Job("hackernews", "Acme"))
    assert result.status == "degraded"
    # each of the job's 4 search terms (acme, "acme corp", espresso, grinder) met the broken hit
    assert result.counters.skipped == 4
    assert "lacks objectID or created_at_i" in (result.message or "")
    assert store.count_mentions() == 1


def test_a_body_without_hits_fails_the_run_cleanly(
    store: Store, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings()
    result = _engine(
        store, settings, lambda r: httpx.Response(200, json={"message": "oops"})
    ).run_job(Job("hackernews", "Acme"))
    assert result.status == "failed"
    assert "no 'hits' list" in (result.message or "")


def test_recordings_have_provenance() -> None:
    text = (Path(REC) / "PROVENANCE.md").read_text()
    assert "MIT" in text
    assert "santiagobasulto/python-hacker-news" in text
