"""Bluesky, against bskyr's recorded ``searchPosts`` cassette (MIT). The session calls
(``createSession``/``refreshSession``) have no public recording; they are written from the
AT Protocol lexicons (``accessJwt``, ``refreshJwt``, ``ExpiredToken``)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import yaml

from collectors.base import Search
from collectors.bluesky import SESSIONS, Bluesky, BlueskyOptions, post_to_mention
from collectors.errors import ConfigurationError
from collectors.replay import RECORDINGS
from grapevine.engine import Engine
from storage import Store
from tests.collectors.helpers import NOW, Faults, demo_settings, session

REC = RECORDINGS / "bluesky"
ACCESS, REFRESH = "access-jwt-secret-1", "refresh-jwt-secret-1"


def _search_body() -> dict:  # type: ignore[type-arg]
    cassette = yaml.safe_load((REC / "searchPosts.yml").read_text())
    return json.loads(cassette["http_interactions"][0]["response"]["body"]["string"])  # type: ignore[no-any-return]


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("BLUESKY_HANDLE", "grapevine.test")
    monkeypatch.setenv("BLUESKY_APP_PASSWORD", "app-pass-word-1234")
    SESSIONS.clear()
    yield
    SESSIONS.clear()


def test_recorded_posts_map_with_mixed_timestamp_formats() -> None:
    posts = _search_body()["posts"]
    mentions = [post_to_mention(p)[0] for p in posts]
    assert len(mentions) == 25
    assert all(m.created_at.utcoffset() == timedelta(0) for m in mentions)
    first = mentions[0]
    assert first.external_id.startswith("at://did:plc:")
    assert (first.community, first.author) == ("bluesky", "socpaperbot.bsky.social")
    assert first.url == "https://bsky.app/profile/socpaperbot.bsky.social/post/3lpk2u6qo222m"
    assert first.score == 0
    assert first.comments == 0


def _pds(expire_first_search: bool = False) -> Faults:
    state = {"searches": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("createSession"):
            assert json.loads(request.content)["password"] == "app-pass-word-1234"
            return httpx.Response(
                200,
                json={
                    "did": "did:plc:x",
                    "handle": "grapevine.test",
                    "accessJwt": ACCESS,
                    "refreshJwt": REFRESH,
                },
            )
        if path.endswith("refreshSession"):
            assert request.headers["Authorization"] == f"Bearer {REFRESH}"
            return httpx.Response(
                200,
                json={
                    "did": "did:plc:x",
                    "handle": "grapevine.test",
                    "accessJwt": "access-jwt-secret-2",
                    "refreshJwt": "refresh-jwt-secret-2",
                },
            )
        state["searches"] += 1
        if expire_first_search and state["searches"] == 1:
            return httpx.Response(
                400, json={"error": "ExpiredToken", "message": "Token has expired"}
            )
        return httpx.Response(
            200,
            json=_search_body(),
            headers={"RateLimit-Remaining": "2983", "RateLimit-Reset": "1747676784"},
        )

    return Faults(httpx.MockTransport(handler))


def test_session_is_created_once_and_cached(credentials: None) -> None:
    transport = _pds()
    for _ in range(2):
        list(
            Bluesky().collect(session(transport, "bluesky", replay=False), Search(["a", "b"]), None)
        )
    paths = [r.url.path.rsplit("/", 1)[-1] for r in transport.requests]
    assert paths.count("com.atproto.server.createSession") == 1
    assert paths.count("app.bsky.feed.searchPosts") == 4
    search = transport.requests[1]
    assert search.headers["Authorization"] == f"Bearer {ACCESS}"
    assert search.url.params["sort"] == "latest"


def test_an_expired_token_is_refreshed_and_never_logged(
    credentials: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    transport = _pds(expire_first_search=True)
    pages = list(
        Bluesky().collect(session(transport, "bluesky", replay=False), Search(["a"]), None)
    )
    assert sum(len(p.mentions) for p in pages) == 25
    last = transport.requests[-1]
    assert last.headers["Authorization"] == "Bearer access-jwt-secret-2"
    for secret in (ACCESS, REFRESH, "access-jwt-secret-2", "app-pass-word-1234"):
        assert secret not in caplog.text
        assert secret not in json.dumps(pages[-1].cursor)


def test_resume_sends_since_from_the_window() -> None:
    first = list(
        Bluesky().collect(session(Bluesky.replay_transport(""), "bluesky"), Search(["x"]), None)
    )
    stream = first[-1].cursor["windows"]["x"]
    assert stream["head"] is not None  # the newest post stored: the next fresh sweep's since
    assert stream["complete"]  # the recording's whole history was read
    transport = Faults(Bluesky.replay_transport(""))
    again = list(Bluesky().collect(session(transport, "bluesky"), Search(["x"]), first[-1].cursor))
    # five minutes (late_minutes) below the newest post, 17:10:09: a post indexed late is
    # sorted by its earlier createdAt; what the re-read finds again is not yielded twice
    assert transport.requests[0].url.params["since"].startswith("2025-05-19T17:05:09")
    assert sum(len(p.mentions) for p in again) == 0
    transport = Faults(Bluesky.replay_transport(""))
    plain = Bluesky(BlueskyOptions(late_minutes=0))
    list(plain.collect(session(transport, "bluesky"), Search(["x"]), first[-1].cursor))
    assert transport.requests[0].url.params["since"].startswith("2025-05-19T17:10:09")


def test_spent_ietf_ratelimit_waits_until_the_epoch_reset() -> None:
    reset = str(int(NOW.timestamp()) + 120)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json=_search_body(), headers={"RateLimit-Remaining": "0", "RateLimit-Reset": reset}
        )

    waits: list[float] = []
    list(
        Bluesky().collect(
            session(httpx.MockTransport(handler), "bluesky", waits), Search(["a", "b"]), None
        )
    )
    assert waits == [120.0]


def test_without_an_app_password_the_source_fails_clearly(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BLUESKY_HANDLE", raising=False)
    monkeypatch.delenv("BLUESKY_APP_PASSWORD", raising=False)
    never = httpx.MockTransport(lambda r: pytest.fail("no request expected"))
    engine = Engine(store, demo_settings(tmp_path), transports={"bluesky": never}, sleep=[].append)
    result = engine.run_job(engine.jobs(["bluesky"], ["Waymo"])[0])
    assert result.status == "disabled"
    assert "BLUESKY_APP_PASSWORD" in (result.message or "")
    with pytest.raises(ConfigurationError):
        list(Bluesky().collect(session(never, "bluesky", replay=False), Search(["x"]), None))
