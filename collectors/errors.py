"""What can go wrong while collecting, grouped by what the engine should do next.

::

    CollectorError
    ├── ConfigurationError   the source cannot run as configured (missing key, bad option):
    │                        record it and skip the source until the config changes
    ├── FatalError           the API refused for good this run (401, 403, 404 ...): stop the run
    │   ├── QuotaExhausted   a daily quota is spent: stop until it resets
    │   └── ResponseTooLarge the body is over the size cap: stop, never download it again
    │                        in a retry loop (also redirect loops, unsupported URLs)
    ├── RetriableError       try again after a backoff (5xx, timeouts, the overall deadline,
    │   │                    connection drops, protocol errors)
    │   ├── RateLimited      429 or an explicit backoff: wait as long as the API says
    │   └── MalformedPayload the body was not what the API documents (HTML error page, bad
    │                        JSON, a body that cannot be decompressed)
    ├── SkippableRecord      one record cannot be read: skip it, keep the page, degrade the run
    └── Stopped              the run was asked to stop (SIGINT/SIGTERM): record it ``stopped``

Every error carries the request that caused it (when there was one), so the run's message
can say which URL failed. HTTP status codes are mapped to these classes in exactly one
place, :func:`error_for_response`; exceptions raised by httpx in one other,
:func:`collectors.http.error_for_exception`.
"""

from __future__ import annotations

import httpx

__all__ = [
    "CollectorError",
    "ConfigurationError",
    "FatalError",
    "MalformedPayload",
    "QuotaExhausted",
    "RateLimited",
    "ResponseTooLarge",
    "RetriableError",
    "SkippableRecord",
    "Stopped",
    "error_for_response",
]


class CollectorError(Exception):
    """Base class; ``request`` is the HTTP request that failed, if any."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.request = request

    def __str__(self) -> str:
        text = super().__str__()
        if self.request is not None:
            # Never the query string: it may carry a key.
            url = self.request.url.copy_with(query=None)
            return f"{text} ({self.request.method} {url})"
        return text


class ConfigurationError(CollectorError):
    """The source cannot run with the configuration or credentials it was given."""


class FatalError(CollectorError):
    """Retrying will not help within this run."""


class QuotaExhausted(FatalError):
    """The API's quota is spent; ``resets_in`` seconds until it refills, if known."""

    def __init__(
        self, message: str, *, resets_in: float | None = None, request: httpx.Request | None = None
    ) -> None:
        super().__init__(message, request=request)
        self.resets_in = resets_in


class ResponseTooLarge(FatalError):
    """The response body is larger than the configured cap (``[collect] max_response_mb``)."""


class Stopped(CollectorError):
    """The run was asked to stop; what was committed stays, the next run resumes there."""


class RetriableError(CollectorError):
    """A transient failure: the same request may succeed after a backoff."""


class RateLimited(RetriableError):
    """The API asked us to slow down; ``retry_after`` seconds, if it said how long."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        request: httpx.Request | None = None,
    ) -> None:
        super().__init__(message, request=request)
        self.retry_after = retry_after


class MalformedPayload(RetriableError):
    """A response body that is not what the API documents."""


class SkippableRecord(CollectorError):
    """A single record that cannot be mapped to a mention."""


def error_for_response(
    response: httpx.Response, retry_after: float | None = None
) -> CollectorError | None:
    """The error a response stands for, or None if it is a success.

    The single place where status codes become decisions.
    """
    status = response.status_code
    if status < 400:
        return None
    request = response.request
    reason = f"HTTP {status} {response.reason_phrase}".strip()
    if status == 429:
        return RateLimited(f"rate limited: {reason}", retry_after=retry_after, request=request)
    if status in (408, 425) or status >= 500:
        return RetriableError(f"server error: {reason}", request=request)
    if status in (401, 403):
        return FatalError(
            f"access refused ({reason}): check the source's credentials", request=request
        )
    return FatalError(f"request rejected: {reason}", request=request)
