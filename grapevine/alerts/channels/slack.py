"""Slack incoming webhooks: a Block Kit message with the key figure, up to three example
mentions and a link to the dashboard."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from config import get_secret
from config.alerts import SlackChannel
from grapevine.alerts.channels.errors import DeliveryError
from grapevine.alerts.channels.http import post
from grapevine.alerts.channels.render import example_line, safe_url, text_body

__all__ = ["send_slack", "slack_message"]

_MAX_EXAMPLES = 3


def _mrkdwn(text: Any) -> str:
    """Slack's escaping: &, < and > (which make links and ``<!channel>`` pings); line
    breaks become spaces, so a quoted mention cannot end its quote and pose as Grapevine."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _quote(text: Any) -> str:
    return _mrkdwn(" ".join(str(text).split()))


def _link(url: str, label: str) -> str:
    return f"<{url.replace('|', '%7C').replace('>', '%3E')}|{_mrkdwn(label)}>"


def slack_message(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The Block Kit message for ``payload`` (``text`` is the notification fallback)."""
    title = str(payload.get("title", "Grapevine alert"))
    link = safe_url(payload.get("link")) or ""
    if payload.get("kind") == "digest":
        return {
            "text": title,
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": _mrkdwn(text_body(payload))[:2900]},
                },
            ],
        }
    figure = payload.get("figure") or {}
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {
            "type": "section",
            "fields": [
                {
                    "type": "mrkdwn",
                    "text": f"*{_mrkdwn(figure.get('label', ''))}*\n{_mrkdwn(figure.get('value', ''))}",
                },
                {"type": "mrkdwn", "text": f"*Brand*\n{_mrkdwn(payload.get('brand', ''))}"},
            ],
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": _mrkdwn(payload.get("summary", ""))[:2900]},
        },
    ]
    examples = [e for e in payload.get("examples") or [] if isinstance(e, Mapping)]
    if examples:
        blocks.append({"type": "divider"})
    for e in examples[:_MAX_EXAMPLES]:
        where = example_line(e)
        url = safe_url(e.get("url"))
        source = _link(url, where) if url else _mrkdwn(where)
        quote = _quote(e.get("text", ""))[:2500]
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f">{quote}\n{source}"}}
        )
    if link:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open in Grapevine"},
                        "url": link,
                    }
                ],
            }
        )
    return {"text": title, "blocks": blocks}


def send_slack(channel: SlackChannel, payload: Mapping[str, Any], *, client: httpx.Client) -> None:
    url = get_secret(channel.url_env)
    if url is None:
        raise DeliveryError(
            f"the Slack webhook variable {channel.url_env} is not set in the environment"
        )
    body = json.dumps(slack_message(payload), ensure_ascii=False).encode("utf-8")
    post(
        client,
        url.get_secret_value(),
        content=body,
        headers={},
        timeout=channel.timeout_seconds,
        what="Slack webhook",
    )
