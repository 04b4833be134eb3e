"""One conformance suite for every registered collector (Singer SDK style).

Each source runs against its bundled recordings (real responses where the project has
them) through the real collector, and must: yield mentions with unique keys and aware
UTC timestamps, end on a JSON-serialisable cursor, resume from it without yielding what
it already gave, and survive a 429, a 5xx and an HTML error page in place of its body.
Through the engine it must also skip a malformed record (run ``degraded``) and never lose
what is stored when a later run fails.
"""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

import pytest

from collectors import REGISTRY
from collectors.base import Search
from grapevine.engine import Engine
from storage import open_store
from tests.collectors.helpers import (
    CORRUPT,
    Faults,
    base_url,
    demo_collector,
    demo_settings,
    html_page,
    session,
    too_many,
    unavailable,
)

SOURCES = sorted(REGISTRY)
SEARCH = Search(["waymo"])


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "REDDIT_CLIENT_ID",
        "REDDIT_CLIENT_SECRET",
        "BLUESKY_HANDLE",
        "BLUESKY_APP_PASSWORD",
        "STACKEXCHANGE_KEY",
        "MASTODON_ACCESS_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)


def _replay(name: str) -> Faults:
    return Faults(REGISTRY[name].replay_transport(base_url(name)))


def test_every_source_of_the_issue_is_registered() -> None:
    expected = {"reddit", "stackexchange", "appstore", "googleplay", "mastodon", "bluesky"}
    assert expected | {"discourse", "rss", "hackernews"} <= set(REGISTRY)


@pytest.mark.parametrize("name", SOURCES)
def test_yields_valid_mentions_and_a_resumable_cursor(name: str) -> None:
    collector = demo_collector(name)
    pages = list(collector.collect(session(_replay(name), name), SEARCH, None))
    mentions = [m for p in pages for m in p.mentions]
    assert mentions, f"{name} yielded nothing from its recordings"
    keys = [m.key for m in mentions]
    assert len(keys) == len(set(keys)), "a run must not yield the same mention twice"
    for m in mentions:
        assert m.source == name
        assert m.created_at.tzinfo is not None
        assert m.created_at.utcoffset() == UTC.utcoffset(None)
        assert m.community
        assert m.raw, "the raw payload is kept"
    assert all(p.skipped == 0 for p in pages)
    final = pages[-1].cursor
    assert isinstance(final, dict)
    assert json.loads(json.dumps(final)) == final  # the engine stores it as JSON

    again = list(collector.collect(session(_replay(name), name), SEARCH, final))
    repeated = {m.key for p in again for m in p.mentions} & set(keys)
    assert not repeated, f"resuming re-yielded {sorted(repeated)[:3]}"


@pytest.mark.parametrize("name", SOURCES)
@pytest.mark.parametrize(
    ("fault", "wait"),
    [(too_many, 7.0), (unavailable, None), (html_page, None)],
    ids=["429", "503", "html-body"],
)
def test_survives_a_failed_request(name: str, fault: object, wait: float | None) -> None:
    collector = demo_collector(name)
    clean = {
        m.key
        for p in collector.collect(session(_replay(name), name), SEARCH, None)
        for m in p.mentions
    }
    waits: list[float] = []
    transport = Faults(REGISTRY[name].replay_transport(base_url(name)), {1: fault})  # type: ignore[dict-item]
    pages = list(collector.collect(session(transport, name, waits), SEARCH, None))
    assert {m.key for p in pages for m in p.mentions} == clean
    assert len(waits) == 1
    if wait is not None:
        assert waits == [wait]


@pytest.mark.parametrize("name", SOURCES)
def test_engine_contract(name: str, tmp_path: Path) -> None:
    """Through the engine: first run, 429 + 5xx waited out, resume adds nothing, a failing
    run loses nothing, and a malformed record degrades a run instead of failing it."""
    settings = demo_settings(tmp_path)
    store = open_store(settings.store.database_url)
    try:
        waits: list[float] = []
        flaky = Faults(
            REGISTRY[name].replay_transport(base_url(name)), {1: too_many, 2: unavailable}
        )
        engine = Engine(
            store, settings, replay=[name], transports={name: flaky}, sleep=waits.append
        )
        first = [engine.run_job(job) for job in engine.jobs([name])]
        assert {r.status for r in first} == {"ok"}, [r.message for r in first]
        assert 7.0 in waits
        assert len(waits) >= 2
        assert sum(r.counters.rate_limit_waits for r in first) >= 2
        stored = store.count_mentions()
        assert stored > 0
        assert sum(r.counters.new for r in first) == stored

        engine = Engine(store, settings, replay=[name], sleep=waits.append)
        second = [engine.run_job(job) for job in engine.jobs([name])]
        assert sum(r.counters.new for r in second) == 0
        assert store.count_mentions() == stored

        down = Faults(REGISTRY[name].replay_transport(base_url(name)), always=unavailable)
        engine = Engine(store, settings, replay=[name], transports={name: down}, sleep=waits.append)
        third = [engine.run_job(job) for job in engine.jobs([name])]
        assert {r.status for r in third} == {"failed"}
        assert store.count_mentions() == stored
    finally:
        store.engine.dispose()

    fresh = open_store(f"sqlite:///{tmp_path / 'degraded.db'}")
    try:
        broken = Faults(REGISTRY[name].replay_transport(base_url(name)), corrupt=CORRUPT[name])
        engine = Engine(
            fresh, settings, replay=[name], transports={name: broken}, sleep=waits.append
        )
        runs = [engine.run_job(job) for job in engine.jobs([name])]
        assert "degraded" in {r.status for r in runs}, [(r.status, r.message) for r in runs]
        assert "failed" not in {r.status for r in runs}
        assert sum(r.counters.skipped for r in runs) >= 1
        # the other records of the broken bodies are stored all the same
        assert fresh.count_mentions() >= min(1, stored - 1)
    finally:
        fresh.engine.dispose()


@pytest.mark.parametrize("name", SOURCES)
def test_each_source_is_documented_and_its_recordings_have_provenance(name: str) -> None:
    repo = Path(__file__).resolve().parents[2]
    docs = (repo / "docs" / "sources.md").read_text(encoding="utf-8")
    assert f"| `{name}` |" in docs, f"docs/sources.md has no row for {name}"
    for field in REGISTRY[name].Options.model_fields:
        assert f"`{field}`" in docs or name == "hackernews", f"{name}.{field} is undocumented"
    provenance = (repo / "collectors" / "recordings" / name / "PROVENANCE.md").read_text()
    assert (
        "licence" in provenance or "Not a recording" in provenance or "Not recordings" in provenance
    )
    assert REGISTRY[name].terms_of_use
