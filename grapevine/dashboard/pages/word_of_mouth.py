"""Word of mouth: what customers say to each other, without the brand's own posts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from grapevine.dashboard import charts, scores
from grapevine.dashboard.amplifiers import render_reach
from grapevine.dashboard.format import number, signed
from grapevine.dashboard.pages.mentions import safe_link
from grapevine.dashboard.sidebar import Context, current_context, require_filters
from grapevine.dashboard.widgets import community_namer, empty_period, kpi, plain

__all__ = ["render"]


def _people(rows: list[dict[str, object]], empty: str) -> None:
    if not rows:
        st.caption(empty)
        return
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def render(ctx: Context) -> None:
    st.header("Word of mouth")
    filters = require_filters(ctx)
    st.caption(
        plain(filters.describe()) + " · organic mentions only (not by the brand's own accounts)"
    )
    key = scores.config_key(ctx.settings)
    wom = scores.word_of_mouth(ctx.url, key, ctx.settings, filters)
    if not wom.organic.current:
        empty_period("organic mentions")
        return
    tiles = st.columns(4)
    kpi(
        tiles[0],
        "Organic mentions",
        wom.organic,
        help="Brand mentions not authored by the brand's own accounts. The change is the "
        "velocity against the previous period of equal length.",
    )
    kpi(
        tiles[1],
        "WOM balance",
        wom.balance,
        help="Net sentiment score of organic mentions.",
        sample=int(wom.organic.current or 0),
        sample_of="organic mentions",
    )
    least = ctx.settings.scoring.advocate_min_mentions
    tiles[2].metric(
        "Advocates",
        number(wom.advocate_count),
        help=f"Authors with at least {least} positive organic mentions in the period.",
    )
    tiles[3].metric(
        "Detractors",
        number(wom.detractor_count),
        help=f"Authors with at least {least} negative organic mentions in the period.",
    )

    st.subheader("Organic trend")
    daily = pd.DataFrame([{"period": p.bucket, "mentions": p.count} for p in wom.daily])
    daily["period"] = pd.to_datetime(daily["period"])
    st.altair_chart(
        charts.lines(daily, y="mentions", y_title="Organic mentions per day", counts=True),
        width="stretch",
    )
    if wom.trend_per_day is not None:
        st.caption(f"Trend: {wom.trend_per_day:+.2f} organic mentions per day, day over day.")

    community = community_namer(ctx)
    left, right = st.columns(2)
    with left:
        st.subheader("Top advocates")
        _people(
            [
                {
                    "Author": a.author,
                    "Positive mentions": a.count,
                    "Organic mentions": a.organic_mentions,
                    "Communities": ", ".join(community(c) for c in a.communities),
                }
                for a in wom.advocates
            ],
            "No advocates yet: nobody wrote two or more positive organic mentions.",
        )
    with right:
        st.subheader("Top detractors")
        _people(
            [
                {
                    "Author": a.author,
                    "Negative mentions": a.count,
                    "Organic mentions": a.organic_mentions,
                    "Communities": ", ".join(community(c) for c in a.communities),
                }
                for a in wom.detractors
            ],
            "No detractors: nobody wrote two or more negative organic mentions.",
        )

    st.subheader("Amplification")
    st.caption("Engagement organic mentions received, per source (never summed across sources).")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Source": a.source,
                    "Organic mentions": a.mentions,
                    "Engagement": a.engagement,
                    "Mean engagement": a.mean_engagement,
                    "Previous period": a.previous_engagement,
                    "Change": signed(a.change_pct, 0, " %") or "—",
                }
                for a in wom.amplification
            ]
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "Organic mentions": st.column_config.NumberColumn(format="localized"),
            "Engagement": st.column_config.NumberColumn(format="localized"),
            "Mean engagement": st.column_config.NumberColumn(format="%.1f"),
            "Previous period": st.column_config.NumberColumn(format="localized"),
            "Change": st.column_config.TextColumn(
                help="Engagement against the previous period; — when it had none."
            ),
        },
    )

    st.subheader("Most amplified mentions")
    st.caption(
        "Organic mentions that received the most engagement, counted in each one's own "
        "source's units (compare within a source)."
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Engagement": m.engagement,
                    "Source": m.source,
                    "Community": community(m.community),
                    "Author": m.author or "—",
                    "When": m.created_at,
                    "Mention": (f"{m.title} — {m.text}" if m.title else m.text)[:300],
                    "Link": safe_link(m.url),
                }
                for m in wom.top_amplified
            ],
            columns=["Engagement", "Source", "Community", "Author", "When", "Mention", "Link"],
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "When": st.column_config.DatetimeColumn(format="YYYY-MM-DD"),
            "Mention": st.column_config.TextColumn(width="large"),
            "Link": st.column_config.LinkColumn(display_text="open ↗", width="small"),
        },
    )
    render_reach(ctx, filters)  # who amplifies: advocates and detractors by reach


if __name__ == "__main__":
    render(current_context())
