"""One POST for Slack and the generic webhook: status handling and errors in one place."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx

from config.secrets import RedactingFilter
from grapevine.alerts.channels.errors import DeliveryError

__all__ = ["post"]

#: Answers that retrying cannot change: the hook is gone or refuses the payload.
_PERMANENT = {400, 401, 403, 404, 410, 413, 422}


def _redact_http_logs() -> None:
    """httpx logs every request URL at INFO, and a webhook URL is a secret: mask it at the
    logger itself, so no handler (the CLI's, pytest's, an operator's) ever sees it."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


def _retry_after(response: httpx.Response) -> timedelta | None:
    value = response.headers.get("retry-after", "")
    try:
        return timedelta(seconds=max(float(value), 0.0))
    except ValueError:
        return None


def post(
    client: httpx.Client,
    url: str,
    *,
    content: bytes,
    headers: dict[str, str],
    timeout: float,
    what: str,
) -> httpx.Response:
    """POST ``content``; raise :class:`DeliveryError` unless the receiver answered 2xx.

    Errors never quote the URL (it is a secret); they name ``what`` was being called.
    """
    _redact_http_logs()
    try:
        response = client.post(
            url,
            content=content,
            headers={"content-type": "application/json", **headers},
            timeout=timeout,
        )
    except httpx.TimeoutException as exc:
        raise DeliveryError(
            f"{what}: timed out after {timeout:g}s ({type(exc).__name__})"
        ) from None
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{what}: {type(exc).__name__}") from None
    if response.is_success:
        return response
    body = response.text[:200].strip()
    raise DeliveryError(
        f"{what}: HTTP {response.status_code}" + (f" {body!r}" if body else ""),
        permanent=response.status_code in _PERMANENT,
        retry_after=_retry_after(response) if response.status_code in {429, 503} else None,
    )
