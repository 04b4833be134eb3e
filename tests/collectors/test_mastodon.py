"""Mastodon, against Mastodon.py's recorded cassettes (MIT): a hashtag timeline and a
search, recorded on a Mastodon 4.6.4 test server, with ISO-8601 ``X-RateLimit-Reset``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import yaml

from collectors.base import Search
from collectors.errors import ConfigurationError
from collectors.mastodon import (
    Mastodon,
    MastodonOptions,
    hashtags_for,
    id_instant,
    ids_above,
    ids_up_to,
    status_to_mention,
)
from collectors.replay import RECORDINGS
from tests.collectors.helpers import NOW, Faults, session

REC = RECORDINGS / "mastodon"


def _timeline_body() -> list[dict]:  # type: ignore[type-arg]
    cassette = yaml.safe_load((REC / "test_hashtag_tl.yaml").read_text())
    (timeline,) = [i for i in cassette["interactions"] if "timelines/tag" in i["request"]["uri"]]
    return json.loads(timeline["response"]["body"]["string"])  # type: ignore[no-any-return]


def test_recorded_status_maps_to_a_mention() -> None:
    (status,) = _timeline_body()
    m = status_to_mention(status, "localhost:3000")
    assert m.external_id == status["uri"]  # global, so two instances store it once
    assert (m.kind.value, m.community, m.language) == ("post", "mastodon:localhost:3000", "ja")
    assert m.text == "#hoot (hashtag toot)"  # HTML content to text
    assert m.created_at.isoformat() == "2026-08-01T13:55:55.867000+00:00"


def test_hashtags_come_from_terms_and_config() -> None:
    assert hashtags_for(["waymo", "self-driving", "robo taxi"], ["#Hoot"]) == [
        "hoot",
        "waymo",
        "robotaxi",
    ]


def test_snowflake_ids_map_to_instants_and_back() -> None:
    recorded = 117020593741189701  # the recorded status, created 2026-08-01T13:55:55.867Z
    at = id_instant(recorded)
    created = datetime(2026, 8, 1, 13, 55, 55, 867000, tzinfo=UTC)
    assert abs(datetime.fromtimestamp(at, UTC) - created) < timedelta(milliseconds=10)
    assert int(ids_above(at)) < int(ids_up_to(at))
    assert int(ids_above(at)) >= recorded  # since_id: only later milliseconds
    assert int(ids_up_to(at)) > recorded  # max_id (exclusive): its millisecond included
    assert int(ids_up_to(at - 0.001)) <= recorded


def test_first_run_takes_the_newest_page_then_asks_only_for_newer() -> None:
    collector = Mastodon(MastodonOptions(hashtags=["hoot"]))
    transport = Faults(Mastodon.replay_transport(Mastodon.default_base_url))
    pages = list(collector.collect(session(transport, "mastodon"), Search([]), None))
    assert [len(p.mentions) for p in pages] == [1]
    assert transport.requests[0].url.path == "/api/v1/timelines/tag/hoot"
    assert "max_id" not in transport.requests[0].url.params
    cursor = pages[-1].cursor
    head = cursor["windows"]["mastodon.social|tag:hoot"]["head"]
    assert head == id_instant(117020593741189701)
    again = Faults(Mastodon.replay_transport(Mastodon.default_base_url))
    resumed = list(collector.collect(session(again, "mastodon"), Search([]), cursor))
    # the late margin: ten minutes below the head (late_minutes), for statuses that
    # federate late; the status it re-reads is not yielded again
    assert again.requests[0].url.params["since_id"] == ids_above(head - 600)
    assert sum(len(p.mentions) for p in resumed) == 0


def test_a_cursor_from_the_min_id_walk_resumes_after_its_mark() -> None:
    tag = _Timeline("hoot", start=1_000, count=5)
    # no late margin here: it would re-read the old walk's statuses once (the store's
    # upsert absorbs them) and this test is about where the walk's mark leads
    collector = Mastodon(MastodonOptions(hashtags=["hoot"], late_minutes=0))
    mark = tag.ids[2]  # the old walk had stored up to the third status
    cursor = {"min_id": {"mastodon.social|tag:hoot": str(mark)}}
    pages = list(collector.collect(session(tag.transport(), "mastodon"), Search([]), cursor))
    assert sorted(m.raw["id"] for p in pages for m in p.mentions) == [str(i) for i in tag.ids[3:]]
    assert "min_id" not in pages[-1].cursor


def test_an_iso_reset_with_no_budget_left_waits_until_it() -> None:
    reset = (NOW + timedelta(seconds=90)).isoformat().replace("+00:00", "Z")
    body = json.dumps(_timeline_body()).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {
            "x-ratelimit-limit": "300",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-reset": reset,
        }
        return httpx.Response(200, headers=headers, content=body, request=request)

    waits: list[float] = []
    collector = Mastodon(MastodonOptions(hashtags=["hoot", "toot"]))
    list(
        collector.collect(
            session(httpx.MockTransport(handler), "mastodon", waits), Search([]), None
        )
    )
    assert waits == [90.0]


def test_status_search_needs_a_token_outside_replay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MASTODON_ACCESS_TOKEN", raising=False)
    never = httpx.MockTransport(lambda r: pytest.fail("no request expected"))
    with pytest.raises(ConfigurationError, match="MASTODON_ACCESS_TOKEN"):
        list(
            Mastodon(MastodonOptions(search=True)).collect(
                session(never, "mastodon", replay=False), Search(["x"]), None
            )
        )


def test_status_search_sends_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", "mastodon-test-token")
    transport = Faults(Mastodon.replay_transport(Mastodon.default_base_url))
    collector = Mastodon(MastodonOptions(search=True, hashtags=[]))
    list(
        collector.collect(
            session(transport, "mastodon", replay=False), Search(["mastodonpy test"]), None
        )
    )
    (search,) = [r for r in transport.requests if r.url.path == "/api/v2/search"]
    assert search.url.params["type"] == "statuses"
    assert search.headers["Authorization"] == "Bearer mastodon-test-token"


def test_phrase_terms_become_hashtags() -> None:
    assert hashtags_for(['"stop and go"', "#Waymo"], []) == ["stopandgo", "waymo"]


def _status(local_id: str, uri: str, reply_to: str | None = None, text: str = "hi") -> dict:  # type: ignore[type-arg]
    return {
        "id": local_id,
        "uri": uri,
        "created_at": "2026-11-20T10:00:00.000Z",
        "content": f"<p>{text}</p>",
        "in_reply_to_id": reply_to,
        "account": {"acct": "someone"},
    }


def test_replies_are_linked_to_their_parent_uri_known_or_looked_up() -> None:
    known_parent = _status("100", "https://a.example/users/x/statuses/100")
    reply_to_known = _status("101", "https://b.example/users/y/statuses/9", reply_to="100")
    reply_to_other = _status("102", "https://b.example/users/y/statuses/10", reply_to="55")
    reply_to_gone = _status("103", "https://b.example/users/y/statuses/11", reply_to="66")
    lookups: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/v1/statuses/"):
            lookups.append(request.url.path)
            if request.url.path.endswith("/55"):
                return httpx.Response(
                    200, json=_status("55", "https://c.example/objects/55"), request=request
                )
            return httpx.Response(404, json={"error": "Record not found"}, request=request)
        body = [reply_to_gone, reply_to_other, reply_to_known, known_parent]
        return httpx.Response(200, json=body, request=request)

    collector = Mastodon(MastodonOptions(hashtags=["hoot"]))
    pages = list(
        collector.collect(session(httpx.MockTransport(handler), "mastodon"), Search([]), None)
    )
    parents = {m.external_id: m.parent_id for p in pages for m in p.mentions}
    assert parents[reply_to_known["uri"]] == known_parent["uri"]  # no request needed
    assert parents[reply_to_other["uri"]] == "https://c.example/objects/55"
    assert parents[reply_to_gone["uri"]] is None  # deleted: unlinked, never a local id
    assert parents[known_parent["uri"]] is None
    assert sorted(lookups) == ["/api/v1/statuses/55", "/api/v1/statuses/66"]  # once each


def test_every_tag_is_read_before_any_tag_gets_a_second_page() -> None:
    timelines = {t: _Timeline(t, start=1_000, count=10) for t in "abc"}

    def handler(request: httpx.Request) -> httpx.Response:
        return timelines[request.url.path.rsplit("/", 1)[-1]].answer(request)

    collector = Mastodon(MastodonOptions(hashtags=["a", "b", "c"], limit=2))
    pages = list(
        collector.collect(
            session(httpx.MockTransport(handler), "mastodon"), Search([], page_budget=2), None
        )
    )
    # the budget is 2, but each of the three tags got its newest page first, then history
    # got the one page it always gets
    fresh = [[m.external_id for m in p.mentions] for p in pages[:3]]
    assert [ids[0].split("/")[3] for ids in fresh] == ["a", "b", "c"]
    for ids in fresh:
        timeline = timelines[ids[0].split("/")[3]]
        assert [int(i.rsplit("/", 1)[1]) for i in ids] == timeline.ids[::-1][:2]
    assert len(pages) == 4


def test_a_busy_tag_stores_the_newest_first_and_backfills_the_rest() -> None:
    """More statuses arrive between two runs than the run's budget can read: the newest
    are stored first (oldest first, the old walk, would never have caught up), the rest
    comes in later runs, each status exactly once."""
    tag = _Timeline("busy", start=1_000, count=100)
    collector = Mastodon(MastodonOptions(hashtags=["busy"], limit=10))
    stored: list[str] = []

    def run(cursor: dict | None) -> dict:  # type: ignore[type-arg]
        pages = list(
            collector.collect(
                session(tag.transport(), "mastodon"), Search([], page_budget=3), cursor
            )
        )
        stored.extend(m.raw["id"] for p in pages for m in p.mentions)
        return pages[-1].cursor  # type: ignore[no-any-return]

    cursor = run(None)
    assert stored[:10] == [str(i) for i in tag.ids[::-1][:10]]  # the newest page first
    tag.grow(200)  # a burst: 200 new statuses before the next run reads 30
    before = len(stored)
    cursor = run(cursor)
    assert stored[before : before + 10] == [str(i) for i in tag.ids[::-1][:10]]
    # every later run re-reads the late margin below the head (the whole timeline spans
    # 0.3 s, inside the ten-minute margin) before history gets its page
    for _ in range(40):
        cursor = run(cursor)
    assert sorted(stored, key=int) == [str(i) for i in tag.ids]  # all 300, each once
    state = cursor["windows"]["mastodon.social|tag:busy"]
    assert state["complete"]
    assert not state["gaps"]


def test_status_search_sweeps_newest_first_without_since_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Search takes no ``since_id``: a later run pages down from the newest and stops at
    the first status it already has, storing only the new ones."""
    monkeypatch.setenv("MASTODON_ACCESS_TOKEN", "mastodon-test-token")
    found = _Timeline("espresso", start=5_000, count=25)
    asked: list[httpx.QueryParams] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path != "/api/v2/search":  # the term's hashtag: nobody tags it
            return httpx.Response(200, json=[], request=request)
        asked.append(request.url.params)
        statuses = json.loads(found.answer(request).content)
        return httpx.Response(200, json={"accounts": [], "statuses": statuses}, request=request)

    collector = Mastodon(MastodonOptions(search=True, limit=10))
    stored: list[str] = []

    def run(cursor: dict | None) -> dict:  # type: ignore[type-arg]
        pages = list(
            collector.collect(
                session(httpx.MockTransport(handler), "mastodon", replay=False),
                Search(["espresso"], page_budget=5),
                cursor,
            )
        )
        stored.extend(m.raw["id"] for p in pages for m in p.mentions)
        return pages[-1].cursor  # type: ignore[no-any-return]

    cursor = run(None)
    assert sorted(stored, key=int) == [str(i) for i in found.ids]  # 25 within the budget
    found.grow(3)
    asked.clear()
    run(cursor)
    assert all("since_id" not in params for params in asked)
    assert sorted(stored, key=int) == [str(i) for i in found.ids]  # the 3 new, once each
    assert len(stored) == 28


def test_a_status_that_federates_late_is_stored_once() -> None:
    """An instance gives a remote status an id from its publication time: one that arrives
    minutes late lands below statuses already read. The next run's late margin stores it,
    once; without the margin (``late_minutes = 0``) it would never be seen."""
    for late_minutes, expected in ((0.0, 0), (10.0, 1)):
        tag = _Timeline("hoot", start=1_000, count=30, spacing_ms=60_000)  # one a minute
        collector = Mastodon(
            MastodonOptions(hashtags=["hoot"], limit=10, late_minutes=late_minutes)
        )
        stored: list[str] = []
        cursor = _run_and_store(collector, tag, None, stored)
        assert sorted(stored, key=int) == [str(i) for i in tag.ids]
        tag.grow(3)
        cursor = _run_and_store(collector, tag, cursor, stored)  # the head moves up
        late = tag.arrive_late(seconds=120)  # published two minutes before the newest
        for _ in range(2):
            cursor = _run_and_store(collector, tag, cursor, stored)
        assert stored.count(str(late)) == expected
        assert len(stored) == len(set(stored)) == 33 + expected


def _run_and_store(
    collector: Mastodon,
    tag: _Timeline,
    cursor: dict | None,  # type: ignore[type-arg]
    stored: list[str],
) -> dict:  # type: ignore[type-arg]
    pages = list(collector.collect(session(tag.transport(), "mastodon"), Search([]), cursor))
    stored.extend(m.raw["id"] for p in pages for m in p.mentions)
    return pages[-1].cursor  # type: ignore[no-any-return]


class _Timeline:
    """A live-like hashtag timeline: snowflake ids ``spacing_ms`` apart, newest first,
    honouring ``max_id``, ``since_id``, ``min_id`` and ``limit`` as Mastodon does."""

    def __init__(self, tag: str, start: int, count: int, spacing_ms: int = 1) -> None:
        self.tag = tag
        self.ms = 1_780_000_000_000 + start
        self.spacing_ms = spacing_ms
        self.ids: list[int] = []
        self.grow(count)

    def grow(self, count: int) -> None:
        for _ in range(count):
            self.ids.append(self.ms << 16)
            self.ms += self.spacing_ms

    def arrive_late(self, seconds: float) -> int:
        """A remote status published ``seconds`` before the newest, federated only now."""
        late = (self.ms - self.spacing_ms - round(seconds * 1000)) << 16 | 7
        self.ids.append(late)
        return late

    def answer(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        ids = sorted(self.ids, reverse=True)
        if "max_id" in params:
            ids = [i for i in ids if i < int(params["max_id"])]
        if "since_id" in params:
            ids = [i for i in ids if i > int(params["since_id"])]
        limit = int(params.get("limit", "20"))
        if "min_id" in params:  # the statuses right after min_id, still newest first
            ids = sorted(i for i in ids if i > int(params["min_id"]))[:limit][::-1]
        body = [_status(str(i), f"https://a.example/{self.tag}/{i}") for i in ids[:limit]]
        return httpx.Response(200, json=body, request=request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.answer)
