"""The one HTTP setup every collector shares: retries, backoff, rate limits, accounting.

Collectors receive an :class:`HttpSession` (an ``httpx.Client`` plus this policy) and
never build clients or sleep on their own. The engine builds the session, so tests swap
in ``httpx.MockTransport``/respx and a fake ``sleep``; the offline demo swaps in a replay
transport. Waits are counted so ``runs`` and ``grapevine status`` can show them.

Every request is bounded (:class:`Limits`): connect and read timeouts per socket
operation, an overall deadline per attempt that holds even against a server trickling
one byte at a time, and a cap on the body, read by streaming, so an endless or huge
response costs at most the cap in memory. The transfer runs on a worker thread while the
caller watches the deadline and the run's stop flag, so Ctrl+C ends a run within a
fraction of a second even while a server never answers; retries and waits stop as soon
as the flag is set (:class:`~collectors.errors.Stopped`). Every exception httpx can raise
becomes one of :mod:`collectors.errors` here, in :func:`error_for_exception`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx

from collectors.errors import (
    CollectorError,
    FatalError,
    MalformedPayload,
    RateLimited,
    ResponseTooLarge,
    RetriableError,
    Stopped,
    error_for_response,
)

__all__ = [
    "Classify",
    "HttpSession",
    "Limits",
    "RateLimitPolicy",
    "RetryPolicy",
    "decode_json",
    "error_for_exception",
    "expect_mapping",
]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], None]
Monotonic = Callable[[], float]
#: An API's own reading of a failed response (e.g. Stack Exchange's error bodies), tried
#: before the status mapping of :func:`~collectors.errors.error_for_response`.
Classify = Callable[[httpx.Response], CollectorError | None]
T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, bounded in attempts and in total waiting."""

    max_retries: int = 4
    base_delay: float = 1.0
    max_delay: float = 60.0
    max_wait: float = 900.0  # a single rate-limit wait longer than this ends the run

    def backoff(self, attempt: int, rng: random.Random) -> float:
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        return rng.uniform(ceiling / 2, ceiling)


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one request may cost: time per socket operation, time in all, body bytes."""

    connect_timeout: float = 10.0
    read_timeout: float = 20.0  # the longest silence between two reads
    total_timeout: float = 30.0  # connect + headers + the whole body, per attempt
    max_response_bytes: int = 10 * 1024 * 1024  # decoded bytes, so a gzip bomb is capped too
    poll_interval: float = 0.05  # how often a waiting caller looks at the stop flag

    def timeout(self) -> httpx.Timeout:
        # The socket timeouts only free the worker thread: the deadline itself is watched
        # by the caller, so they may run a little past it (the deadline's message wins).
        slack = self.total_timeout + 1.0
        return httpx.Timeout(
            min(self.read_timeout, slack), connect=min(self.connect_timeout, slack)
        )


def error_for_exception(exc: Exception, request: httpx.Request | None = None) -> CollectorError:
    """The taxonomy's reading of anything httpx (or a transport) raised; one place.

    Timeouts, dropped connections and protocol errors are worth a retry; a body that
    cannot be decompressed is malformed (retried, then reported); a redirect loop, an
    unsupported scheme or a malformed URL will not get better within the run.
    """
    if isinstance(exc, CollectorError):
        return exc
    req = request
    if req is None and isinstance(exc, httpx.RequestError):
        try:
            req = exc.request
        except RuntimeError:  # raised without a request attached
            req = None
    name = type(exc).__name__
    detail = str(exc).splitlines()[0][:200] if str(exc) else name
    if isinstance(exc, httpx.TimeoutException):
        return RetriableError(f"timed out: {name}", request=req)
    if isinstance(exc, httpx.UnsupportedProtocol):
        return FatalError(f"unsupported URL scheme: {detail}", request=req)
    if isinstance(exc, httpx.TransportError):  # connect/read/write errors, protocol errors
        return RetriableError(f"connection failed: {name}: {detail}", request=req)
    if isinstance(exc, httpx.DecodingError):
        return MalformedPayload(f"the body could not be decoded: {name}: {detail}", request=req)
    if isinstance(exc, httpx.TooManyRedirects):
        return FatalError(f"redirect loop: {detail}", request=req)
    if isinstance(exc, httpx.HTTPError | httpx.InvalidURL | httpx.StreamError):
        return FatalError(f"request failed: {name}: {detail}", request=req)
    if isinstance(exc, OSError):
        return RetriableError(f"connection failed: {name}: {detail}", request=req)
    return FatalError(f"request failed: {name}: {detail}", request=req)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value.strip().split(",")[0].split(";")[0])
    except ValueError:
        return None


class RateLimitPolicy:
    """Reads every rate-limit dialect we meet and says how long to wait.

    - ``Retry-After``: seconds or an HTTP date (RFC 9110);
    - ``X-RateLimit-Remaining/Reset`` (Reddit: reset in seconds; GitHub: reset as epoch;
      Mastodon: reset as an ISO-8601 timestamp);
    - IETF ``RateLimit-Remaining/Reset`` (Bluesky sends the reset as epoch seconds);
    - Stack Exchange's ``backoff`` field in the JSON body, fed in by its collector through
      :meth:`HttpSession.defer`.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def _seconds_until(self, value: str | None) -> float | None:
        if value is None:
            return None
        value = value.strip()
        number = _number(value)
        now = self._clock()
        if number is not None:
            # Epoch timestamps are huge; deltas are small.
            return (
                max(0.0, number - now.timestamp()) if number > 1_000_000_000 else max(0.0, number)
            )
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - now).total_seconds())

    def retry_after(self, response: httpx.Response) -> float | None:
        """How long a 429 (or 503) asks us to wait, if it says."""
        headers = response.headers
        wait = self._seconds_until(headers.get("retry-after"))
        if wait is not None:
            return wait
        return self._reset(headers)

    def _reset(self, headers: httpx.Headers) -> float | None:
        for name in ("x-ratelimit-reset", "ratelimit-reset"):
            wait = self._seconds_until(headers.get(name))
            if wait is not None:
                return wait
        return None

    def pause_after(self, response: httpx.Response) -> float | None:
        """How long to pause before the next request because the budget is spent."""
        headers = response.headers
        remaining = _number(
            headers.get("x-ratelimit-remaining") or headers.get("ratelimit-remaining")
        )
        if remaining is not None and remaining < 1:
            return self._reset(headers)
        return None


class HttpSession:
    """An ``httpx.Client`` wrapped in the retry, rate-limit and size policy."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        policy: RetryPolicy | None = None,
        sleep: Sleep,
        clock: Clock,
        rng: random.Random | None = None,
        replay: bool = False,
        limits: Limits | None = None,
        stop: threading.Event | None = None,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        self.client = client
        #: True when the engine serves bundled recordings instead of the API: a source
        #: that needs credentials runs without them then (nothing reaches the network).
        self.replay = replay
        self.policy = policy or RetryPolicy()
        self.limits = limits or Limits()
        self.rate_limits = RateLimitPolicy(clock)
        self.clock = clock
        self.stop = stop or threading.Event()
        self._sleep = sleep
        self._monotonic = monotonic
        self._rng = rng or random.Random()
        self._deferred = 0.0
        self.rate_limit_waits = 0
        self.waited_seconds = 0.0
        self.requests = 0
        #: Bodies that were not valid UTF-8, decoded with U+FFFD in place of the bad bytes.
        self.repairs: list[str] = []

    def _check_stop(self) -> None:
        if self.stop.is_set():
            raise Stopped("stopped on request")

    def wait(self, seconds: float, reason: str) -> None:
        """Wait (through the injected sleep) and account for it; a stop request ends it."""
        if seconds > self.policy.max_wait:
            raise RateLimited(
                f"{reason}: asked to wait {seconds:.0f}s, more than the {self.policy.max_wait:.0f}s "
                "allowed; the run stops here and resumes next time",
                retry_after=seconds,
            )
        self._check_stop()
        if seconds <= 0:
            return
        log.info("waiting %.1fs: %s", seconds, reason)
        self.rate_limit_waits += 1
        self.waited_seconds += seconds
        self._sleep(seconds)
        self._check_stop()

    def defer(self, seconds: float) -> None:
        """Make the next request wait at least ``seconds`` (an API's body-level backoff)."""
        self._deferred = max(self._deferred, seconds)

    def request(
        self, method: str, url: str, *, classify: Classify | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send with retries; return a successful response (body read) or raise a
        CollectorError.

        ``classify`` lets a collector read its API's error bodies first; whatever it
        returns (or the status mapping, if it returns None) decides retry or stop.
        """
        attempt = 0
        while True:
            if self._deferred > 0:
                pending, self._deferred = self._deferred, 0.0
                self.wait(pending, "the API asked for a backoff")
            self._check_stop()
            response: httpx.Response | None = None
            try:
                self.requests += 1
                response = self._send(method, url, **kwargs)
                error = classify(response) if classify is not None else None
                if error is None:
                    error = error_for_response(response, self.rate_limits.retry_after(response))
            except (Stopped, ResponseTooLarge):
                raise
            except Exception as exc:  # every failure is mapped: none escapes raw
                error = error_for_exception(exc)
            if error is None and response is not None:
                pause = self.rate_limits.pause_after(response)
                if pause:
                    self.defer(pause)
                return response
            assert error is not None
            if not isinstance(error, RetriableError) or attempt >= self.policy.max_retries:
                if isinstance(error, RetriableError):
                    raise RetriableError(f"gave up after {attempt + 1} attempts: {error}")
                raise error
            if isinstance(error, RateLimited) and error.retry_after is not None:
                self.wait(error.retry_after, str(error))
            else:
                delay = self.policy.backoff(attempt, self._rng)
                self.wait(delay, f"retry {attempt + 1}/{self.policy.max_retries} after {error}")
            attempt += 1

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One attempt, bounded by the deadline and the stop flag (see the module doc)."""
        limits = self.limits
        send_options: dict[str, Any] = {
            k: kwargs.pop(k) for k in ("follow_redirects", "auth") if k in kwargs
        }
        kwargs.pop("timeout", None)  # one policy: the session's limits
        request = self.client.build_request(method, url, timeout=limits.timeout(), **kwargs)
        deadline = self._monotonic() + limits.total_timeout
        done = threading.Event()
        abandoned = threading.Event()
        outcome: dict[str, Any] = {}

        def transfer() -> None:
            try:
                outcome["response"] = self._transfer(request, deadline, abandoned, send_options)
            except BaseException as exc:  # handed to the caller below
                outcome["error"] = exc
            finally:
                done.set()

        worker = threading.Thread(target=transfer, name="grapevine-http", daemon=True)
        worker.start()
        while not done.wait(limits.poll_interval):
            if self.stop.is_set():
                abandoned.set()
                raise Stopped("stopped on request during a request", request=request)
            if self._monotonic() >= deadline:
                abandoned.set()
                raise RetriableError(
                    f"no complete answer within the {limits.total_timeout:g}s deadline",
                    request=request,
                )
        if "error" in outcome:
            raise outcome["error"]
        response: httpx.Response = outcome["response"]
        return response

    def _transfer(
        self,
        request: httpx.Request,
        deadline: float,
        abandoned: threading.Event,
        send_options: dict[str, Any],
    ) -> httpx.Response:
        """Send and stream the body on the worker thread, checking the deadline, the size
        cap and whether the caller gave up after every chunk."""
        cap = self.limits.max_response_bytes
        response = self.client.send(request, stream=True, **send_options)
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                raise ResponseTooLarge(
                    f"the response declares {int(declared):,} bytes, more than the "
                    f"{cap:,}-byte cap",
                    request=response.request,
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > cap:
                    raise ResponseTooLarge(
                        f"the response is larger than the {cap:,}-byte cap",
                        request=response.request,
                    )
                chunks.append(chunk)
                if abandoned.is_set():
                    raise Stopped("abandoned", request=response.request)
                if self._monotonic() >= deadline:
                    raise RetriableError(
                        f"no complete answer within the {self.limits.total_timeout:g}s deadline "
                        f"({size:,} bytes received)",
                        request=response.request,
                    )
        finally:
            response.close()
        # The body is decoded already: rebuild the response without the encoding headers.
        headers = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=b"".join(chunks),
            request=response.request,
            extensions={
                k: v
                for k, v in response.extensions.items()
                if k in ("http_version", "reason_phrase")
            },
        )

    def get(
        self, url: str, params: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> httpx.Response:
        return self.request("GET", url, params=params, **kwargs)

    def get_json(self, url: str, params: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        """GET and decode JSON; a body that is not JSON is retried, then raised as malformed."""
        return self.fetch_parsed("GET", url, decode_json, params=params, **kwargs)

    def fetch_parsed(
        self, method: str, url: str, parse: Callable[[httpx.Response], T], **kwargs: Any
    ) -> T:
        """Send, then parse the body with ``parse``; a :class:`MalformedPayload` from the
        parser (an HTML error page where XML or JSON was due) is retried with backoff,
        then raised. JSON, XML and feed sources share this one retry loop."""
        attempt = 0
        while True:
            response = self.request(method, url, **kwargs)
            try:
                parsed = parse(response)
            except MalformedPayload as exc:
                error = exc
            else:
                repaired = response.extensions.get(_REPAIRED)
                if isinstance(repaired, str):
                    self.repairs.append(repaired)
                return parsed
            if attempt >= self.policy.max_retries:
                raise error
            self.wait(self.policy.backoff(attempt, self._rng), str(error))
            attempt += 1


_REPAIRED = "grapevine.repaired"


def decode_json(response: httpx.Response) -> Any:
    """The JSON body of a response, or :class:`MalformedPayload` naming what came instead.

    Bytes that are not valid UTF-8 become U+FFFD instead of failing the page: one bad
    byte costs at most the text of the record it sits in. The repair is noted on the
    response (and counted by :meth:`HttpSession.fetch_parsed`) so the run is degraded.
    """
    body = response.content
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        text = body.decode("utf-8-sig", errors="replace")
        url = response.request.url.copy_with(query=None)
        response.extensions[_REPAIRED] = (
            f"invalid UTF-8 at byte {exc.start} of {response.request.method} {url}; "
            "replaced with U+FFFD"
        )
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise MalformedPayload(
            f"response is not JSON ({exc.__class__.__name__}: {exc}); starts with {text[:80]!r}",
            request=response.request,
        ) from None


def expect_mapping(payload: Any, what: str, request: httpx.Request | None = None) -> dict[str, Any]:
    """Guard for the top level of a JSON body: an object, or a MalformedPayload error."""
    if not isinstance(payload, dict):
        raise MalformedPayload(
            f"{what}: expected a JSON object, got {type(payload).__name__}", request=request
        )
    return payload
