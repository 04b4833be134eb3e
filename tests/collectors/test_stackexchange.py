"""Stack Exchange 2.3. The bundled bodies follow the structure of a real keyless
``/questions`` response (``../shared/recordings/stackexchange``, which states no licence)
with questions written for these tests; error bodies follow the API's documented
``error_id``/``error_name``/``error_message`` wrapper."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from collectors.base import Search
from collectors.errors import ConfigurationError, QuotaExhausted
from collectors.replay import RECORDINGS
from collectors.stackexchange import StackExchange, StackExchangeOptions, question_to_mention
from grapevine.engine import Engine
from storage import Store
from tests.collectors.helpers import Faults, demo_settings, session

REC = RECORDINGS / "stackexchange"


def _body(name: str = "search_advanced_page1.json", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((REC / name).read_text())
    body.update(changes)
    return body


def _api(*bodies: dict[str, Any], status: int = 200) -> Faults:
    answers = list(bodies)

    def handler(request: httpx.Request) -> httpx.Response:
        body = answers.pop(0) if len(answers) > 1 else answers[0]
        return httpx.Response(status, json=body, request=request)

    return Faults(httpx.MockTransport(handler))


def _collect(
    transport: httpx.BaseTransport, waits: list[float] | None = None, cursor: Any = None
) -> list[Any]:
    collector = StackExchange(StackExchangeOptions(sites=["superuser"]))
    return list(
        collector.collect(session(transport, "stackexchange", waits), Search(["waymo"]), cursor)
    )


def test_question_maps_to_a_mention() -> None:
    m = question_to_mention(_body()["items"][0], "stackoverflow")
    assert (m.external_id, m.kind.value, m.community) == (
        "stackoverflow:79990411",
        "question",
        "stackexchange:stackoverflow",
    )
    assert m.title == 'Facebook Login SDK returns "URL blocked" after switching to HTTPS'
    assert "<p>" not in m.text
    assert "URL blocked" in m.text
    assert (m.score, m.answers, m.author) == (3, 1, "Mina Okafor")


def test_pages_through_the_window_and_resumes_from_fromdate() -> None:
    transport = _api(_body(), _body("search_advanced_page2.json"))
    pages = _collect(transport)
    first, second = transport.requests
    assert first.url.params["sort"] == "creation"
    assert "todate" not in first.url.params
    assert second.url.params["todate"] == str(_body()["items"][-1]["creation_date"])
    stream = pages[-1].cursor["windows"]["superuser|waymo"]
    assert stream["head"] == _body()["items"][0]["creation_date"]
    assert stream["complete"]
    assert stream["gaps"] == []

    resumed = _api(_body("search_advanced_empty.json"))
    _collect(resumed, cursor=pages[-1].cursor)
    # five minutes (late_minutes) below the newest stored question, for one the search
    # index lists late under its creation time
    assert resumed.requests[0].url.params["fromdate"] == str(int(stream["head"]) - 300 + 1)


def test_a_list_title_is_a_skipped_record_not_text() -> None:
    body = _body()
    body["items"][0]["title"] = ["Waymo"]
    pages = _collect(_api(body, _body("search_advanced_empty.json")))
    stored = [m for p in pages for m in p.mentions]
    assert all("['Waymo']" not in (m.title or "") for m in stored)
    assert sum(p.skipped for p in pages) == 1
    assert "title" in pages[0].errors[0]
    assert "wrong type" in pages[0].errors[0]


def test_the_backoff_field_delays_the_next_request() -> None:
    waits: list[float] = []
    _collect(_api(_body(backoff=10), _body("search_advanced_page2.json")), waits)
    assert waits == [10.0]


def test_quota_remaining_zero_stops_after_storing_the_page(tmp_path: Path, store: Store) -> None:
    settings = demo_settings(tmp_path)
    transport = _api(_body(quota_remaining=0))
    engine = Engine(store, settings, transports={"stackexchange": transport}, sleep=[].append)
    result = engine.run_job(engine.jobs(["stackexchange"], ["Facebook"])[0])
    assert result.status == "failed"
    assert "QuotaExhausted" in (result.message or "")
    assert store.count_mentions() == 2  # the page that spent the quota was kept (its 2 matches)
    assert len(transport.requests) == 1


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            {
                "error_id": 502,
                "error_name": "throttle_violation",
                "error_message": "too many requests from this IP, more requests available in 40000 seconds",
            },
            QuotaExhausted,
        ),
        (
            {"error_id": 400, "error_name": "bad_parameter", "error_message": "site"},
            ConfigurationError,
        ),
    ],
    ids=["throttle", "bad-site"],
)
def test_error_bodies_are_mapped(error: dict[str, Any], expected: type[Exception]) -> None:
    with pytest.raises(expected) as raised:
        _collect(_api(error, status=400))
    if isinstance(raised.value, QuotaExhausted):
        assert raised.value.resets_in == 40000


def test_a_short_throttle_is_waited_out() -> None:
    throttle = {
        "error_id": 502,
        "error_name": "throttle_violation",
        "error_message": "too many requests from this IP, more requests available in 5 seconds",
    }
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) == 1:
            return httpx.Response(400, json=throttle, request=request)
        return httpx.Response(200, json=_body("search_advanced_page2.json"), request=request)

    waits: list[float] = []
    pages = _collect(httpx.MockTransport(handler), waits)
    assert waits == [5.0]
    assert sum(len(p.mentions) for p in pages) == 2


def test_gzip_bodies_and_the_key_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STACKEXCHANGE_KEY", "se-test-key")
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        raw = json.dumps(_body("search_advanced_page2.json")).encode()
        return httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=gzip.compress(raw))

    pages = _collect(httpx.MockTransport(handler))
    assert sum(len(p.mentions) for p in pages) == 2
    assert seen[0].url.params["key"] == "se-test-key"


def test_replay_routes_serve_both_pages() -> None:
    routes: Callable[[], Any] = StackExchange.replay_routes
    assert {r.recording for r in routes()} >= {
        "search_advanced_page1.json",
        "search_advanced_page2.json",
    }
