"""The one HTTP setup every collector shares: retries, backoff, rate limits, accounting.

Collectors receive an :class:`HttpSession` (an ``httpx.Client`` plus this policy) and
never build clients or sleep on their own. The engine builds the session, so tests swap
in ``httpx.MockTransport``/respx and a fake ``sleep``; the offline demo swaps in a replay
transport. Waits are counted so ``runs`` and ``grapevine status`` can show them.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx

from collectors.errors import (
    CollectorError,
    MalformedPayload,
    RateLimited,
    RetriableError,
    error_for_response,
)

__all__ = [
    "Classify",
    "HttpSession",
    "RateLimitPolicy",
    "RetryPolicy",
    "decode_json",
    "expect_mapping",
]

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], None]
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
    """An ``httpx.Client`` wrapped in the retry and rate-limit policy."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        policy: RetryPolicy | None = None,
        sleep: Sleep,
        clock: Clock,
        rng: random.Random | None = None,
        replay: bool = False,
    ) -> None:
        self.client = client
        #: True when the engine serves bundled recordings instead of the API: a source
        #: that needs credentials runs without them then (nothing reaches the network).
        self.replay = replay
        self.policy = policy or RetryPolicy()
        self.rate_limits = RateLimitPolicy(clock)
        self.clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._deferred = 0.0
        self.rate_limit_waits = 0
        self.waited_seconds = 0.0
        self.requests = 0

    def wait(self, seconds: float, reason: str) -> None:
        """Wait (through the injected sleep) and account for it."""
        if seconds > self.policy.max_wait:
            raise RateLimited(
                f"{reason}: asked to wait {seconds:.0f}s, more than the {self.policy.max_wait:.0f}s "
                "allowed; the run stops here and resumes next time",
                retry_after=seconds,
            )
        if seconds <= 0:
            return
        log.info("waiting %.1fs: %s", seconds, reason)
        self.rate_limit_waits += 1
        self.waited_seconds += seconds
        self._sleep(seconds)

    def defer(self, seconds: float) -> None:
        """Make the next request wait at least ``seconds`` (an API's body-level backoff)."""
        self._deferred = max(self._deferred, seconds)

    def request(
        self, method: str, url: str, *, classify: Classify | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send with retries; return a successful response or raise a CollectorError.

        ``classify`` lets a collector read its API's error bodies first; whatever it
        returns (or the status mapping, if it returns None) decides retry or stop.
        """
        attempt = 0
        while True:
            if self._deferred > 0:
                pending, self._deferred = self._deferred, 0.0
                self.wait(pending, "the API asked for a backoff")
            try:
                self.requests += 1
                response = self.client.request(method, url, **kwargs)
                response.read()
                error = classify(response) if classify is not None else None
                if error is None:
                    error = error_for_response(response, self.rate_limits.retry_after(response))
            except httpx.TimeoutException as exc:
                error = RetriableError(f"timed out: {type(exc).__name__}", request=exc.request)
            except httpx.TransportError as exc:
                error = RetriableError(
                    f"connection failed: {type(exc).__name__}: {exc}", request=exc.request
                )
            if error is None:
                pause = self.rate_limits.pause_after(response)
                if pause:
                    self.defer(pause)
                return response
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
                return parse(response)
            except MalformedPayload as exc:
                error = exc
            if attempt >= self.policy.max_retries:
                raise error
            self.wait(self.policy.backoff(attempt, self._rng), str(error))
            attempt += 1


def decode_json(response: httpx.Response) -> Any:
    """The JSON body of a response, or :class:`MalformedPayload` naming what came instead."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedPayload(
            f"response is not JSON ({exc.__class__.__name__}: {exc}); "
            f"starts with {response.text[:80]!r}",
            request=response.request,
        ) from None


def expect_mapping(payload: Any, what: str, request: httpx.Request | None = None) -> dict[str, Any]:
    """Guard for the top level of a JSON body: an object, or a MalformedPayload error."""
    if not isinstance(payload, dict):
        raise MalformedPayload(
            f"{what}: expected a JSON object, got {type(payload).__name__}", request=request
        )
    return payload
