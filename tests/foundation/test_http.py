"""The one retry and rate-limit policy: 429, 5xx, timeouts and malformed bodies."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from collectors import (
    FatalError,
    HttpSession,
    Limits,
    MalformedPayload,
    RateLimited,
    ResponseTooLarge,
    RetriableError,
    RetryPolicy,
    Stopped,
)
from collectors.http import RateLimitPolicy, error_for_exception

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def session(
    handler: Callable[[httpx.Request], httpx.Response], waits: list[float], **policy: float
) -> HttpSession:
    client = httpx.Client(base_url="https://api.test", transport=httpx.MockTransport(handler))
    return HttpSession(
        client,
        policy=RetryPolicy(**policy),
        sleep=waits.append,  # type: ignore[arg-type]
        clock=lambda: NOW,
        rng=random.Random(1),
    )


def sequence(*responses: httpx.Response | Exception) -> Callable[[httpx.Request], httpx.Response]:
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return handler


def test_429_waits_as_long_as_retry_after_says() -> None:
    waits: list[float] = []
    s = session(
        sequence(
            httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json={"ok": 1})
        ),
        waits,
    )
    assert s.get_json("/x") == {"ok": 1}
    assert waits == [7.0]
    assert s.rate_limit_waits == 1
    assert s.waited_seconds == 7.0


def test_retry_after_as_http_date() -> None:
    when = (NOW + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    waits: list[float] = []
    s = session(
        sequence(httpx.Response(429, headers={"Retry-After": when}), httpx.Response(200, json={})),
        waits,
    )
    s.get_json("/x")
    assert waits == [30.0]


def test_5xx_is_retried_with_growing_jittered_backoff() -> None:
    waits: list[float] = []
    s = session(
        sequence(httpx.Response(502), httpx.Response(503), httpx.Response(200, json=[1])), waits
    )
    assert s.get_json("/x") == [1]
    assert len(waits) == 2
    assert 0.5 <= waits[0] <= 1.0
    assert 1.0 <= waits[1] <= 2.0


def test_timeouts_are_retried_then_given_up() -> None:
    waits: list[float] = []
    s = session(sequence(*[httpx.ReadTimeout("slow")] * 3), waits, max_retries=2)
    with pytest.raises(RetriableError, match="gave up after 3 attempts"):
        s.get("/x")
    assert len(waits) == 2


def test_client_errors_are_fatal_and_not_retried() -> None:
    waits: list[float] = []
    s = session(sequence(httpx.Response(401)), waits)
    with pytest.raises(FatalError, match="credentials"):
        s.get("/x")
    assert waits == []


def test_malformed_json_is_retried_then_raised() -> None:
    waits: list[float] = []
    bad = httpx.Response(200, text="<html>maintenance</html>")
    s = session(sequence(bad, bad, bad), waits, max_retries=2)
    with pytest.raises(MalformedPayload, match="not JSON"):
        s.get_json("/x")
    assert len(waits) == 2


def test_a_wait_longer_than_allowed_ends_the_run() -> None:
    s = session(sequence(httpx.Response(429, headers={"Retry-After": "3600"})), [], max_wait=60)
    with pytest.raises(RateLimited, match="more than the 60s allowed"):
        s.get("/x")


def test_spent_budget_pauses_before_the_next_request() -> None:
    waits: list[float] = []
    reset = (NOW + timedelta(seconds=42)).isoformat()
    s = session(
        sequence(
            httpx.Response(
                200, json={}, headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
            ),
            httpx.Response(200, json={}),
        ),
        waits,
    )
    s.get("/a")
    assert waits == []
    s.get("/b")
    assert waits == [42.0]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "12"}, 12.0),
        ({"x-ratelimit-reset": "90"}, 90.0),  # Reddit: seconds until reset
        ({"x-ratelimit-reset": str(int(NOW.timestamp()) + 60)}, 60.0),  # GitHub: epoch
        ({"ratelimit-reset": str(int(NOW.timestamp()) + 300)}, 300.0),  # Bluesky: epoch
        ({"x-ratelimit-reset": "2026-11-23T12:05:00.000000Z"}, 300.0),  # Mastodon: ISO
        ({}, None),
    ],
)
def test_rate_limit_dialects(headers: dict[str, str], expected: float | None) -> None:
    policy = RateLimitPolicy(lambda: NOW)
    assert policy.retry_after(httpx.Response(429, headers=headers)) == expected


def test_errors_name_the_url_without_the_query_string() -> None:
    s = session(sequence(httpx.Response(404)), [])
    with pytest.raises(FatalError) as err:
        s.get("/search", params={"key": "SECRETKEY"})
    assert "https://api.test/search" in str(err.value)
    assert "SECRETKEY" not in str(err.value)


# --- bounded requests and one taxonomy for everything httpx raises ---------------------


def _bounded(
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    monotonic: Callable[[], float] | None = None,
    **limits: float,
) -> HttpSession:
    client = httpx.Client(
        base_url="https://api.test", transport=httpx.MockTransport(handler), follow_redirects=True
    )
    return HttpSession(
        client,
        policy=RetryPolicy(max_retries=0),
        sleep=lambda _s: None,
        clock=lambda: NOW,
        limits=Limits(**limits),  # type: ignore[arg-type]
        **({"monotonic": monotonic} if monotonic else {}),
    )


def test_a_trickling_body_meets_the_overall_deadline_on_an_injected_clock() -> None:
    clock = [0.0]
    sent: list[int] = []

    def trickle() -> Iterator[bytes]:
        for _ in range(10_000):
            clock[0] += 5.0  # one byte every 5 s, as the server did
            sent.append(1)
            yield b" "

    s = _bounded(
        lambda r: httpx.Response(200, content=trickle(), request=r),
        monotonic=lambda: clock[0],
        total_timeout=30.0,
    )
    with pytest.raises(RetriableError, match="30s deadline"):
        s.get("/x")
    assert len(sent) == 6  # stopped at the first chunk past the deadline


def test_an_oversize_body_is_its_own_error_and_not_retried() -> None:
    calls: list[int] = []

    def huge(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(200, content=iter([b"x" * 4096] * 1000), request=request)

    s = _bounded(huge, max_response_bytes=10_000)
    with pytest.raises(ResponseTooLarge, match="10,000-byte cap"):
        s.get("/x")
    assert calls == [1]


@pytest.mark.parametrize(
    ("raised", "expected", "words"),
    [
        (httpx.TooManyRedirects("Exceeded maximum allowed redirects."), FatalError, "redirect"),
        (httpx.DecodingError("Error -3 while decompressing"), MalformedPayload, "decoded"),
        (httpx.RemoteProtocolError("peer closed connection"), RetriableError, "RemoteProtocol"),
        (httpx.ReadError("reset"), RetriableError, "connection failed"),
        (httpx.ReadTimeout("slow"), RetriableError, "timed out"),
        (httpx.UnsupportedProtocol("ftp"), FatalError, "unsupported"),
        (httpx.InvalidURL("bad"), FatalError, "InvalidURL"),
        (ValueError("odd"), FatalError, "ValueError"),
    ],
)
def test_every_httpx_error_maps_to_the_taxonomy(
    raised: Exception, expected: type[Exception], words: str
) -> None:
    request = httpx.Request("GET", "https://api.test/x?key=secret")
    error = error_for_exception(raised, request)
    assert type(error) is expected
    assert words in str(error)
    assert "secret" not in str(error)


def test_a_redirect_loop_is_fatal_in_one_line() -> None:
    s = _bounded(lambda r: httpx.Response(302, headers={"Location": str(r.url)}, request=r))
    with pytest.raises(FatalError, match="redirect loop") as raised:
        s.get("/x")
    assert "\n" not in str(raised.value)


def test_a_stop_request_ends_retries() -> None:
    waits: list[float] = []
    s = session(lambda r: httpx.Response(503, request=r), waits, max_retries=5)
    s._sleep = lambda seconds: s.stop.set()  # the signal arrives during the first wait
    with pytest.raises(Stopped):
        s.get("/x")


def test_invalid_utf8_is_replaced_and_noted_not_fatal() -> None:
    body = b'{"hits": [{"text": "caf\xe9"}, {"text": "ok"}]}'
    s = _bounded(lambda r: httpx.Response(200, content=body, request=r))
    assert s.get_json("/x") == {"hits": [{"text": "caf\ufffd"}, {"text": "ok"}]}
    assert len(s.repairs) == 1
    assert "invalid UTF-8 at byte" in s.repairs[0]
