"""What a message says, independent of where it goes: subject, plain text and HTML.

Every channel renders from the alert's stored payload (never from live queries), so a
message sent on a retry three hours later says what the alert said when it fired.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["example_line", "html_body", "safe_url", "subject", "text_body"]


def subject(payload: Mapping[str, Any]) -> str:
    """One line: a line break in a title must not start a header of its own."""
    return " ".join(f"[Grapevine] {payload.get('title', 'alert')}".split())


def safe_url(value: Any) -> str | None:
    """``value`` when it is an http(s) URL: a ``javascript:``/``data:`` link in a stored
    mention never becomes something a reader can click."""
    url = str(value or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else None


def _examples(payload: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    found = payload.get("examples") or []
    return [e for e in found if isinstance(e, Mapping)]


def example_line(example: Mapping[str, Any]) -> str:
    """``community · date`` (where the mention lives, by the name people know it by, and
    when it was written)."""
    where = example.get("community_name") or example.get("community") or example.get("source") or ""
    when = str(example.get("created_at") or "")[:16].replace("T", " ")
    return " · ".join(p for p in (str(where), f"{when} UTC" if when else "") if p)


def _digest_text(payload: Mapping[str, Any]) -> list[str]:
    lines = [str(payload.get("title", "")), "", str(payload.get("summary", "")), ""]
    for row in payload.get("brands", []):
        lines.append(
            f"{row['brand']}: {row['mentions']} mentions (previous 24 h: {row['previous_mentions']}), "
            f"NSS {_fmt(row.get('nss'))} (previous: {_fmt(row.get('previous_nss'))})"
        )
    alerts = payload.get("alerts", [])
    lines += ["", f"Alerts in the last 24 h: {len(alerts)}"]
    for a in alerts:
        states = ", ".join(f"{ch}: {st}" for ch, st in sorted(a.get("deliveries", {}).items()))
        lines.append(
            f"- {a['fired_at'][:16].replace('T', ' ')} {a['title']}"
            + (f" ({states})" if states else "")
        )
    lines += ["", f"Open Grapevine: {payload.get('link', '')}"]
    return lines


def _fmt(value: Any) -> str:
    return "—" if value is None else f"{float(value):+.0f}"


def text_body(payload: Mapping[str, Any]) -> str:
    """The plain-text part: title, key figure, summary, examples, link."""
    if payload.get("kind") == "digest":
        return "\n".join(_digest_text(payload)) + "\n"
    figure = payload.get("figure") or {}
    lines = [
        str(payload.get("title", "")),
        "",
        f"{figure.get('label', '')}: {figure.get('value', '')}",
        "",
        str(payload.get("summary", "")),
    ]
    shown = _examples(payload)
    if shown:
        lines += ["", "Examples:"]
        for e in shown:
            lines.append(f"- {e.get('text', '')}")
            lines.append(f"  {example_line(e)}" + (f" {e['url']}" if e.get("url") else ""))
    lines += ["", f"Open Grapevine: {payload.get('link', '')}"]
    return "\n".join(lines) + "\n"


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _digest_html(payload: Mapping[str, Any]) -> str:
    rows = "".join(
        f"<tr><td>{_e(r['brand'])}</td><td>{_e(r['mentions'])}</td>"
        f"<td>{_e(r['previous_mentions'])}</td><td>{_e(_fmt(r.get('nss')))}</td>"
        f"<td>{_e(_fmt(r.get('previous_nss')))}</td></tr>"
        for r in payload.get("brands", [])
    )
    items = "".join(
        f"<li>{_e(a['fired_at'][:16].replace('T', ' '))} {_e(a['title'])}</li>"
        for a in payload.get("alerts", [])
    )
    return (
        f"<h2>{_e(payload.get('title', ''))}</h2><p>{_e(payload.get('summary', ''))}</p>"
        "<table border='1' cellpadding='4' cellspacing='0'><tr><th>Brand</th><th>Mentions (24 h)</th>"
        f"<th>Previous 24 h</th><th>NSS</th><th>Previous NSS</th></tr>{rows}</table>"
        f"<h3>Alerts in the last 24 h: {len(payload.get('alerts', []))}</h3><ul>{items}</ul>"
        + _open_link(payload)
    )


def _open_link(payload: Mapping[str, Any]) -> str:
    link = safe_url(payload.get("link"))
    return f"<p><a href='{_e(link)}'>Open Grapevine</a></p>" if link else ""


def html_body(payload: Mapping[str, Any]) -> str:
    """The HTML part: the same content as :func:`text_body`, escaped."""
    if payload.get("kind") == "digest":
        inner = _digest_html(payload)
    else:
        figure = payload.get("figure") or {}
        examples = "".join(
            f"<li><blockquote>{_e(e.get('text', ''))}</blockquote>"
            + (
                f"<a href='{_e(safe_url(e.get('url')))}'>{_e(example_line(e))}</a>"
                if safe_url(e.get("url"))
                else _e(example_line(e))
            )
            + "</li>"
            for e in _examples(payload)
        )
        inner = (
            f"<h2>{_e(payload.get('title', ''))}</h2>"
            f"<p style='font-size:20px'><strong>{_e(figure.get('value', ''))}</strong> "
            f"{_e(figure.get('label', ''))}</p>"
            f"<p>{_e(payload.get('summary', ''))}</p>"
            + (f"<h3>Examples</h3><ul>{examples}</ul>" if examples else "")
            + _open_link(payload)
        )
    return f"<!doctype html><html><body style='font-family:sans-serif'>{inner}</body></html>"
