"""Google Play reviews. No public recording exists, so the bundled ``batchexecute`` pages
are written from the format google-play-scraper parses (``)]}'`` prefix, ``wrb.fr``
envelope, reviews at ``[0]``, continuation token at ``[-2][-1]``), with test content."""

from __future__ import annotations

import httpx
import pytest

from collectors.base import Search
from collectors.errors import MalformedPayload
from collectors.googleplay import GooglePlay, GooglePlayApp, parse_batch, review_to_mentions
from collectors.replay import RECORDINGS
from tests.collectors.helpers import Faults, session

REC = RECORDINGS / "googleplay"
APPS = {"apps": [{"id": "com.waymo.carapp", "developer": "Waymo Support"}]}


def _page(name: str) -> httpx.Response:
    return httpx.Response(200, content=(REC / name).read_bytes())


def test_reviews_and_the_continuation_token_are_read() -> None:
    reviews, token = parse_batch(_page("reviews_page1.txt"))
    assert len(reviews) == 3
    assert token
    assert token.startswith("gp-page-2")
    assert parse_batch(_page("reviews_page2.txt"))[1] is None


def test_a_developer_reply_is_kept_as_the_brand_answering() -> None:
    reviews, _ = parse_batch(_page("reviews_page1.txt"))
    review, reply = review_to_mentions(reviews[0], GooglePlayApp(id="com.waymo.carapp"))
    assert (review.kind.value, review.rating, review.helpful_votes) == ("review", 1, 14)
    assert review.community == "googleplay:com.waymo.carapp"
    assert review.created_at.isoformat() == "2026-11-22T20:31:10+00:00"
    assert (reply.kind.value, reply.parent_id, reply.author) == (
        "comment",
        review.external_id,
        "Waymo Support",
    )
    assert reply.created_at > review.created_at


def test_pages_with_the_token_and_stops_at_the_last_seen_review() -> None:
    collector = GooglePlay.from_config(APPS)
    transport = Faults(GooglePlay.replay_transport(GooglePlay.default_base_url))
    pages = list(collector.collect(session(transport, "googleplay"), Search(["waymo"]), None))
    assert [len(p.mentions) for p in pages] == [4, 3]  # 5 reviews + 2 developer replies
    second = transport.requests[1]
    assert b"gp-page-2" in second.content
    assert b"com.waymo.carapp" in second.content
    assert second.url.params["hl"] == "en"
    assert second.method == "POST"
    mark = pages[-1].cursor["apps"]["com.waymo.carapp/en/us"]
    assert mark["id"] == pages[0].mentions[0].external_id

    again = Faults(GooglePlay.replay_transport(GooglePlay.default_base_url))
    resumed = list(
        collector.collect(session(again, "googleplay"), Search(["waymo"]), pages[-1].cursor)
    )
    assert sum(len(p.mentions) for p in resumed) == 0
    assert len(again.requests) == 1


def test_a_body_that_is_not_batchexecute_is_malformed() -> None:
    request = httpx.Request("POST", "https://play.google.com/_/PlayStoreUi/data/batchexecute")
    with pytest.raises(MalformedPayload):
        parse_batch(httpx.Response(200, text="<html>consent.google.com</html>", request=request))
