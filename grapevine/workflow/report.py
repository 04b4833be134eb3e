"""The brand report for people who never open the dashboard: one self-contained HTML page.

Key figures with their change against the previous period of equal length, the daily
volume split by sentiment, share of voice, the top complaints with their triage status,
and the community hotspots — every number from :mod:`scoring` (so it matches the
dashboard, corrections included), every chart an Altair chart rendered to PNG offline by
``vl-convert`` and inlined, so the file opens anywhere with no network. The e-mail carries
the same page with the images as related parts (``cid:``), which mail clients show.

Text written by other people (complaints, community names) is HTML-escaped.
"""

from __future__ import annotations

import base64
import dataclasses
import html
from collections.abc import Callable
from datetime import datetime, timedelta

import altair as alt
import pandas as pd

from config import Settings
from grapevine.alerts.links import mentions_link
from grapevine.dashboard.filters import Filters
from grapevine.dashboard.queries import MentionQuery
from grapevine.dashboard.worklist import NO_TRIAGE_FILTER, WorkRow, search_work
from scoring import (
    BrandOverview,
    Comparison,
    ComplaintBehaviour,
    Hotspot,
    Period,
    brand_overview,
    community_hotspots,
    complaint_behaviour,
)
from storage import Store

__all__ = ["Report", "ReportChart", "build_report", "render_png"]

TOP_COMPLAINTS = 10
TOP_HOTSPOTS = 5
_SENTIMENT_COLOURS = {"negative": "#d62728", "neutral": "#9e9e9e", "positive": "#2ca02c"}


@dataclasses.dataclass(frozen=True)
class ReportChart:
    cid: str
    alt_text: str
    png: bytes

    @property
    def content_id(self) -> str:
        """The image's Content-ID in the e-mail (without the angle brackets)."""
        return f"{self.cid}@grapevine"


@dataclasses.dataclass(frozen=True)
class Report:
    brand: str
    period: Period
    title: str
    text: str  # the plain-text summary (the e-mail's text part)
    body: str  # the HTML with ``{cid}`` placeholders where the charts go
    charts: tuple[ReportChart, ...]

    def html(self) -> str:
        """The self-contained file: charts as ``data:`` URIs."""
        return self._page(
            {
                c.cid: f"data:image/png;base64,{base64.b64encode(c.png).decode()}"
                for c in self.charts
            }
        )

    def email_html(self) -> str:
        """For e-mail: charts as ``cid:`` references to related parts."""
        return self._page({c.cid: f"cid:{c.content_id}" for c in self.charts})

    def _page(self, sources: dict[str, str]) -> str:
        body = self.body
        for cid, src in sources.items():
            body = body.replace(f"{{{{chart:{cid}}}}}", src)
        return (
            '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title>"
            "<style>body{font-family:system-ui,sans-serif;max-width:860px;margin:2em auto;"
            "color:#222}table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}"
            "th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;"
            "vertical-align:top}td.n{text-align:right}img{max-width:100%}"
            ".up{color:#2ca02c}.down{color:#d62728}small{color:#666}</style></head>"
            f"<body>{body}</body></html>\n"
        )


def render_png(chart: alt.Chart | alt.LayerChart) -> bytes:
    """An Altair chart as PNG, rendered offline (no browser, no network)."""
    import vl_convert as vlc  # a native module: loaded only when a report is made

    return bytes(vlc.vegalite_to_png(chart.to_json(), scale=2))


def _fmt(value: float | None, digits: int = 0, suffix: str = "") -> str:
    return "—" if value is None else f"{value:,.{digits}f}{suffix}"


def _change(c: Comparison, *, lower_is_better: bool = False) -> str:
    if c.change is None:
        return "<small>no previous figure</small>"
    sign = "+" if c.change > 0 else ""
    good = (c.change < 0) if lower_is_better else (c.change > 0)
    css = "" if c.change == 0 else (' class="up"' if good else ' class="down"')
    unit = " %" if c.unit == "%" else " pts"
    return f"<span{css}>{sign}{c.change:.1f}{unit}</span> <small>vs {_fmt(c.previous, 1)}</small>"


def _volume_chart(overview: BrandOverview) -> alt.Chart | None:
    rows = [
        {"day": pd.Timestamp(p.bucket), "sentiment": name, "mentions": getattr(p, name)}
        for p in overview.sentiment
        for name in ("negative", "neutral", "positive")
    ]
    frame = pd.DataFrame(rows, columns=["day", "sentiment", "mentions"])
    if frame.empty or not frame["mentions"].any():
        return None
    colours = alt.Scale(domain=list(_SENTIMENT_COLOURS), range=list(_SENTIMENT_COLOURS.values()))
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("day:T", title=None, timeUnit="yearmonthdate"),
            y=alt.Y("sum(mentions):Q", title="Mentions per day"),
            color=alt.Color("sentiment:N", scale=colours, title="Sentiment"),
        )
        .properties(width=720, height=240)
    )
    return chart


def _sov_chart(overview: BrandOverview) -> alt.Chart | None:
    frame = pd.DataFrame(
        [{"brand": b, "share": s} for b, s in overview.share_of_voice.items()],
        columns=["brand", "share"],
    )
    if frame.empty:
        return None
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("share:Q", title="Share of voice (%)"),
            y=alt.Y("brand:N", sort="-x", title=None),
            color=alt.condition(
                alt.datum.brand == overview.brand, alt.value("#1f77b4"), alt.value("#bbbbbb")
            ),
        )
        .properties(width=720, height=max(60, 28 * len(frame)))
    )
    return chart


def _figures(o: BrandOverview, c: ComplaintBehaviour) -> tuple[str, list[str]]:
    rows = [
        ("Mentions", _fmt(o.total.current), _change(o.total)),
        ("Net sentiment score", _fmt(o.nss.current, 0), _change(o.nss)),
        ("Complaints", _fmt(c.complaints.current), _change(c.complaints, lower_is_better=True)),
        (
            "Complaint rate",
            _fmt(c.rate_pct.current, 1, " %"),
            _change(c.rate_pct, lower_is_better=True),
        ),
        ("Response rate", _fmt(c.response_rate_pct, 0, " %"), ""),
        (
            "Share of voice",
            _fmt(o.share_of_voice.get(o.brand), 1, " %"),
            _change(
                Comparison.points(
                    o.share_of_voice.get(o.brand), o.previous_share_of_voice.get(o.brand)
                )
            ),
        ),
    ]
    table = "".join(f"<tr><th>{k}</th><td class=n>{v}</td><td>{d}</td></tr>" for k, v, d in rows)
    text = [f"{k}: {v}" for k, v, _ in rows]
    return f"<table>{table}</table>", text


def _complaints_table(rows: list[WorkRow]) -> str:
    if not rows:
        return "<p>No complaints in the period.</p>"
    cells = "".join(
        "<tr>"
        f"<td>{html.escape(r.status)}</td>"
        f"<td>{html.escape(r.assignee or '—')}</td>"
        f"<td class=n>{r.engagement:,}</td>"
        f"<td>{r.created_at:%d %b}</td>"
        f"<td>{html.escape(r.source)}</td>"
        f"<td>{html.escape(' '.join(r.text.split())[:240])}</td>"
        "</tr>"
        for r in rows
    )
    return (
        "<table><tr><th>Status</th><th>Assigned</th><th>Engagement</th><th>When</th>"
        f"<th>Source</th><th>Complaint</th></tr>{cells}</table>"
    )


def _hotspots_table(hotspots: tuple[Hotspot, ...]) -> str:
    if not hotspots:
        return "<p>No communities with mentions in the period.</p>"
    cells = "".join(
        "<tr>"
        f"<td>{html.escape(h.community)}</td>"
        f"<td class=n>{h.score:.2f}</td>"
        f"<td>{html.escape(h.recommendation)}</td>"
        f"<td>{html.escape(', '.join(h.top_factors) or '—')}</td>"
        f"<td class=n>{h.mentions:,}</td>"
        "</tr>"
        for h in hotspots
    )
    return (
        "<table><tr><th>Community</th><th>Score</th><th>Recommendation</th>"
        f"<th>Why</th><th>Mentions</th></tr>{cells}</table>"
    )


def build_report(
    store: Store,
    settings: Settings,
    brand: str,
    *,
    end: datetime,
    length: timedelta = timedelta(days=7),
    render: Callable[[alt.Chart], bytes] = render_png,
) -> Report:
    """The report on ``brand`` for the ``length`` ending at ``end`` (whole UTC days: the
    period ends with the day before ``end``'s, or ``end`` itself at midnight)."""
    name = settings.brand(brand).name
    days = max(1, round(length / timedelta(days=1)))
    last = (end - timedelta(microseconds=1)).date()
    first = last - timedelta(days=days - 1)
    period = Period.days(first, last)
    model_version = settings.alerts.model_version
    overview = brand_overview(store.engine, settings, name, period, model_version=model_version)
    complaints = complaint_behaviour(
        store.engine, settings, name, period, model_version=model_version
    )
    hotspots = community_hotspots(
        store.engine, settings, name, period, model_version=model_version, limit=TOP_HOTSPOTS
    )
    query = MentionQuery(
        filters=Filters(name, first, last),
        complaint="complaints",
        complaint_threshold=settings.scoring.complaint_threshold,
        model_version=model_version,
        own_communities=tuple(settings.brand(name).own_communities),
    )
    with store.engine.connect() as conn:
        top = search_work(
            conn, query, NO_TRIAGE_FILTER, settings.scoring, limit=TOP_COMPLAINTS, queue_for=name
        )
    charts: list[ReportChart] = []
    sections: list[str] = []
    title = f"{name}: {first:%d %b} – {last:%d %b %Y}"
    figures, text_lines = _figures(overview, complaints)
    dashboard = settings.alerts.dashboard_url
    sections.append(f"<h1>{html.escape(title)}</h1>")
    sections.append(
        f"<p><small>{days} days against the {days} before; figures as on the dashboard "
        f'(people\'s corrected labels included). <a href="{html.escape(mentions_link(dashboard, name, first=first, last=last))}">'
        "Open these mentions</a>.</small></p>"
    )
    sections.append(f"<h2>Key figures</h2>{figures}")
    for cid, heading, alt_text, chart in (
        (
            "volume",
            "Volume and sentiment",
            "Mentions per day by sentiment",
            _volume_chart(overview),
        ),
        ("sov", "Share of voice", "Share of voice against competitors", _sov_chart(overview)),
    ):
        sections.append(f"<h2>{heading}</h2>")
        if chart is None:
            sections.append("<p>No mentions in the period.</p>")
            continue
        charts.append(ReportChart(cid, alt_text, render(chart)))
        sections.append(f'<img src="{{{{chart:{cid}}}}}" alt="{html.escape(alt_text)}">')
    queue_link = mentions_link(dashboard, name, first=first, last=last, page="complaints")
    sections.append(
        f"<h2>Top complaints</h2><p><small>In the order the queue works them: open first, "
        f'unanswered, most engaged. <a href="{html.escape(queue_link)}">Work the queue</a>.'
        f"</small></p>{_complaints_table(top)}"
    )
    sections.append(f"<h2>Community hotspots</h2>{_hotspots_table(hotspots)}")
    open_count = sum(1 for r in top if r.status in ("new", "in progress"))
    text = "\n".join(
        [
            title,
            "",
            *text_lines,
            f"Top complaints still open: {open_count} of {len(top)}",
            f"Hotspots: {', '.join(h.community for h in hotspots) or '—'}",
            "",
            f"Dashboard: {mentions_link(dashboard, name, first=first, last=last)}",
        ]
    )
    return Report(name, period, title, text, "\n".join(sections), tuple(charts))
