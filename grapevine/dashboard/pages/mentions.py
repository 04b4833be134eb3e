"""Mentions: find, read and download the mentions behind every figure.

Mention text is other people's writing. It is shown in a data grid and with ``st.text``,
both of which render text literally, never as Markdown or HTML: a mention that contains
``<script>`` shows those characters and runs nothing.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Callable

import pandas as pd
import streamlit as st

from grapevine.dashboard import cached, queries, scores, triage
from grapevine.dashboard.detail import MentionDetail, mention_detail
from grapevine.dashboard.sidebar import Context, current_context, require_filters
from grapevine.dashboard.widgets import community_namer, plain
from grapevine.export import (
    FORMATS,
    ExportBundle,
    ExportOptions,
    export_arguments,
    export_bundle,
)
from grapevine.export.pseudonym import MissingKeyError

__all__ = ["render"]

_ROLES = {
    "Brand mentions": "brand",
    "Category talk (brand not named)": "category",
    "Posted by the brand's own accounts": "own",
}
_SENTIMENTS = ["negative", "neutral", "positive"]
_QUALITIES = ["constructive", "ordinary", "low_effort", "spam", "toxic"]
_COMPLAINT = {"Any": "any", "Complaints only": "complaints", "No complaints": "not complaints"}
_PREVIEW_CHARS = 400
#: a grid row's height in pixels (Streamlit's default), to size the grid to its rows
_ROW_PX = 35
#: Above this the download is built by the CLI, which streams, not in the app's memory.
MAX_DOWNLOAD_ROWS = 200_000


def _preview(row: queries.MentionRow) -> str:
    text = f"{row.title} — {row.text}" if row.title else row.text
    text = " ".join(text.split())
    return text if len(text) <= _PREVIEW_CHARS else text[: _PREVIEW_CHARS - 1] + "…"


def safe_link(url: str | None) -> str | None:
    """Only http(s) links become clickable: a ``javascript:`` URL in a payload runs nothing."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return None


def _table(
    rows: list[queries.MentionRow], community: Callable[[str | None], str] = str
) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "When": r.created_at,
                "Source": r.source,
                "Community": community(r.community),
                "Author": r.author or "—",
                "Sentiment": r.sentiment or "unlabelled",
                "Complaint": r.complaint,
                "Quality": r.quality or "—",
                "Mention": _preview(r),
                "Link": safe_link(r.url),
            }
            for r in rows
        ],
        columns=[
            "When",
            "Mention",
            "Sentiment",
            "Complaint",
            "Quality",
            "Source",
            "Community",
            "Author",
            "Link",
        ],
    )


def _query(ctx: Context, complaint_threshold: float) -> queries.MentionQuery:
    filters = require_filters(ctx)
    text = st.text_input(
        "Search the text",
        key="mentions_text",
        placeholder="words that must all appear, e.g. refund app crash",
    )
    c1, c2, c3 = st.columns(3)
    roles = c1.multiselect("Show", list(_ROLES), default=["Brand mentions"], key="mentions_roles")
    sentiments = c2.multiselect(
        "Sentiment", _SENTIMENTS, key="mentions_sentiment", placeholder="Any sentiment"
    )
    qualities = c3.multiselect(
        "Quality", _QUALITIES, key="mentions_quality", placeholder="Any quality"
    )
    c4, c5 = st.columns([1, 2])
    complaint = c4.selectbox("Complaint", list(_COMPLAINT), key="mentions_complaint")
    communities = c5.multiselect(
        "Community",
        cached.communities(ctx.url, filters),
        key="mentions_community",
        placeholder="Any community",
        format_func=community_namer(ctx),
    )
    return queries.MentionQuery(
        filters=filters,
        text=text.strip(),
        roles=tuple(_ROLES[r] for r in roles) or ("brand",),
        sentiments=tuple(sentiments),
        qualities=tuple(qualities),
        complaint=_COMPLAINT[complaint],  # type: ignore[arg-type]
        complaint_threshold=complaint_threshold,
        communities=tuple(communities),
        model_version=cached.current_model_version(ctx.url),
        own_communities=tuple(ctx.settings.brand(filters.brand).own_communities),
    )


def render(ctx: Context) -> None:
    st.header("Mentions")
    filters = require_filters(ctx)
    st.caption(plain(filters.describe()))
    in_url = triage.mention_links(ctx, filters, _COMPLAINT)  # ?sentiment=…&q=… read in
    query = _query(ctx, scores.complaint_threshold(ctx.settings))
    # status, assignee, tag, an alert's ids; the URL written back
    work = triage.filter_controls(ctx, "mentions", also=in_url)
    total = triage.count(ctx, query, work)
    if total == 0:
        st.info(
            "No mention matches these filters. Widen the period or clear a filter in the "
            "sidebar; if the brand has no mentions at all, check its `query` in the "
            "configuration and run `grapevine collect`."
        )
        return
    size = ctx.app.page_size
    pages = max(1, math.ceil(total / size))
    if st.session_state.get("_mentions_query") != (query, work):
        st.session_state["_mentions_query"] = (query, work)
        st.session_state["mentions_page"] = 1
    top = st.columns([3, 1])
    page = int(
        top[1].number_input(
            f"Page (of {pages:,})", min_value=1, max_value=pages, step=1, key="mentions_page"
        )
    )
    first = (page - 1) * size
    rows, worked = triage.search(ctx, query, work, first, size)
    top[0].markdown(
        f"**{total:,}** mentions · showing {first + 1:,}–{first + len(rows):,}, newest first"
    )
    event = st.dataframe(
        triage.add_columns(_table(rows, community_namer(ctx)), worked),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="mentions_table",
        # every row of the page, no inner scrolling: the grid is as tall as its rows
        height=_ROW_PX * (len(rows) + 1) + 3,
        column_config={
            "When": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
            "Complaint": st.column_config.ProgressColumn(
                min_value=0.0, max_value=1.0, format="%.2f", width="small"
            ),
            "Mention": st.column_config.TextColumn(width="large"),
            "Link": st.column_config.LinkColumn(display_text="open ↗", width="small"),
        },
    )
    selected = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    if selected and selected[0] < len(rows):
        row = rows[selected[0]]
        _show_full(
            row,
            mention_detail(ctx.url, row.id, query.model_version),
            community_namer(ctx)(row.community),
        )
        triage.mention_panel(ctx, worked[selected[0]], prefix="mentions")
    else:
        st.caption("Select a row to read the mention in full.")
    triage.bulk_actions(ctx, query, work, total, prefix="mentions")
    _downloads(ctx, query, total)


def stars(rating: int | None) -> str | None:
    """A review's star rating as people read it: ``★★☆☆☆ 2/5``."""
    if rating is None:
        return None
    full = max(0, min(5, rating))
    return "★" * full + "☆" * (5 - full) + f" {rating}/5"


def label_lines(detail: MentionDetail) -> list[str]:
    """The classifier's judgement of one mention, with its probabilities, as lines of
    plain text (our own words and numbers: safe for Markdown)."""
    if detail.sentiment is None:
        return ["Not labelled yet (`grapevine label`)."]
    probs = " · ".join(
        f"{name} {value:.2f}"
        for name, value in (
            ("negative", detail.negative),
            ("neutral", detail.neutral),
            ("positive", detail.positive),
        )
        if value is not None
    )
    lines = [f"**Sentiment:** {detail.sentiment} ({probs})"]
    if detail.complaint is not None:
        lines.append(f"**Complaint probability:** {detail.complaint:.2f}")
    if detail.quality is not None:
        score = f" (score {detail.quality_score:.2f})" if detail.quality_score is not None else ""
        lines.append(f"**Quality:** {detail.quality}{score}")
    if detail.language:
        lines.append(f"**Language:** {detail.language}")
    return lines


def _engagement(detail: MentionDetail) -> str:
    counts = (
        ("score", detail.score),
        ("comments", detail.comments),
        ("answers", detail.answers),
        ("helpful votes", detail.helpful_votes),
    )
    return " · ".join(f"{value:,} {name}" for name, value in counts if value is not None) or "—"


def _show_full(row: queries.MentionRow, detail: MentionDetail, community: str) -> None:
    st.subheader("Mention")
    where = " · ".join(x for x in (row.source, community, row.author) if x)
    st.caption(f"{plain(where)} · {row.created_at:%Y-%m-%d %H:%M} UTC")  # names: not Markdown
    rating = stars(detail.rating)
    if rating:
        st.markdown(f"**Rating:** {rating}")
    if row.title:
        st.text(row.title)
    st.text(row.text)
    left, right = st.columns([2, 1])
    left.markdown("  \n".join(label_lines(detail)))
    if detail.model_version:
        left.caption(f"Labels by {plain(detail.model)} {plain(detail.model_version)}.")
    right.markdown(f"**{detail.kind.capitalize()}** · engagement: {_engagement(detail)}")
    link = safe_link(row.url)
    if link:
        st.link_button("Open the original ↗", link)


def export_command(query: queries.MentionQuery, fmt: str) -> list[str]:
    """The ``grapevine export`` command for the same filters, for sets too big for a browser.

    Built from the page's own selection (every filter, the model version and the complaint
    threshold included), which the command line parses back into an equal selection.
    """
    out = f"exports/{query.filters.brand.lower()}.{fmt}"
    return [
        "grapevine",
        "export",
        *export_arguments(query.selection),
        "--format",
        fmt,
        "--out",
        out,
    ]


def _downloads(ctx: Context, query: queries.MentionQuery, total: int) -> None:
    """Download the filtered set through the export module (pseudonymised authors, with a
    datasheet). The file is built only when asked for, and held for this session."""
    st.subheader("Download")
    fmt = st.radio("Format", list(FORMATS), horizontal=True, key="export_format")
    if total > MAX_DOWNLOAD_ROWS:
        st.info(
            f"{total:,} mentions are more than the app builds in memory "
            f"({MAX_DOWNLOAD_ROWS:,}); narrow the filters, or stream them to a file with:"
        )
        st.code(shlex.join(export_command(query, fmt)), language="bash")
        return
    wanted = (query, fmt)
    held = st.session_state.get("_export_bundle")
    bundle: ExportBundle | None = held[1] if held and held[0] == wanted else None
    if bundle is None and st.button(
        f"Prepare {fmt.upper()} of {total:,} mentions",
        key="export_prepare",
        help="Authors are pseudonymised; a datasheet (query, sources, span, models) comes "
        "with the file.",
    ):
        try:
            with st.spinner("Writing the export…"):
                bundle = export_bundle(
                    cached.store(ctx.url),
                    query.selection,
                    fmt,
                    ExportOptions(
                        brand=ctx.settings.brand(query.filters.brand),
                        scoring=ctx.settings.scoring,
                        retention_days=ctx.settings.store.retention_days,
                    ),
                )
        except MissingKeyError as exc:  # the app never creates the key: `grapevine init` does
            st.error("Downloads need the installation's pseudonym key, which is missing.")
            st.code(str(exc), language=None)
            return
        st.session_state["_export_bundle"] = (wanted, bundle)
    if bundle is not None:
        st.download_button(
            f"Download {bundle.file_name} with its datasheet (zip)",
            data=bundle.zip(),
            file_name=f"{bundle.file_name}.zip",
            mime="application/zip",
            key="export_download",
        )


if __name__ == "__main__":
    render(current_context())
