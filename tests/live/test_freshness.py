"""Fresh first, history second, every term served — against simulators of Algolia and
Stack Exchange whose corpus grows between runs (issue 12, findings 1 and 2)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from streamlit.testing.v1 import AppTest

from collectors.window import StreamProgress
from config import Settings
from config.secrets import redact
from grapevine.engine import Job
from grapevine.freshness import Freshness, format_lag, freshness
from storage import Store
from tests.conftest import REPO
from tests.live.conftest import EPOCH_NOW, NOW, engine_for
from tests.live.simulators import (
    AlgoliaSimulator,
    BlueskySimulator,
    Corpus,
    StackExchangeSimulator,
)

Simulator = AlgoliaSimulator | StackExchangeSimulator | BlueskySimulator


def _sources() -> list[tuple[str, Callable[[Corpus], Simulator], str]]:
    return [
        ("hackernews", AlgoliaSimulator, "query"),
        ("stackexchange", StackExchangeSimulator, "q"),
        ("bluesky", BlueskySimulator, "q"),
    ]


def _stored_ids(store: Store, source: str) -> list[str]:
    # hackernews: "123"; stackexchange: "site:123"; bluesky: "at://did/app.bsky.feed.post/123"
    return [
        str(m["external_id"]).rsplit(":", 1)[-1].rsplit("/", 1)[-1]
        for m in store.iter_mentions(source)
    ]


@pytest.mark.parametrize(("source", "make", "query_param"), _sources(), ids=["hn", "se", "bsky"])
def test_every_term_is_asked_in_the_first_run_and_fresh_posts_come_next_run(
    store: Store,
    live_settings: Callable[..., Settings],
    source: str,
    make: Callable[[Corpus], Simulator],
    query_param: str,
) -> None:
    corpus = Corpus()
    # A long history of css (1,500 posts: past Algolia's 1,000-hit cap) and some bootstrap.
    corpus.history("css", 1500, newest=EPOCH_NOW - 3600)
    corpus.history("bootstrap", 300, newest=EPOCH_NOW - 3600, step=300)
    api = make(corpus)
    settings = live_settings(per_page=100, max_pages=3)
    job = Job(source, "Web")

    first = engine_for(store, settings, {source: api}).run_job(job)
    assert first.status == "ok"
    asked = [r.url.params[query_param] for r in api.requests]
    assert asked[:2] == ["css", "bootstrap"]  # every term before any history
    assert len(api.requests) == 3  # max_pages: two fresh pages, one page of history

    # Published between two runs, while css still has 1,300 posts of history to read.
    news = [
        corpus.publish("new css grid trick", EPOCH_NOW - 50),
        corpus.publish("bootstrap 6 is out", EPOCH_NOW - 40),
        corpus.publish("css and bootstrap together", EPOCH_NOW - 30),
    ]
    api.requests.clear()
    second = engine_for(store, settings, {source: api}).run_job(job)
    assert second.status == "ok"
    stored = set(_stored_ids(store, source))
    assert {str(p.id) for p in news} <= stored
    [fresh] = freshness(store, NOW, [(source, "Web")])
    assert fresh.lag == timedelta(seconds=30)  # the newest post published: nothing newer missed
    assert format_lag(fresh.lag) == "30 s"
    assert fresh.backfill.startswith("backfilling, reached ")


@pytest.mark.parametrize(("source", "make", "query_param"), _sources(), ids=["hn", "se", "bsky"])
def test_backfill_completes_over_runs_without_duplicates_while_news_keeps_coming(
    store: Store,
    live_settings: Callable[..., Settings],
    source: str,
    make: Callable[[Corpus], Simulator],
    query_param: str,
) -> None:
    corpus = Corpus()
    corpus.history("css", 260, newest=EPOCH_NOW - 86_400, step=30)
    corpus.history("bootstrap", 90, newest=EPOCH_NOW - 86_400, step=600)
    # Several posts in one second, across a page boundary.
    for i in range(7):
        corpus.publish(f"css crowd {i}", EPOCH_NOW - 200_000)
    api = make(corpus)
    settings = live_settings(per_page=20, max_pages=4)
    job = Job(source, "Web")
    new_total = 0
    for run in range(60):
        # Something new every run; the next run must store it, however much history is left.
        latest = corpus.publish(f"css news {run}", EPOCH_NOW - 60 + run)
        result = engine_for(store, settings, {source: api}).run_job(job)
        assert result.status == "ok", result.message
        new_total += result.counters.new
        assert str(latest.id) in set(_stored_ids(store, source)), f"run {run} missed fresh news"
        [fresh] = freshness(store, NOW, [(source, "Web")])
        if fresh.history is not None and fresh.history.complete:
            break
    else:
        pytest.fail("history never completed")
    ids = _stored_ids(store, source)
    assert len(ids) == len(set(ids)) == len(corpus.posts) == new_total  # all, each once
    assert fresh.backfill == "history complete to 2026-11-21"  # the crowded second
    assert run < 40  # round-robin: both terms' history advanced every run


def test_a_stack_exchange_key_with_special_characters_never_shows(
    store: Store,
    live_settings: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = "Ab3*((dE9)kQ"  # the real keys' alphabet includes *, ( and )
    monkeypatch.setenv("STACKEXCHANGE_KEY", key)
    corpus = Corpus()
    corpus.history("css", 5, newest=EPOCH_NOW - 60)

    def refuse(request: httpx.Request) -> httpx.Response:
        # An error body that echoes the query string, URL-encoded, as some proxies do.
        return httpx.Response(503, text=f"unavailable: {request.url}", request=request)

    settings = live_settings(max_retries=0)
    result = engine_for(store, settings, {"stackexchange": refuse}).run_job(
        Job("stackexchange", "Web")
    )
    assert result.status == "failed"
    encoded = httpx.URL("https://x.test/", params={"key": key}).query.decode()
    assert "%2A%28%28" in encoded.upper()
    (run,) = store.latest_runs()
    value = encoded.split("=", 1)[1]
    for form in (key, value, value.lower()):
        assert form not in (result.message or "")
        assert form not in (run["message"] or "")
        assert form not in redact(f"GET /search?{encoded} failed: {form}")


def test_lag_and_backfill_read_in_words() -> None:
    assert [format_lag(timedelta(seconds=s)) for s in (5, 600, 36_000, 864_000)] == [
        "5 s",
        "10 min",
        "10.0 h",
        "10 d",
    ]
    assert format_lag(None) == "—"
    done = Freshness(
        "hackernews",
        "Web",
        None,
        None,
        StreamProgress(2, True, datetime(2024, 3, 2, tzinfo=UTC), 1),
    )
    assert done.backfill == "history complete to 2024-03-02, 1 gap(s) to fill"
    assert Freshness("reddit", "Web", None, None, None).backfill == "—"


def test_the_sources_page_shows_freshness_per_source_and_brand(
    store: Store, live_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = Corpus()
    corpus.history("css", 300, newest=EPOCH_NOW - 3600)
    settings = live_settings(per_page=20, max_pages=2)
    engine_for(store, settings, {"hackernews": AlgoliaSimulator(corpus)}).run_job(
        Job("hackernews", "Web")
    )
    monkeypatch.setenv("GRAPEVINE_CONFIG", str(settings.path))
    monkeypatch.delenv("GRAPEVINE_DATABASE_URL", raising=False)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("grapevine/dashboard/pages/sources.py").run()
    assert not at.exception, at.exception
    (table,) = [d.value for d in at.dataframe if "History" in d.value.columns]
    row = table.set_index("Source").loc["hackernews"]
    assert row["Brand"] == "Web"
    assert row["History"].startswith("backfilling, reached 2026-11-23")
    assert row["Lag"] != "—"  # the page's now is the real one; the simulator's is fixed
