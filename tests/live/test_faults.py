"""The fault matrix of issue 12: for each way a live service misbehaves, the time it may
cost (bounded; small deadlines and caps keep the tests fast), the run's status and
message, and that nothing stored is lost or duplicated (a healthy run afterwards stores
every post exactly once)."""

from __future__ import annotations

import dataclasses
import gzip
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import OperationalError

from config import Settings
from grapevine.engine import Job
from storage import Store
from tests.live.conftest import EPOCH_NOW, engine_for
from tests.live.simulators import (
    AlgoliaSimulator,
    Corpus,
    LoopbackServer,
    Raw,
    never_answer,
    trickle,
    write_response,
)

JOB = Job("hackernews", "Web")
CAP_MB = 1
MB = 1024 * 1024


def _corpus() -> Corpus:
    corpus = Corpus()
    corpus.history("css", 5, newest=EPOCH_NOW - 600)
    return corpus


def _exactly_once(store: Store, corpus: Corpus) -> None:
    ids = [m["external_id"] for m in store.iter_mentions("hackernews")]
    assert sorted(ids, key=int) == [str(p.id) for p in corpus.posts]


@dataclasses.dataclass
class Fault:
    """What a misbehaving API does, and what the run must make of it."""

    answer: Callable[[httpx.Request], httpx.Response]
    status: str
    message: str
    seconds: float = 1.0  # wall-clock bound
    requests: int | None = None  # how many requests the fault run may make
    waits: list[float] | None = None


class _Produced:
    """A streamed body that counts what the server produced (what we downloaded)."""

    def __init__(self, head: bytes, filler: bytes, total: int) -> None:
        self.head, self.filler, self.total = head, filler, total
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        yield self.head
        self.sent = len(self.head)
        chunk = self.filler * (64 * 1024 // len(self.filler))
        while self.sent < self.total:
            self.sent += len(chunk)
            yield chunk


def _huge_json() -> tuple[Callable[[httpx.Request], httpx.Response], _Produced]:
    body = _Produced(b'{"hits": [{"objectID": "1", "comment_text": "', b"css ", 50 * MB)
    return lambda r: httpx.Response(200, content=body, request=r), body


def _huge_text() -> tuple[Callable[[httpx.Request], httpx.Response], _Produced]:
    body = _Produced(b"<html>", b"x", 50 * MB)
    return (
        lambda r: httpx.Response(
            200, headers={"Content-Length": str(50 * MB)}, content=body, request=r
        ),
        body,
    )


def _redirect_loop(request: httpx.Request) -> httpx.Response:
    return httpx.Response(302, headers={"Location": str(request.url)}, request=request)


def _bad_gzip(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200,
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        content=b"\x1f\x8b\x08\x00not really gzip at all",
        request=request,
    )


def _unavailable(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, request=request)


@pytest.mark.parametrize(
    "name",
    ["huge-body", "huge-non-json", "redirect-loop", "bad-gzip", "503-forever", "429-retry-after"],
)
def test_fault_matrix_in_process(
    store: Store, live_settings: Callable[..., Settings], name: str
) -> None:
    corpus = _corpus()
    api = AlgoliaSimulator(corpus)
    settings = live_settings(per_page=2, max_pages=20, max_retries=2, max_mb=CAP_MB)
    assert engine_for(store, settings, {"hackernews": api}).run_job(JOB).status == "ok"
    news = corpus.publish("css news", EPOCH_NOW - 60)

    produced: _Produced | None = None
    calls: list[httpx.Request] = []
    if name == "huge-body":
        answer, produced = _huge_json()
        fault = Fault(answer, "failed", "larger than the 1,048,576-byte cap", requests=1)
    elif name == "huge-non-json":
        answer, produced = _huge_text()
        fault = Fault(answer, "failed", "declares 52,428,800 bytes", requests=1)
    elif name == "redirect-loop":
        fault = Fault(_redirect_loop, "failed", "redirect loop", requests=21)
    elif name == "bad-gzip":
        fault = Fault(_bad_gzip, "failed", "could not be decoded", requests=3)
    elif name == "503-forever":
        fault = Fault(_unavailable, "failed", "gave up after 3 attempts", requests=3)
    else:

        def answer(request: httpx.Request) -> httpx.Response:
            if not calls[1:]:
                return httpx.Response(429, headers={"Retry-After": "7"}, request=request)
            return api(request)

        fault = Fault(answer, "ok", "", waits=[7.0])

    def counted(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return fault.answer(request)

    waits: list[float] = []
    started = time.monotonic()
    result = engine_for(store, settings, {"hackernews": counted}, waits).run_job(JOB)
    elapsed = time.monotonic() - started

    assert elapsed < fault.seconds, f"{name} took {elapsed:.2f}s"
    assert result.status == fault.status, result.message
    assert fault.message in (result.message or "")
    assert "\n" not in (result.message or "")
    assert "Traceback" not in (result.message or "")
    if fault.requests is not None:
        assert len(calls) == fault.requests
    if fault.waits is not None:
        assert waits == fault.waits
    if produced is not None:  # read by streaming: at most the cap (plus a chunk), once
        assert produced.sent <= CAP_MB * MB + 128 * 1024
    (run,) = store.latest_runs()
    assert (run["status"], run["message"]) == (result.status, result.message)

    # Nothing lost or duplicated: a healthy run stores what the fault held back, once.
    assert engine_for(store, settings, {"hackernews": api}).run_job(JOB).status == "ok"
    assert str(news.id) in {m["external_id"] for m in store.iter_mentions()}
    _exactly_once(store, corpus)


def test_one_invalid_utf8_byte_costs_at_most_its_record(
    store: Store, live_settings: Callable[..., Settings]
) -> None:
    corpus = _corpus()
    api = AlgoliaSimulator(corpus)
    settings = live_settings(per_page=10, max_pages=5)
    bad = corpus.posts[2]

    def broken(request: httpx.Request) -> httpx.Response:
        response = api(request)
        body = response.content.replace(
            f"{bad.text}".encode(), f"{bad.text} caf".encode() + b"\xe9 ok", 1
        )
        return httpx.Response(200, content=body, request=request)

    result = engine_for(store, settings, {"hackernews": broken}).run_job(JOB)
    assert result.status == "degraded"
    assert "invalid UTF-8" in (result.message or "")
    assert f"records {bad.id}" in (result.message or "")
    _exactly_once(store, corpus)  # every record kept, the bad one with U+FFFD
    texts = {m["external_id"]: m["text"] for m in store.iter_mentions()}
    assert texts[str(bad.id)].endswith("caf\ufffd ok")


def _first_then(behaviour: Raw, api: AlgoliaSimulator) -> Raw:
    """The first request is answered properly; every later one misbehaves."""
    seen: list[int] = []

    def behave(handler: BaseHTTPRequestHandler, release: threading.Event) -> None:
        seen.append(1)
        if len(seen) == 1:
            request = httpx.Request("GET", f"http://127.0.0.1{handler.path}")
            write_response(handler, api(request))
            return
        behaviour.behave(handler, release)

    raw = Raw(behave)
    raw.release = behaviour.release
    return raw


@pytest.mark.parametrize("name", ["trickle", "never-answers"])
def test_a_slow_server_costs_at_most_the_deadline_per_attempt(
    store: Store, live_settings: Callable[..., Settings], name: str
) -> None:
    corpus = _corpus()
    api = AlgoliaSimulator(corpus)
    behaviour = trickle(every=0.05) if name == "trickle" else never_answer()
    with LoopbackServer(_first_then(behaviour, api)) as server:
        settings = live_settings(
            hn_url=server.url, per_page=2, max_pages=20, max_retries=1, deadline=0.4
        )
        started = time.monotonic()
        result = engine_for(store, settings).run_job(JOB)
        elapsed = time.monotonic() - started
    assert elapsed < 1.6  # 2 attempts x 0.4 s, plus the first page
    assert result.status == "failed"
    assert "0.4s deadline" in (result.message or "")
    assert store.count_mentions() == 2  # the first page was committed and stays
    assert engine_for(store, live_settings(per_page=2, max_pages=20), {"hackernews": api}).run_job(
        JOB
    ).status in ("ok",)
    _exactly_once(store, corpus)


def test_a_stop_request_ends_a_hung_request_at_once_and_keeps_committed_pages(
    store: Store, live_settings: Callable[..., Settings]
) -> None:
    corpus = _corpus()
    api = AlgoliaSimulator(corpus)
    with LoopbackServer(_first_then(never_answer(), api)) as server:
        settings = live_settings(hn_url=server.url, per_page=2, max_pages=20, deadline=30)
        engine = engine_for(store, settings)
        timer = threading.Timer(0.3, engine.stop.set)
        started = time.monotonic()
        timer.start()
        result = engine.run_job(JOB)
        elapsed = time.monotonic() - started
        timer.cancel()
    assert elapsed < 0.9  # not the 30 s deadline: the stop flag is watched mid-request
    assert result.status == "stopped"
    (run,) = store.latest_runs()
    assert run["status"] == "stopped"
    assert store.count_mentions() == 2


def test_retry_waits_end_when_the_run_is_asked_to_stop(
    store: Store, live_settings: Callable[..., Settings]
) -> None:
    settings = live_settings(max_retries=5)
    engine = engine_for(store, settings, {"hackernews": _unavailable})
    engine._sleep = lambda seconds: engine.stop.set()  # the signal arrives during the wait
    result = engine.run_job(JOB)
    assert result.status == "stopped"


def _disk_full(*args: Any, **kwargs: Any) -> Any:
    raise OperationalError(
        "INSERT INTO mentions (...) VALUES (...)",
        {},
        sqlite3.OperationalError("database or disk is full"),
    )


def test_a_full_disk_fails_the_run_in_one_line_and_other_jobs_still_run(
    store: Store, live_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = _corpus()
    settings = live_settings()
    handlers: dict[str, Callable[[httpx.Request], httpx.Response]] = {
        "hackernews": AlgoliaSimulator(corpus)
    }
    engine = engine_for(store, settings, handlers)
    monkeypatch.setattr(store, "save_page", _disk_full)
    result = engine.run_job(JOB)
    assert result.status == "failed"
    assert result.message == "store failed (OperationalError): database or disk is full"
    monkeypatch.undo()
    assert engine.run_job(JOB).status == "ok"  # the next job runs, and stores everything
    _exactly_once(store, corpus)


def test_a_read_only_store_is_a_failed_result_not_a_traceback(
    store: Store, live_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "start_run", _disk_full)
    result = engine_for(store, live_settings()).run_job(JOB)
    assert result.status == "failed"
    assert "database or disk is full" in (result.message or "")


def test_gzip_bodies_still_decode(store: Store, live_settings: Callable[..., Settings]) -> None:
    corpus = _corpus()
    api = AlgoliaSimulator(corpus)

    def zipped(request: httpx.Request) -> httpx.Response:
        raw = json.dumps(api(request).json()).encode()
        return httpx.Response(
            200, headers={"Content-Encoding": "gzip"}, content=gzip.compress(raw), request=request
        )

    assert engine_for(store, live_settings(), {"hackernews": zipped}).run_job(JOB).status == "ok"
    _exactly_once(store, corpus)
