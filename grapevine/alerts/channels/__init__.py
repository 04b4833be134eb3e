"""Where alerts go: email (SMTP + STARTTLS), Slack incoming webhooks, signed JSON webhooks.

Senders *receive* their transport — an ``httpx.Client`` and an SMTP factory, gathered in
:class:`Transports` — so tests point them at loopback servers and production code builds
one client per delivery pass. Every failure is a :class:`DeliveryError` whose message has
been redacted (webhook URLs, keys and passwords never reach a log line or ``last_error``).
"""

from __future__ import annotations

import dataclasses
import ssl
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from config.alerts import EmailChannel, SlackChannel, WebhookChannel
from grapevine.alerts.channels.email import SmtpFactory, build_message, default_smtp, send_email
from grapevine.alerts.channels.errors import DeliveryError
from grapevine.alerts.channels.slack import send_slack, slack_message
from grapevine.alerts.channels.webhook import (
    SIGNATURE_HEADER,
    send_webhook,
    sign,
    verify,
    webhook_body,
)

__all__ = [
    "SIGNATURE_HEADER",
    "DeliveryError",
    "SmtpFactory",
    "Transports",
    "build_message",
    "send",
    "sign",
    "slack_message",
    "verify",
    "webhook_body",
]


@dataclasses.dataclass(frozen=True)
class Transports:
    """What senders talk through. ``http=None``: the caller builds (and closes) a client."""

    http: httpx.Client | None = None
    smtp: SmtpFactory = default_smtp
    ssl_context: ssl.SSLContext | None = None


def send(
    channel: EmailChannel | SlackChannel | WebhookChannel,
    alert: Mapping[str, Any],
    payload: Mapping[str, Any],
    *,
    http: httpx.Client,
    transports: Transports,
    now: datetime,
) -> None:
    """Deliver one alert to one channel; raise :class:`DeliveryError` if it did not arrive.

    ``alert`` is the alert's identity as receivers see it (``id``, ``rule``, ``brand``,
    ``fired_at``, ``delivery_id``); ``payload`` what it says.
    """
    if isinstance(channel, EmailChannel):
        send_email(
            channel,
            payload,
            str(alert.get("delivery_id", "")),
            smtp_factory=transports.smtp,
            ssl_context=transports.ssl_context,
        )
    elif isinstance(channel, SlackChannel):
        send_slack(channel, payload, client=http)
    else:
        send_webhook(channel, alert, payload, client=http, now=now)
