"""The Word-of-mouth page's "Who amplifies" section: the advocates and detractors with the
most reach (:func:`scoring.reach.author_reach`, defined in docs/metrics.md)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from config import Settings
from grapevine.dashboard import cached, scores
from grapevine.dashboard.filters import Filters
from grapevine.dashboard.sidebar import Context
from scoring.reach import AuthorReach, ReachLeaders, author_reach

__all__ = ["render_reach"]


@st.cache_data(ttl=cached.TTL, show_spinner="Weighing reach…")
def _leaders(url: str, key: str, _settings: Settings, filters: Filters) -> ReachLeaders:
    return author_reach(
        cached.engine(url),
        _settings,
        filters.brand,
        scores.period(filters),
        filters=scores.mention_filters(filters),
    )


def _frame(rows: tuple[AuthorReach, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Author": r.author,
                "Source": r.source,
                "Reach": r.reach,
                "Basis": r.basis,
                "Positive": r.positive,
                "Negative": r.negative,
                "Mentions": r.mentions,
            }
            for r in rows
        ],
        columns=["Author", "Source", "Reach", "Basis", "Positive", "Negative", "Mentions"],
    )


def render_reach(ctx: Context, filters: Filters) -> None:
    st.subheader("Who amplifies")
    st.caption(
        "Authors whose organic mentions lean positive (advocates) or negative (detractors), "
        "by reach: their followers where the source reports them, else the engagement their "
        "mentions received — different units, so the basis is shown (docs/metrics.md)."
    )
    leaders = _leaders(ctx.url, scores.config_key(ctx.settings), ctx.settings, filters)
    left, right = st.columns(2)
    for column, title, rows in (
        (left, "Advocates by reach", leaders.advocates),
        (right, "Detractors by reach", leaders.detractors),
    ):
        column.markdown(f"**{title}**")
        if rows:
            column.dataframe(_frame(rows), hide_index=True, width="stretch")
        else:
            column.caption("Nobody in the period.")
