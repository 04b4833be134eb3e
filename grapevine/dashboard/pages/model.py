"""Model: how often the classifier agrees with the labels people set (Mentions and
Complaints pages) — per label, source and language, with counts. The same figures as
``grapevine evaluate`` (:func:`scoring.corrections.model_agreement`)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from grapevine.dashboard import cached
from grapevine.dashboard.sidebar import Context, current_context
from scoring.corrections import FIELDS, AgreementRow, ModelAgreement, model_agreement

__all__ = ["render"]

_BY = {"label": "By the people's label", "source": "By source", "language": "By language"}


@st.cache_data(ttl=timedelta(minutes=5), show_spinner=False)
def _agreement(url: str, version: str | None, threshold: float) -> ModelAgreement:
    with cached.engine(url).connect() as conn:
        return model_agreement(conn, version, threshold)


def _frame(rows: list[AgreementRow]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Group": r.key,
                "Reviewed": r.reviewed,
                "Model agreed": r.agreed,
                "Agreement": r.agreement_pct,
            }
            for r in rows
        ],
        columns=["Group", "Reviewed", "Model agreed", "Agreement"],
    )


def render(ctx: Context) -> None:
    st.header("Model")
    version = cached.current_model_version(ctx.url)
    found = _agreement(ctx.url, version, ctx.settings.scoring.complaint_threshold)
    st.caption(
        f"The classifier `{version or '—'}` against the labels people set on the Mentions "
        "and Complaints pages, over the whole store (this page ignores the sidebar). People "
        "review the mentions they choose — often the doubtful ones — so read this as a live "
        "estimate on your own data, not as a test score. `grapevine evaluate` prints the same."
    )
    if not found.corrections:
        st.info(
            "Nobody has reviewed a label yet. Editors select a mention on the Mentions or "
            "Complaints page and save its labels; each one is counted here."
        )
        return
    tiles = st.columns(len(FIELDS) + 1)
    tiles[0].metric("Reviewed mentions", f"{found.corrections:,}")
    for tile, field in zip(tiles[1:], FIELDS, strict=True):
        overall = found.overall(field)
        value = "—" if overall.agreement_pct is None else f"{overall.agreement_pct:.0f} %"
        tile.metric(
            f"{field.capitalize()} agreement",
            value,
            help=f"Of {overall.reviewed:,} reviewed, the model gave the same label to "
            f"{overall.agreed:,}.",
        )
    if found.unlabelled:
        st.caption(f"{found.unlabelled:,} reviewed mentions have no label from this model yet.")
    for field in FIELDS:
        st.subheader(field.capitalize())
        if not found.overall(field).reviewed:
            st.caption(f"No {field} reviewed yet.")
            continue
        for column, by in zip(st.columns(len(_BY)), _BY, strict=True):
            column.markdown(f"**{_BY[by]}**")
            column.dataframe(
                _frame(found.table(field, by)),
                hide_index=True,
                width="stretch",
                column_config={
                    "Agreement": st.column_config.NumberColumn(format="%.0f %%"),
                },
            )


if __name__ == "__main__":
    render(current_context())
