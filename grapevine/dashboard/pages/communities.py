"""Communities: where the brand's customers gather, and whether to join the conversation."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

import scoring
from grapevine.dashboard import charts, scores
from grapevine.dashboard.sidebar import Context, current_context, require_filters
from grapevine.dashboard.widgets import community_namer, plain

__all__ = ["render"]

_SCATTER_TOP = 30
_SCATTER_LABELS = 6

_FACTOR_NAMES = {
    "relevance": "Relevance",
    "growth": "Growth",
    "depth": "Depth",
    "quality": "Quality",
    "nss": "Openness",
    "opportunity": "Opportunity",
    "presence": "Presence",
}


def _factor(h: scoring.Hotspot, name: str) -> scoring.HotspotFactor | None:
    return next((f for f in h.factors if f.name == name), None)


def _why(h: scoring.Hotspot) -> str:
    return ", ".join(_FACTOR_NAMES.get(n, n).lower() for n in h.top_factors)


def _ranking(
    hotspots: tuple[scoring.Hotspot, ...], community: Callable[[str | None], str] = str
) -> pd.DataFrame:
    rows = []
    for rank, h in enumerate(hotspots, start=1):
        row: dict[str, object] = {
            "Rank": rank,
            "Community": community(h.community),
            "Score": h.score,
            "Recommendation": h.recommendation,
            "Why": _why(h),
            "Mentions": h.mentions,
        }
        for name, title in _FACTOR_NAMES.items():
            f = _factor(h, name)
            row[title] = None if f is None else f.normalised
        rows.append(row)
    return pd.DataFrame(rows)


def render(ctx: Context) -> None:
    st.header("Communities")
    filters = require_filters(ctx)
    st.caption(plain(filters.describe()) + " · brand, competitor and category talk per community")
    hotspots = scores.hotspots(ctx.url, scores.config_key(ctx.settings), ctx.settings, filters)
    if not hotspots:
        st.info(
            "No community has enough mentions in this period to rank. Widen the period, add "
            "a `category_query` to the brand (what its customers talk about without naming "
            "anyone), or lower `hotspot_min_mentions` under `[scoring]` in the configuration."
        )
        return
    joins = sum(1 for h in hotspots if h.recommendation == "join")
    st.markdown(
        f"**{len(hotspots)}** communities ranked · **{joins}** worth joining · the score "
        "weighs each factor normalised across communities (weights under "
        "`[scoring.hotspot_weights]`)."
    )
    factor_columns = {
        title: st.column_config.ProgressColumn(
            title,
            min_value=0.0,
            max_value=1.0,
            format="%.2f",
            width="small",
            color="blue",
            help="This factor normalised across the ranked communities (0 to 1).",
        )
        for title in _FACTOR_NAMES.values()
    }
    name = community_namer(ctx)
    st.dataframe(
        _ranking(hotspots, name),
        hide_index=True,
        width="stretch",
        column_config={
            "Rank": st.column_config.NumberColumn(width="small"),
            "Community": st.column_config.TextColumn(width="medium"),
            "Score": st.column_config.NumberColumn(format="%.2f", width="small"),
            "Why": st.column_config.TextColumn(width="medium"),
            "Mentions": st.column_config.NumberColumn(format="localized", width="small"),
            **factor_columns,
        },
    )

    st.subheader("Relevance against sentiment")
    shown = hotspots[:_SCATTER_TOP]
    points = pd.DataFrame(
        [
            {
                "community": name(h.community),
                "relevance": (_factor(h, "relevance") or _NONE).normalised,
                "nss": (_factor(h, "nss") or _NONE).value,
                "mentions": h.mentions,
                "recommendation": h.recommendation,
                "label": name(h.community) if rank < _SCATTER_LABELS else "",
            }
            for rank, h in enumerate(shown)
        ]
    ).dropna(subset=["relevance", "nss"])
    if len(hotspots) > len(shown):
        st.caption(
            f"The top {len(shown)} communities by score; the highest ranked are named where "
            "their labels fit, every point names its community on hover."
        )
    if points.empty:
        st.caption("No community has both labelled sentiment and a relevance yet.")
    else:
        st.altair_chart(charts.hotspot_scatter(points), width="stretch")
    st.subheader("Why this score")
    left, right = st.columns([1, 2])
    names = [h.community for h in hotspots]
    chosen = left.selectbox("Community", names, key="hotspot_community", format_func=name)
    with right:
        h = hotspots[names.index(chosen)] if chosen in names else hotspots[0]
        contributions = pd.DataFrame(
            [
                {"Factor": _FACTOR_NAMES.get(f.name, f.name), "Contribution": f.contribution}
                for f in h.factors
            ]
        )
        st.altair_chart(
            charts.bars(
                contributions,
                category="Factor",
                value="Contribution",
                value_title="Contribution to the score",
                value_format=".2f",
                sort=False,
            ),
            width="stretch",
        )
    left.markdown(f"**Recommendation: {h.recommendation}** (score {h.score:.2f})")
    if h.top_factors:
        left.caption(f"Driven by {_why(h)}.")


_NONE = scoring.HotspotFactor(name="", value=None, normalised=None, contribution=0.0)


if __name__ == "__main__":
    render(current_context())
