"""Sending what the outbox holds: each due delivery once, failures retried with backoff.

Each delivery stands alone: a receiver that times out or answers 500 costs its own attempt
and is retried later (``base``, ``2·base``, ``4·base``, … capped), while the other channels
of the same alert are delivered in the same pass. After ``max_attempts`` a delivery is
``failed`` and stays visible (``grapevine alerts list --status failed``, the app).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import datetime

import httpx

from config import Settings, redact
from config.alerts import EmailChannel, SlackChannel, WebhookChannel
from grapevine.alerts import outbox
from grapevine.alerts.channels import DeliveryError, Transports, send
from storage import Store

__all__ = ["DeliveryResult", "deliver_pending"]

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, slots=True)
class DeliveryResult:
    alert_id: int
    channel: str
    status: str  # delivered, pending (will be retried), failed
    attempts: int
    error: str | None = None


def _attempt(
    claimed: outbox.Claimed,
    settings_channels: Mapping[str, EmailChannel | SlackChannel | WebhookChannel],
    *,
    http: httpx.Client,
    transports: Transports,
    now: datetime,
) -> None:
    channel = settings_channels.get(claimed.channel)
    if channel is None:
        raise DeliveryError(f"channel {claimed.channel!r} is no longer configured", permanent=True)
    alert = claimed.alert
    identity = {
        "id": alert.id,
        "rule": alert.rule,
        "brand": alert.brand,
        "event_key": alert.event_key,
        "fired_at": alert.fired_at.isoformat(),
        "delivery_id": f"{alert.id}:{claimed.channel}",
    }
    send(channel, identity, alert.payload, http=http, transports=transports, now=now)


def deliver_pending(
    store: Store,
    settings: Settings,
    *,
    now: datetime,
    transports: Transports | None = None,
    limit: int = 100,
) -> list[DeliveryResult]:
    """Send every delivery that is due at ``now`` (up to ``limit``); return what happened.

    Safe to run from several processes: a delivery is claimed before it is sent. Never
    raises for a delivery's failure — that is recorded on the delivery and logged.
    """
    cfg = settings.alerts
    retry = cfg.retry
    transports = transports or Transports()
    claimed = outbox.claim_due(
        store, now=now, lease=retry.lease, max_attempts=retry.max_attempts, limit=limit
    )
    if not claimed:
        return []
    results: list[DeliveryResult] = []
    own_client = transports.http is None
    http = transports.http or httpx.Client(follow_redirects=False)
    channels = {n: c for n, c in cfg.channels.items() if c.enabled}
    try:
        for item in claimed:
            try:
                _attempt(item, channels, http=http, transports=transports, now=now)
            except Exception as exc:  # every failure is the delivery's, never the pass's
                error = (
                    exc
                    if isinstance(exc, DeliveryError)
                    else DeliveryError(f"{type(exc).__name__}: {exc}")
                )
                delay = retry.delay(item.attempts)
                if error.retry_after is not None:
                    delay = max(delay, min(error.retry_after, retry.max_delay))
                status = outbox.mark_failed_attempt(
                    store,
                    item.delivery_id,
                    error=redact(str(error)),
                    attempts=retry.max_attempts if error.permanent else item.attempts,
                    max_attempts=retry.max_attempts,
                    retry_at=now + delay,
                )
                log.warning(
                    "alert %s to %s: attempt %d failed (%s)%s",
                    item.alert.id,
                    item.channel,
                    item.attempts,
                    redact(str(error)),
                    "; giving up" if status == outbox.FAILED else f"; retrying in {delay}",
                )
                results.append(  # receivers echo URLs and tokens in error bodies: masked
                    DeliveryResult(
                        item.alert.id, item.channel, status, item.attempts, redact(str(error))
                    )
                )
            else:
                outbox.mark_delivered(store, item.delivery_id, now=now)
                log.info("alert %s delivered to %s", item.alert.id, item.channel)
                results.append(
                    DeliveryResult(item.alert.id, item.channel, outbox.DELIVERED, item.attempts)
                )
    finally:
        if own_client:
            http.close()
    return results
