"""A generic JSON webhook, signed so the receiver can tell it came from us, untampered.

Headers::

    X-Grapevine-Signature: t=<unix seconds>,sha256=<hex HMAC-SHA256>
    X-Grapevine-Timestamp: <unix seconds>
    X-Grapevine-Delivery:  <alert id>:<channel>   (the same on every retry: drop copies)

The signature is ``HMAC_SHA256(key, f"{t}." + body)`` over the exact body bytes. Signing the
timestamp lets the receiver refuse old messages replayed later (e.g. older than 5 minutes);
compare with :func:`hmac.compare_digest` (see :func:`verify`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from config import get_secret
from config.alerts import WebhookChannel
from grapevine.alerts.channels.errors import DeliveryError
from grapevine.alerts.channels.http import post

__all__ = ["SIGNATURE_HEADER", "send_webhook", "sign", "verify", "webhook_body"]

SIGNATURE_HEADER = "X-Grapevine-Signature"


def sign(key: bytes, timestamp: int, body: bytes) -> str:
    digest = hmac.new(key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},sha256={digest}"


def verify(key: bytes, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """The receiver's check: a well-formed header, a fresh timestamp, a matching HMAC."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(
        sign(key, timestamp, body), f"t={timestamp},sha256={parts.get('sha256', '')}"
    )


def webhook_body(alert: Mapping[str, Any], payload: Mapping[str, Any]) -> bytes:
    """The JSON document receivers get: the alert's identity and its whole payload."""
    doc = {**alert, **{k: v for k, v in payload.items() if k != "subjects"}}
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")


def send_webhook(
    channel: WebhookChannel,
    alert: Mapping[str, Any],
    payload: Mapping[str, Any],
    *,
    client: httpx.Client,
    now: datetime,
) -> None:
    url = get_secret(channel.url_env)
    key = get_secret(channel.secret_env)
    missing = [n for n, v in ((channel.url_env, url), (channel.secret_env, key)) if v is None]
    if url is None or key is None:
        raise DeliveryError(f"webhook variables not set in the environment: {missing}")
    body = webhook_body(alert, payload)
    timestamp = int(now.timestamp())
    headers = {
        SIGNATURE_HEADER: sign(key.get_secret_value().encode("utf-8"), timestamp, body),
        "X-Grapevine-Timestamp": str(timestamp),
        "X-Grapevine-Delivery": str(alert.get("delivery_id", "")),
        "user-agent": "grapevine-alerts/0.1",
    }
    post(
        client,
        url.get_secret_value(),
        content=body,
        headers=headers,
        timeout=channel.timeout_seconds,
        what="webhook",
    )
