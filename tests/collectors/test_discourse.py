"""Discourse, against discourse_api's recorded ``/posts.json`` bodies (MIT). The
``/search.json`` body has no public recording; it is written from Discourse's documented
search response (``posts``, ``topics``, ``grouped_search_result``) with test content."""

from __future__ import annotations

import json
from typing import Any

import httpx

from collectors.base import Search
from collectors.discourse import Discourse, DiscourseOptions, post_to_mention
from collectors.replay import RECORDINGS
from tests.collectors.helpers import Faults, session

REC = RECORDINGS / "discourse"
FORUM = "https://forum.example.org"


def _latest() -> dict[str, Any]:
    return json.loads((REC / "posts_latest.json").read_text())  # type: ignore[no-any-return]


def test_recorded_posts_map_to_mentions() -> None:
    posts = [post_to_mention(p, FORUM) for p in _latest()["latest_posts"]]
    assert [m.external_id for m in posts] == [f"forum.example.org:{i}" for i in (15, 14, 10, 2)]
    welcome = posts[2]
    assert (welcome.kind.value, welcome.title) == ("post", "Welcome to Discourse")
    assert welcome.community == "discourse:forum.example.org"
    assert "<p>" not in welcome.text
    assert "welcome message" in welcome.text
    assert welcome.url == f"{FORUM}/t/welcome-to-discourse/{welcome.raw['topic_id']}/1"
    assert posts[0].kind.value == "comment"  # post_number 2


def test_posts_deleted_upstream_are_marked() -> None:
    post = {**_latest()["latest_posts"][0], "deleted_at": "2020-01-26T10:00:00.000Z"}
    assert post_to_mention(post, FORUM).deleted
    assert post_to_mention({**post, "deleted_at": None, "user_deleted": True}, FORUM).deleted


def test_latest_posts_page_back_with_before_as_recorded() -> None:
    latest = _latest()
    first_page = {"latest_posts": latest["latest_posts"][:1]}  # only post 15

    def handler(request: httpx.Request) -> httpx.Response:
        before = request.url.params.get("before")
        if before is None:
            return httpx.Response(200, json=first_page)
        if before == "14":
            return httpx.Response(200, content=(REC / "posts_before.json").read_bytes())
        return httpx.Response(200, json=latest)  # anything older: the site has nothing else

    transport = Faults(httpx.MockTransport(handler))
    collector = Discourse(DiscourseOptions(forums=[FORUM], latest_posts=[FORUM]))
    pages = list(collector.collect(session(transport, "discourse"), Search([]), None))
    ids = [m.external_id.split(":")[1] for p in pages for m in p.mentions]
    assert ids == ["15", "14", "10", "2"]
    assert [r.url.params.get("before") for r in transport.requests] == [None, "14", "1"]
    mark = pages[-1].cursor["marks"][f"{FORUM}|posts"]
    assert mark["id"] == 15

    again = Faults(httpx.MockTransport(handler))
    resumed = list(collector.collect(session(again, "discourse"), Search([]), pages[-1].cursor))
    assert sum(len(p.mentions) for p in resumed) == 0
    assert len(again.requests) == 1


def test_search_uses_order_latest_and_after_on_resume() -> None:
    transport = Faults(Discourse.replay_transport(Discourse.default_base_url))
    collector = Discourse(DiscourseOptions())
    pages = list(collector.collect(session(transport, "discourse"), Search(["community"]), None))
    assert (
        next(m.title for m in pages[0].mentions)
        == "Moving a support community from Reddit to Discourse"
    )
    assert transport.requests[0].url.params["q"] == "community order:latest"
    again = Faults(Discourse.replay_transport(Discourse.default_base_url))
    list(collector.collect(session(again, "discourse"), Search(["community"]), pages[-1].cursor))
    assert again.requests[0].url.params["q"] == "community order:latest after:2026-11-21"
