from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from collectors import REGISTRY, Collector, HttpSession
from collectors.base import Search
from config import Settings
from core.mention import Cursor, Page
from grapevine.engine import BrandMatcher, Engine, Job
from storage import Match, Store
from tests.foundation.helpers import FakeAlgolia, hn_hit, mention


def test_matcher_assigns_brand_category_and_own_roles(
    make_settings: Callable[..., Settings],
) -> None:
    matcher = BrandMatcher(make_settings().tracked)
    assert matcher.match(mention("1", "Acme vs Globex")) == [Match("Acme"), Match("Globex")]
    assert matcher.match(mention("2", "which grinder?")) == [Match("Acme", "category")]
    assert matcher.match(mention("3", "the acme anvil")) == []  # excluded, no category
    own = mention("4", "we fixed it, sorry!", author="ACME_Support")
    assert matcher.match(own) == [Match("Acme", "own")]


def test_matcher_respects_brand_languages(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    acme = settings.brands[0].model_copy(update={"languages": ["en"]})
    matcher = BrandMatcher([acme])
    assert matcher.match(mention("1", "acme", language="en")) == [Match("Acme")]
    assert matcher.match(mention("2", "acme", language="de")) == []
    assert matcher.match(mention("3", "acme", language=None)) == [Match("Acme")]


class _Exploding(Collector):
    name = "exploding"
    default_base_url = "https://explode.test"

    def collect(self, http: HttpSession, search: Search, cursor: Cursor | None) -> Iterator[Page]:
        yield Page([mention("x1", source="exploding")], {"n": 1})
        raise ZeroDivisionError("bug in a collector")


class _Unsorted(Collector):
    name = "unsorted"
    default_base_url = "https://unsorted.test"
    is_sorted = False
    calls: list[Cursor | None] = []  # noqa: RUF012

    def collect(self, http: HttpSession, search: Search, cursor: Cursor | None) -> Iterator[Page]:
        type(self).calls.append(cursor)
        yield Page([mention("u1", source="unsorted")], {"page": 1})
        yield Page([mention("u2", source="unsorted")], {"page": 2})


@pytest.fixture
def extra_collectors() -> Iterator[None]:
    REGISTRY["exploding"] = _Exploding
    REGISTRY["unsorted"] = _Unsorted
    _Unsorted.calls = []
    yield
    del REGISTRY["exploding"], REGISTRY["unsorted"]


def _settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings('\n[sources.exploding]\nevery = "1h"\n[sources.unsorted]\nevery = "1h"\n')


def test_a_crashing_collector_is_recorded_and_others_still_run(
    store: Store, make_settings: Callable[..., Settings], extra_collectors: None
) -> None:
    settings = _settings(make_settings)
    engine = Engine(
        store,
        settings,
        transports={"hackernews": httpx.MockTransport(FakeAlgolia([hn_hit(1, 1_700_000_001)]))},
    )
    results = [engine.run_job(job) for job in engine.jobs(brands=["Acme"])]
    by_source = {r.job.source: r for r in results}
    assert by_source["exploding"].status == "failed"
    assert "ZeroDivisionError" in (by_source["exploding"].message or "")
    assert by_source["hackernews"].status == "ok"
    assert by_source["unsorted"].status == "ok"
    assert store.count_mentions("exploding") == 1  # the page before the crash is kept


def test_unsorted_source_commits_its_cursor_only_at_the_end(
    store: Store,
    make_settings: Callable[..., Settings],
    extra_collectors: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = _settings(make_settings)
    engine = Engine(store, settings)
    seen: list[Any] = []
    engine.run_job(
        Job("unsorted", "Acme"),
        on_page=lambda job, page: seen.append(store.get_cursor("unsorted", "Acme")),
    )
    assert seen == [None, None]  # nothing committed while the run was going
    assert store.get_cursor("unsorted", "Acme") == {"page": 2}
    engine.run_job(Job("unsorted", "Acme"))
    assert _Unsorted.calls == [None, {"page": 2}]


def test_stop_flag_ends_the_run_after_a_committed_page(
    store: Store, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings()
    engine = Engine(
        store,
        settings,
        transports={
            "hackernews": httpx.MockTransport(
                FakeAlgolia([hn_hit(i, 1_700_000_000 + i) for i in range(1, 9)])
            )
        },
    )
    result = engine.run_job(Job("hackernews", "Acme"), on_page=lambda job, page: engine.stop.set())
    assert result.status == "stopped"
    assert store.count_mentions() == 2
    assert store.get_cursor("hackernews", "Acme") is not None


def test_a_long_rate_limit_wait_ends_as_soon_as_the_run_is_asked_to_stop(
    store: Store, make_settings: Callable[..., Settings]
) -> None:
    # No injected sleep: the engine's own wait is the stop flag's, so Ctrl+C cuts it short.
    busy = lambda r: httpx.Response(429, headers={"Retry-After": "600"}, request=r)  # noqa: E731
    engine = Engine(store, make_settings(), transports={"hackernews": httpx.MockTransport(busy)})
    timer = threading.Timer(0.2, engine.stop.set)
    started = time.monotonic()
    timer.start()
    result = engine.run_job(Job("hackernews", "Acme"))
    timer.cancel()
    assert time.monotonic() - started < 2.0
    assert result.status == "stopped"
    assert store.latest_runs()[0]["status"] == "stopped"


def test_unknown_source_is_a_clear_error(
    store: Store, make_settings: Callable[..., Settings]
) -> None:
    from collectors import ConfigurationError

    engine = Engine(store, make_settings())
    with pytest.raises(ConfigurationError, match="unknown source"):
        engine.jobs(["myspace"])


def test_jobs_cover_every_source_and_tracked_name(
    store: Store, make_settings: Callable[..., Settings]
) -> None:
    engine = Engine(store, make_settings())
    assert [j.id for j in engine.jobs()] == ["hackernews:Acme", "hackernews:Globex"]
