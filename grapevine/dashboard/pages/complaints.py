"""Complaints: how often customers complain, to whom, about what, and who is still waiting.

Complaint texts are customers' words: they are shown in data grids and with ``st.text``,
never as Markdown or HTML.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from grapevine.dashboard import cached, charts, scores, triage
from grapevine.dashboard.format import number
from grapevine.dashboard.pages.mentions import safe_link
from grapevine.dashboard.sidebar import Context, current_context, require_filters
from grapevine.dashboard.widgets import SMALL_SAMPLE, community_namer, empty_period, kpi, plain

__all__ = ["render"]

_CHANNEL_NAMES = {"company": "to the company", "peers": "to peers"}


def render(ctx: Context) -> None:
    st.header("Complaints")
    filters = require_filters(ctx)
    st.caption(plain(filters.describe()))
    key = scores.config_key(ctx.settings)
    result = scores.complaints(ctx.url, key, ctx.settings, filters)
    if not result.complaints.current and not result.complaints.previous:
        empty_period("complaints")
        return
    tiles = st.columns(4)
    kpi(
        tiles[0],
        "Complaints",
        result.complaints,
        lower_is_better=True,
        help="Organic mentions the classifier judges to call for a remedy.",
    )
    kpi(
        tiles[1],
        "Complaint rate",
        result.rate_pct,
        digits=1,
        suffix=" %",
        lower_is_better=True,
        help="Complaints / organic mentions × 100.",
        sample=sum(p.organic for p in result.rate_series),
        sample_of="organic mentions",
    )
    tiles[2].metric(
        "Response rate",
        number(result.response_rate_pct, 0, " %"),
        help="Complaints that got a reply from one of the brand's own accounts.",
    )
    answered_of = int(result.complaints.current or 0)
    if result.response_rate_pct is not None and answered_of < SMALL_SAMPLE:
        tiles[2].caption(f"Response rate from {answered_of:,} complaints: a small sample.")
    tiles[3].metric(
        "Median time to first reply",
        number(result.median_first_reply_hours, 1, " h"),
        help="From the complaint to the first reply by an own account.",
    )

    left, right = st.columns([3, 2])
    with left:
        st.subheader("Complaint rate over time")
        weeks = pd.DataFrame(
            [
                {
                    "period": p.bucket,
                    "complaints": p.complaints,
                    "organic": p.organic,
                    "rate": p.rate_pct,
                }
                for p in result.rate_series
                if p.rate_pct is not None
            ],
            columns=["period", "complaints", "organic", "rate"],
        )
        if weeks.empty:
            st.caption("No labelled organic mentions in the period.")
        else:
            weeks["period"] = pd.to_datetime(weeks["period"])
            st.altair_chart(
                charts.lines(
                    weeks,
                    y="rate",
                    y_title="Complaint rate (%) per week",
                    y_format=".0f",
                    unit="week",
                ),
                width="stretch",
            )
    with right:
        st.subheader("Channel")
        split = result.channel
        channel = pd.DataFrame(
            [
                {"Channel": "to the company", "Complaints": split.to_company},
                {"Channel": "to peers", "Complaints": split.to_peers},
            ]
        )
        st.altair_chart(
            charts.bars(
                channel,
                category="Channel",
                value="Complaints",
                value_title="Complaints",
                sort=False,
            ),
            width="stretch",
        )
        st.caption(
            "To the company: in the brand's own communities or addressed to its own accounts; "
            "to peers: everywhere else. Engaged customers complain to the company."
        )

    _topics(ctx, filters, key)
    triage.complaint_queue(ctx, filters)  # the work queue: status, assignee, tags, notes

    st.subheader(f"Unanswered complaints ({result.unanswered_total:,})")
    if not result.unanswered:
        st.success("Every complaint in the period has a reply from an own account.")
        return
    st.caption("Most engaged first; click a column to sort. No own account has replied yet.")
    community = community_namer(ctx)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Engagement": q.engagement,
                    "Complaint": q.complaint,
                    "When": q.created_at,
                    "Mention": q.text[:300],
                    "Channel": _CHANNEL_NAMES.get(q.channel, q.channel),
                    "Source": q.source,
                    "Community": community(q.community),
                    "Author": q.author or "—",
                    "Link": safe_link(q.url),
                }
                for q in result.unanswered
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "Engagement": st.column_config.NumberColumn(format="localized", width="small"),
            "Complaint": st.column_config.ProgressColumn(
                min_value=0.0, max_value=1.0, format="%.2f", width="small"
            ),
            "When": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
            "Mention": st.column_config.TextColumn(width="large"),
            "Link": st.column_config.LinkColumn(display_text="open ↗", width="small"),
        },
    )


def _topics(ctx: Context, filters: object, key: str) -> None:
    """Complaint topics embed the complaint texts (a few seconds on a CPU), so they are
    computed when asked for and then cached like every other figure."""
    from grapevine.dashboard.filters import Filters

    assert isinstance(filters, Filters)
    st.subheader("Complaint topics")
    if not st.toggle(
        "Group complaints into topics",
        key="complaint_topics",
        help="Embeds the period's complaints and clusters them (a few seconds).",
    ):
        st.caption("Switch on to see what people complain about, with examples.")
        return
    topics = scores.complaint_topics(ctx.url, key, ctx.settings, filters)
    if not topics:
        st.caption("Too few complaints in the period to group into topics.")
        return
    for topic in topics:
        title = ", ".join(topic.terms) or f"topic {topic.topic_id}"
        with st.expander(f"{plain(title)} — {topic.size:,} complaints ({topic.share_pct:.0f} %)"):
            for m in cached.mentions_by_id(ctx.url, tuple(topic.examples)):
                st.caption(
                    f"{plain(m.source)} · {plain(m.community or '')} · {m.created_at:%Y-%m-%d}"
                )
                st.text(m.text[:600])


if __name__ == "__main__":
    render(current_context())
