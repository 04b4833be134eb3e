"""A report as an e-mail: a text part, the HTML page with its charts as related images,
and the self-contained HTML file attached (for forwarding and archiving)."""

from __future__ import annotations

import ssl
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from config.alerts import EmailChannel
from grapevine.alerts.channels.email import SmtpFactory, default_smtp, send_message
from grapevine.workflow.report import Report

__all__ = ["report_file_name", "report_message", "send_report"]


def report_file_name(report: Report) -> str:
    slug = "".join(ch if ch.isalnum() else "-" for ch in report.brand.lower()).strip("-")
    last = report.period.end.date() - timedelta(days=1)
    return f"{slug or 'brand'}-{last:%Y-%m-%d}.html"


def report_message(report: Report, channel: EmailChannel) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = f"Grapevine report — {report.title}"
    msg["From"] = channel.sender
    msg["To"] = ", ".join(channel.to)
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain="grapevine")
    msg.set_content(report.text)
    msg.add_alternative(report.email_html(), subtype="html")
    page = msg.get_body(("html",))
    assert isinstance(page, EmailMessage)
    for chart in report.charts:
        page.add_related(chart.png, "image", "png", cid=f"<{chart.content_id}>")
    msg.add_attachment(
        report.html().encode("utf-8"),
        maintype="text",
        subtype="html",
        filename=report_file_name(report),
    )
    return msg


def send_report(
    report: Report,
    channel: EmailChannel,
    *,
    smtp_factory: SmtpFactory = default_smtp,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """Send ``report`` through an e-mail channel (raises ``DeliveryError`` on failure)."""
    send_message(
        channel,
        report_message(report, channel),
        smtp_factory=smtp_factory,
        ssl_context=ssl_context,
    )
