"""Email over SMTP: STARTTLS before AUTH, a plain-text and an HTML part.

The SMTP connection comes from a factory the caller passes (``smtplib.SMTP`` by default),
so tests point it at a loopback aiosmtpd server with their own certificate.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from config import get_secret
from config.alerts import EmailChannel
from grapevine.alerts.channels.errors import DeliveryError
from grapevine.alerts.channels.render import html_body, subject, text_body

__all__ = ["SmtpFactory", "build_message", "default_smtp", "send_email", "send_message"]

#: ``(host, port, timeout_seconds) -> an unconnected-or-connected smtplib.SMTP``.
SmtpFactory = Callable[[str, int, float], smtplib.SMTP]


def default_smtp(host: str, port: int, timeout: float) -> smtplib.SMTP:
    return smtplib.SMTP(host, port, timeout=timeout)


def build_message(
    channel: EmailChannel, payload: Mapping[str, Any], delivery_id: str
) -> EmailMessage:
    """The email for ``payload``: multipart/alternative, plain text first."""
    msg = EmailMessage()
    msg["Subject"] = subject(payload)
    msg["From"] = channel.sender
    msg["To"] = ", ".join(channel.to)
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(idstring=delivery_id.replace(":", "."), domain="grapevine")
    msg["X-Grapevine-Delivery"] = delivery_id
    msg.set_content(text_body(payload))
    msg.add_alternative(html_body(payload), subtype="html")
    return msg


def send_email(
    channel: EmailChannel,
    payload: Mapping[str, Any],
    delivery_id: str,
    *,
    smtp_factory: SmtpFactory = default_smtp,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """Send one message; raise :class:`DeliveryError` on any failure."""
    send_message(
        channel,
        build_message(channel, payload, delivery_id),
        smtp_factory=smtp_factory,
        ssl_context=ssl_context,
    )


def send_message(
    channel: EmailChannel,
    msg: EmailMessage,
    *,
    smtp_factory: SmtpFactory = default_smtp,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """Send a built message through ``channel`` (STARTTLS, then AUTH); also what the
    scheduled reports use. Raise :class:`DeliveryError` on any failure."""
    password = None
    if channel.password_env is not None:
        secret = get_secret(channel.password_env)
        if secret is None:
            raise DeliveryError(
                f"the SMTP password variable {channel.password_env} is not set in the environment"
            )
        password = secret.get_secret_value()
    try:
        with smtp_factory(channel.host, channel.port, channel.timeout_seconds) as smtp:
            smtp.ehlo()
            if channel.starttls:
                smtp.starttls(context=ssl_context or ssl.create_default_context())
                smtp.ehlo()
            if channel.username is not None and password is not None:
                smtp.login(channel.username, password)
            refused = smtp.send_message(msg)
    except smtplib.SMTPResponseException as exc:
        permanent = 500 <= exc.smtp_code < 600 and exc.smtp_code != 535  # 535: bad credentials
        raise DeliveryError(
            f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=permanent
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP {type(exc).__name__}: {exc}") from None
    if refused:
        raise DeliveryError(f"SMTP refused recipients: {sorted(refused)}", permanent=True)
