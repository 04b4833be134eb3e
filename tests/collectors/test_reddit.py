"""Reddit through praw, against praw's own recorded cassettes (BSD-2-Clause)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from collectors.base import Search
from collectors.cassette import cassette_transport
from collectors.errors import ConfigurationError
from collectors.reddit import Reddit, RedditOptions, thing_to_mention
from collectors.replay import RECORDINGS
from grapevine.engine import Engine
from storage import Store
from tests.collectors.helpers import Faults, demo_settings, session

REC = RECORDINGS / "reddit"
STREAM = "TestSubredditStreams.test_comments__with_continue_after_id.json"


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDDIT_CLIENT_ID", "test-client-id")
    monkeypatch.setenv("REDDIT_CLIENT_SECRET", "test-client-secret")
    monkeypatch.setenv("REDDIT_USER_AGENT", "grapevine-tests/1.0")


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "REDDIT_USER_AGENT"):
        monkeypatch.delenv(name, raising=False)


def _listing(cassette: str, index: int) -> dict:  # type: ignore[type-arg]
    recorded = json.loads((REC / cassette).read_text())
    return json.loads(recorded["interactions"][index]["response"]["body"]["string"])


def _stream_transport() -> httpx.BaseTransport:
    return cassette_transport(
        "reddit",
        [STREAM, "TestSubreddit.test_search.json"],
        aliases={"/r/*/comments": "/r/<TEST_SUBREDDIT>/comments", "/r/*/search": "/r/all/search"},
    )


def test_recorded_submission_maps_to_a_mention() -> None:
    child = _listing("TestSubreddit.test_search.json", 1)["data"]["children"][0]
    m = thing_to_mention(child)
    assert (m.external_id, m.kind.value, m.community) == ("t3_3gpbiu", "post", "reddit:r/redditdev")
    assert m.created_at == datetime.fromtimestamp(1439370514, UTC)  # created_utc is a float
    assert (m.author, m.score, m.comments) == ("dClauzel", 0, 21)
    assert m.title
    assert m.title.startswith("[PRAW][OAuth2Util]")
    assert m.url
    assert m.url.startswith("https://www.reddit.com/r/redditdev/comments/")
    assert not m.deleted


def test_recorded_comment_and_deleted_or_removed_ones() -> None:
    child = _listing("TestSubredditListings.test_comments.json", 1)["data"]["children"][0]
    m = thing_to_mention(child)
    assert m.kind.value == "comment"
    assert m.parent_id
    assert m.thread_id.startswith("t3_")
    assert m.title  # link_title gives the thread context
    for body, author in (("[removed]", "someone"), ("[deleted]", "[deleted]")):
        gone = {**child, "data": {**child["data"], "body": body, "author": author}}
        deleted = thing_to_mention(gone)
        assert deleted.deleted
        assert deleted.text == ""
    removed_post = _listing("TestSubreddit.test_search.json", 1)["data"]["children"][0]
    removed_post = {
        **removed_post,
        "data": {**removed_post["data"], "removed_by_category": "moderator"},
    }
    assert thing_to_mention(removed_post).deleted


def test_without_credentials_the_source_fails_with_a_clear_message(
    tmp_path: Path, store: Store, no_credentials: None
) -> None:
    settings = demo_settings(tmp_path)
    never = httpx.MockTransport(lambda r: pytest.fail(f"no request expected: {r.url}"))
    engine = Engine(store, settings, transports={"reddit": never}, sleep=[].append)
    result = engine.run_job(engine.jobs(["reddit"], ["Waymo"])[0])
    assert result.status == "disabled"
    assert "not configured" in (result.message or "")
    assert "REDDIT_CLIENT_ID" in (result.message or "")
    with pytest.raises(ConfigurationError):
        list(Reddit().collect(session(never, "reddit", replay=False), Search(["x"]), None))


def test_replay_needs_no_credentials(no_credentials: None) -> None:
    collector = Reddit(RedditOptions(subreddits=["test"], search_all=False))
    pages = list(collector.collect(session(_stream_transport(), "reddit"), Search(["x"]), None))
    # the search in r/test (6 recorded posts), then r/test's newest 100 comments
    assert [len(p.mentions) for p in pages] == [6, 100]


def test_resume_walks_forward_with_before(credentials: None) -> None:
    transport = Faults(_stream_transport())
    collector = Reddit(RedditOptions(subreddits=["test"], search_all=False))
    anchor = {"before": "t1_k3v0jp3", "at": 1696691432.0}
    cursor = {"streams": {"comments:test": anchor, "search:test:x": dict(anchor)}}
    waits: list[float] = []
    pages = list(
        collector.collect(session(transport, "reddit", waits, replay=False), Search(["x"]), cursor)
    )
    token, *listings = transport.requests
    assert token.url.path == "/api/v1/access_token"
    assert token.headers["Authorization"].startswith("Basic ")
    assert all(r.headers["Authorization"].lower().startswith("bearer") for r in listings)
    assert listings[0].url.params["before"] == "t1_k3v0jp3"
    fresh = [m for p in pages for m in p.mentions]
    # the recorded page 2: the 95 comments newer than the anchor, 21 of them in its second
    assert len(fresh) == 95
    assert "t1_k3v0jp3" not in {m.external_id for m in fresh}
    assert sum(m.created_at.timestamp() == 1696691432.0 for m in fresh) == 21
    newest = max(fresh, key=lambda m: m.created_at)
    assert pages[-1].cursor["streams"]["comments:test"]["before"] == newest.external_id
    assert waits == []  # x-ratelimit-remaining 598: no need to wait


def test_an_exhausted_ratelimit_waits_through_the_injected_sleep(credentials: None) -> None:
    inner = _stream_transport()

    def spent(request: httpx.Request) -> httpx.Response:
        response = inner.handle_request(request)
        headers = {
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": "600",
            "x-ratelimit-reset": "42",
        }
        return httpx.Response(200, headers=headers, content=response.read(), request=request)

    transport = Faults(inner, {2: spent})
    collector = Reddit(RedditOptions(subreddits=["test"], search_all=False, comments=True))
    waits: list[float] = []
    cursor = {"streams": {"search:test:x": {"before": "t1_k3v0jp3", "at": 1696691432.0}}}
    list(
        collector.collect(session(transport, "reddit", waits, replay=False), Search(["x"]), cursor)
    )
    assert waits
    assert 41 <= waits[0] <= 42
