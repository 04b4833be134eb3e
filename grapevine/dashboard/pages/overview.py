"""Overview: how much the brand is talked about, how warmly, and against its competitors."""

from __future__ import annotations

import pandas as pd
import streamlit as st

import scoring
from grapevine.dashboard import charts, scores
from grapevine.dashboard.format import number, signed
from grapevine.dashboard.sidebar import Context, current_context, require_filters
from grapevine.dashboard.widgets import empty_period, kpi, plain

__all__ = ["render"]


def _sov_tile(where: object, result: scoring.BrandOverview) -> None:
    share = result.share_of_voice.get(result.brand)
    before = result.previous_share_of_voice.get(result.brand)
    kpi(
        where,
        "Share of voice",
        scoring.Comparison.points(share, before),
        digits=1,
        suffix=" %",
        help="Brand mentions / mentions of the brand and its competitors × 100.",
    )


def _sentiment_frame(result: scoring.BrandOverview) -> pd.DataFrame:
    """The overview's sentiment series as tidy rows; "unlabelled" only when there are some."""
    names = ["negative", "neutral", "positive"]
    if any(p.unlabelled for p in result.sentiment):
        names.append("unlabelled")
    return pd.DataFrame(
        [
            {"period": p.bucket, "sentiment": name, "mentions": getattr(p, name)}
            for p in result.sentiment
            for name in names
        ],
        columns=["period", "sentiment", "mentions"],
    )


def render(ctx: Context) -> None:
    st.header("Overview")
    filters = require_filters(ctx)
    st.caption(plain(filters.describe()))
    result = scores.overview(ctx.url, scores.config_key(ctx.settings), ctx.settings, filters)
    if not result.total.current:
        empty_period("mentions")
        return
    tiles = st.columns(4)
    kpi(tiles[0], "Mentions", result.total, help="Brand-query mentions in the period.")
    polar = sum(p.positive + p.negative for p in result.sentiment)
    kpi(
        tiles[1],
        "Net sentiment score",
        result.nss,
        help="(positive − negative) / (positive + negative) × 100; neutral does not count.",
        sample=polar,
        sample_of="polar mentions",
    )
    if len(result.mentions_by_brand) > 1:
        _sov_tile(tiles[2], result)
    else:
        tiles[2].metric(
            "Share of voice",
            "—",
            help="Add `competitors = [...]` to the brand in the configuration to compare.",
        )
    tiles[3].metric(
        "Sources",
        len(result.engagement),
        help="Sources with mentions in the period (engagement is never summed across them).",
    )

    left, right = st.columns([3, 2])
    with left:
        st.subheader("Volume and sentiment")
        frame = _sentiment_frame(result)
        frame["period"] = pd.to_datetime(frame["period"])
        st.altair_chart(
            charts.sentiment_area(frame, unit="week" if result.granularity == "week" else None),
            width="stretch",
        )
        if not any(p.negative or p.neutral or p.positive for p in result.sentiment):
            st.info("No labelled mentions yet: run `grapevine label`.")
        st.caption(
            f"{number(result.total.current)} mentions this period against "
            f"{number(result.total.previous)} in the previous "
            f"{filters.days} days ({signed(result.total.change, 0, ' %') or 'no change to show'})."
        )
    with right:
        st.subheader("Share of voice")
        if len(result.share_of_voice) > 1:
            sov = pd.DataFrame(
                [
                    {"brand": name, "share": share, "mentions": result.mentions_by_brand[name]}
                    for name, share in result.share_of_voice.items()
                ]
            )
            st.altair_chart(
                charts.bars(
                    sov,
                    category="brand",
                    value="share",
                    value_title="Share of voice (%)",
                    value_format=".0f",
                ),
                width="stretch",
            )
        else:
            st.info(
                "No competitors to compare with: list them under `competitors` for this "
                "brand in the configuration."
            )

    left, right = st.columns(2)
    with left:
        st.subheader("Sources")
        src = pd.DataFrame(
            [
                {
                    "Source": s.source,
                    "Mentions": s.mentions,
                    "Previous period": s.previous_mentions,
                    "Engagement": s.engagement,
                    "Mean engagement": s.mean_engagement,
                }
                for s in result.engagement
            ]
        )
        st.altair_chart(
            charts.bars(src, category="Source", value="Mentions", value_title="Mentions"),
            width="stretch",
        )
        st.dataframe(
            src,
            hide_index=True,
            width="stretch",
            column_config={
                "Source": st.column_config.TextColumn(width="small"),
                "Mentions": st.column_config.NumberColumn(format="localized", width="small"),
                "Previous period": st.column_config.NumberColumn(
                    "Before", format="localized", width="small", help="The previous period."
                ),
                "Engagement": st.column_config.NumberColumn(format="localized", width="small"),
                "Mean engagement": st.column_config.NumberColumn(
                    "Mean", format="%.1f", width="small", help="Mean engagement per mention."
                ),
            },
        )
    with right:
        st.subheader("Languages")
        lang = pd.DataFrame(
            [
                {
                    "Language": x.language,
                    "Mentions": x.count,
                    "Share": x.share_pct,
                    "Previous period": x.previous_count,
                }
                for x in result.languages
            ]
        )
        st.altair_chart(
            charts.bars(
                lang,
                category="Language",
                value="Share",
                value_title="Share (%)",
                value_format=".0f",
            ),
            width="stretch",
        )


if __name__ == "__main__":
    render(current_context())
