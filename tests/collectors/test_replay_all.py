"""Done means: replaying every source's bundled recordings through the real collectors
fills the store from all of them (the offline demo), and a second run adds nothing."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from grapevine.engine import Engine
from storage import open_store
from storage.schema import mentions
from tests.collectors.helpers import demo_settings

ISSUE_SOURCES = {
    "reddit",
    "stackexchange",
    "appstore",
    "googleplay",
    "mastodon",
    "bluesky",
    "discourse",
    "rss",
}


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "REDDIT_CLIENT_ID",
        "REDDIT_CLIENT_SECRET",
        "BLUESKY_HANDLE",
        "BLUESKY_APP_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)


def test_replaying_every_source_fills_the_store_and_a_second_run_adds_nothing(
    tmp_path: Path,
) -> None:
    settings = demo_settings(tmp_path)
    sources = sorted(settings.enabled_sources())
    assert set(sources) >= ISSUE_SOURCES
    store = open_store(settings.store.database_url)
    try:
        waits: list[float] = []
        engine = Engine(store, settings, replay=sources, sleep=waits.append)
        first = [engine.run_job(job) for job in engine.jobs()]
        assert {r.status for r in first} == {"ok"}, [
            (r.job.id, r.message) for r in first if r.status != "ok"
        ]
        assert all(r.replay for r in first)
        with store.engine.connect() as conn:
            rows = conn.execute(select(mentions.c.source, mentions.c.community)).all()
        per_source = Counter(source for source, _ in rows)
        assert ISSUE_SOURCES | {"hackernews"} <= set(per_source), per_source
        communities = {community for _, community in rows}
        for expected in (
            "reddit:r/AskReddit",
            "stackexchange:stackoverflow",
            "appstore:1463803563",
            "googleplay:com.waymo.carapp",
            "mastodon:mastodon.social",
            "bluesky",
            "discourse:meta.discourse.org",
        ):
            assert expected in communities, sorted(communities)
        assert waits == []  # the recordings carry no exhausted rate limits
        total = store.count_mentions()

        second = [engine.run_job(job) for job in engine.jobs()]
        assert {r.status for r in second} == {"ok"}
        assert sum(r.counters.new for r in second) == 0
        assert store.count_mentions() == total
    finally:
        store.engine.dispose()
