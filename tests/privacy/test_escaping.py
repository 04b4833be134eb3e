"""Every user-supplied string reaches a reader as text: in the dashboard's Markdown sinks,
in an alert e-mail's HTML and in Slack's mrkdwn. (The browser test in
``tests/app/test_browser_security.py`` checks the rendered DOM of every page.)"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from config.alerts import EmailChannel
from grapevine.alerts.channels.email import build_message
from grapevine.alerts.channels.render import html_body, safe_url, subject
from grapevine.alerts.channels.slack import slack_message
from grapevine.dashboard.widgets import plain
from tests.privacy.hostile import HOSTILE, PAYLOADS, alert_payload


@pytest.mark.parametrize("payload", [*PAYLOADS, "a\nb", "C:\\path\\", "50% off!"])
def test_plain_escapes_every_markdown_and_directive_character(payload: str) -> None:
    out = plain(payload)
    # Every ASCII punctuation mark is backslash-escaped, so CommonMark reads each literally.
    unescaped = re.findall(r"(?<!\\)(?:\\\\)*[!-/:-@\[-`{-~]", out.replace("\\\\", ""))
    assert [c for c in unescaped if c != "\\"] == []
    assert "\n" not in out
    # Removing the escapes gives the text back (line breaks become spaces).
    assert re.sub(r"\\(.)", r"\1", out) == " ".join(payload.split())


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_the_alert_email_html_holds_no_markup_from_the_data() -> None:
    channel = EmailChannel(type="email", host="smtp.test", sender="a@b.test", to=["c@d.test"])
    msg = build_message(channel, alert_payload(), "1:email")
    html = next(p for p in msg.walk() if p.get_content_type() == "text/html").get_content()
    tags = _tags(html)
    assert {t for t, _ in tags} <= {
        "html",
        "body",
        "h2",
        "h3",
        "p",
        "strong",
        "ul",
        "li",
        "blockquote",
        "a",
    }
    hrefs = [a.get("href") or "" for t, a in tags if t == "a"]
    assert all(h.startswith("http://") or h.startswith("https://") for h in hrefs), hrefs
    assert all(not any(k.startswith("on") for k in a) for _, a in tags)
    assert "&lt;script&gt;" in html
    assert "\n" not in msg["Subject"]


def test_the_digest_email_escapes_titles_and_drops_a_javascript_link() -> None:
    digest = {
        "kind": "digest",
        "title": HOSTILE,
        "summary": HOSTILE,
        "link": "javascript:alert(1)",
        "brands": [{"brand": HOSTILE, "mentions": 1, "previous_mentions": 0}],
        "alerts": [{"fired_at": "2026-11-20T10:00", "title": HOSTILE, "deliveries": {}}],
    }
    tags = _tags(html_body(digest))
    assert {t for t, _ in tags} <= {
        "html",
        "body",
        "h2",
        "h3",
        "p",
        "table",
        "tr",
        "th",
        "td",
        "ul",
        "li",
    }
    assert subject({"title": "a\r\nBcc: x@y.test"}) == "[Grapevine] a Bcc: x@y.test"


def _mrkdwn_texts(blocks: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    for block in blocks:
        for part in [block.get("text"), *(block.get("fields") or [])]:
            if isinstance(part, dict) and part.get("type") == "mrkdwn":
                found.append(part["text"])
    return found


def test_slack_blocks_ping_nobody_and_link_only_to_http() -> None:
    message = slack_message(alert_payload())
    texts = _mrkdwn_texts(message["blocks"])
    assert texts
    for text in texts:
        # Slack's control sequences are <…>: the only ones left are our own http(s) links.
        for control in re.findall(r"<([^>]*)>", text):
            assert control.startswith(("http://", "https://")), control
        assert "<!channel>" not in text
        assert "<@U123>" not in text
    quotes = [t for t in texts if t.startswith(">")]
    assert all("\n>" not in q.split("\n")[0] for q in quotes)
    assert not any(b.get("type") == "actions" for b in message["blocks"])  # javascript: link


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://a.test/x", True),
        ("HTTP://a.test", True),
        ("javascript:alert(1)", False),
        (" JavaScript:alert(1)", False),
        ("data:text/html,x", False),
        ("//a.test", False),
        (None, False),
    ],
)
def test_only_http_links_survive(url: str | None, kept: bool) -> None:
    assert (safe_url(url) is not None) is kept
