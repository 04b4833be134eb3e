"""RSS/Atom feeds and Google News search. No public recording was available: the Google
News body follows its RSS 2.0 output (``<source url>``, ``guid isPermaLink="false"``) and
the Atom feed follows RFC 4287, both with content written for these tests."""

from __future__ import annotations

import httpx

from collectors.base import Search
from collectors.replay import RECORDINGS
from collectors.rss import Feeds, FeedsOptions
from tests.collectors.helpers import Faults, session

NEWS = (RECORDINGS / "rss" / "google_news_search.xml").read_bytes()
ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Example Mobility Blog</title><id>urn:example:blog</id><updated>2026-11-22T10:00:00Z</updated>
  <entry><title>Riding with Waymo in the rain</title><id>urn:example:post-2</id>
    <link href="https://blog.example.com/waymo-rain"/><updated>2026-11-22T10:00:00Z</updated>
    <author><name>Ada</name></author><content type="html">&lt;p&gt;The car &lt;b&gt;slowed&lt;/b&gt; early.&lt;/p&gt;</content></entry>
  <entry><title>Undated draft</title><id>urn:example:draft</id><link href="https://blog.example.com/draft"/></entry>
  <entry><title>Riding with Waymo in the rain</title><id>urn:example:post-2</id>
    <link href="https://blog.example.com/waymo-rain"/><updated>2026-11-22T10:00:00Z</updated></entry>
</feed>
"""


def _server(etag: str = '"v1"') -> Faults:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("If-None-Match") == etag:
            return httpx.Response(304, request=request)
        body = NEWS if request.url.path == "/rss/search" else ATOM
        headers = {"ETag": etag, "Last-Modified": "Sun, 22 Nov 2026 16:00:00 GMT"}
        return httpx.Response(200, content=body, headers=headers, request=request)

    return Faults(httpx.MockTransport(handler))


def test_google_news_items_map_to_publisher_communities() -> None:
    transport = _server()
    pages = list(Feeds().collect(session(transport, "rss"), Search(["waymo one"]), None))
    (page,) = pages
    first = page.mentions[0]
    assert (
        first.title
        == "Facebook groups add threaded replies for large communities - Example Tech Daily"
    )
    assert first.community == "news:tech.example.com"
    assert first.external_id.startswith("CBMi")  # the guid
    assert first.created_at.isoformat() == "2026-11-22T15:30:00+00:00"
    assert transport.requests[0].url.params["q"] == '"waymo one"'


def test_feeds_dedupe_on_guid_skip_undated_entries_and_send_conditional_gets() -> None:
    options = FeedsOptions(feeds=["https://blog.example.com/feed.atom"], google_news=False)
    transport = _server()
    (page,) = list(Feeds(options).collect(session(transport, "rss"), Search(["x"]), None))
    assert [m.external_id for m in page.mentions] == ["urn:example:post-2"]
    assert page.mentions[0].text == "The car slowed early."
    assert page.mentions[0].community == "rss:blog.example.com"
    assert page.skipped == 1
    assert "no date" in page.errors[0]

    again = _server()
    (unchanged,) = list(Feeds(options).collect(session(again, "rss"), Search(["x"]), page.cursor))
    sent = again.requests[0].headers
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"].startswith("Sun, 22 Nov")
    assert unchanged.mentions == []
    assert unchanged.skipped == 0

    changed = _server(etag='"v2"')
    (newer,) = list(Feeds(options).collect(session(changed, "rss"), Search(["x"]), page.cursor))
    assert newer.mentions == []  # re-sent, but not newer than what was stored
