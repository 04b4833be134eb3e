"""Triage and corrections on the Mentions and Complaints pages: the widgets the pages call.

Everyone reads a mention's status, assignee, tags, note, corrected labels and history;
only editors and admins (:func:`grapevine.dashboard.auth.can_edit`) see the controls that
change them, and every change is written with the signed-in user's name
(:mod:`storage.workflow`: an audit trail of who and when). After a change the cached
figures are dropped, so every page shows the corrected labels at once.

Text written by people (notes, tags, names) is shown with ``st.text`` or in data grids:
never as Markdown or HTML.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import pandas as pd
import streamlit as st

from config import Settings
from grapevine.dashboard import auth, cached, links, worklist
from grapevine.dashboard.filters import Filters
from grapevine.dashboard.queries import MentionQuery, MentionRow
from grapevine.dashboard.sidebar import Context
from grapevine.dashboard.widgets import plain
from grapevine.dashboard.worklist import TriageFilter, WorkRow
from storage import workflow
from storage.workflow import QUALITIES, SENTIMENTS, STATUSES

__all__ = [
    "add_columns",
    "bulk_actions",
    "complaint_queue",
    "count",
    "filter_controls",
    "mention_links",
    "mention_panel",
    "search",
]

_TTL = timedelta(minutes=5)
_COMPLAINT = {"complaint": True, "not a complaint": False}
_KEEP = "(model's label)"


def _config_key(settings: Settings) -> str:
    return settings.scoring.model_dump_json()


@st.cache_data(ttl=_TTL, show_spinner=False)
def _count(url: str, key: str, _settings: Settings, query: MentionQuery, f: TriageFilter) -> int:
    with cached.engine(url).connect() as conn:
        return worklist.count_work(conn, query, f, _settings.scoring)


@st.cache_data(ttl=_TTL, show_spinner=False)
def _search(
    url: str,
    key: str,
    _settings: Settings,
    query: MentionQuery,
    f: TriageFilter,
    offset: int,
    limit: int,
    queue_for: str | None,
) -> list[WorkRow]:
    with cached.engine(url).connect() as conn:
        return worklist.search_work(
            conn, query, f, _settings.scoring, offset=offset, limit=limit, queue_for=queue_for
        )


@st.cache_data(ttl=timedelta(seconds=30), show_spinner=False)
def _options(url: str) -> tuple[list[str], list[str]]:
    with cached.engine(url).connect() as conn:
        return workflow.assignees(conn), workflow.tags_in_use(conn)


def count(ctx: Context, query: MentionQuery, f: TriageFilter) -> int:
    """How many mentions the page's filters and the triage filter select."""
    return _count(ctx.url, _config_key(ctx.settings), ctx.settings, query, f)


def search(
    ctx: Context,
    query: MentionQuery,
    f: TriageFilter,
    offset: int,
    limit: int,
    *,
    queue_for: str | None = None,
) -> tuple[list[MentionRow], list[WorkRow]]:
    """One page of them, newest first (or in complaint-queue order with ``queue_for``):
    as the Mentions grid's rows, and the same rows with their triage."""
    key = _config_key(ctx.settings)
    work = _search(ctx.url, key, ctx.settings, query, f, offset, limit, queue_for)
    return [w.mention for w in work], work


def _ids(text: str) -> list[int] | None:
    return [int(x) for x in text.split(",") if x.strip().isdigit()][: worklist.MAX_IDS]


def mention_links(
    ctx: Context, filters: Filters, complaint_labels: Mapping[str, str]
) -> list[links.Param]:
    """The Mentions page's own filters in the URL (``sentiment``, ``quality``,
    ``complaint``, ``community``, ``q``): read in now, before its widgets are drawn;
    :func:`filter_controls` writes them back. ``complaint_labels`` maps the page's choices
    to ``any`` / ``complaints`` / ``not complaints``."""
    by_value = {v: k for k, v in complaint_labels.items()}
    params = [
        links.csv_param("sentiment", "mentions_sentiment", SENTIMENTS),
        links.csv_param("quality", "mentions_quality", QUALITIES),
        links.Param(
            "complaint",
            "mentions_complaint",
            lambda t: by_value.get(t.strip().lower()),
            lambda v: "" if complaint_labels.get(v, "any") == "any" else complaint_labels[v],
        ),
        links.csv_param("community", "mentions_community", cached.communities(ctx.url, filters)),
        links.Param("q", "mentions_text", lambda t: t.strip()[:200], lambda v: str(v or "")),
    ]
    links.read_params(params)
    return params


def filter_controls(ctx: Context, prefix: str, *, also: Sequence[links.Param] = ()) -> TriageFilter:
    """Status, assignee and tag filters (read from and written to the URL, with ``also``:
    the page's other parameters), and the mention ids an alert's link names."""
    people, tags = _options(ctx.url)
    params = [
        links.csv_param("status", f"{prefix}_status", STATUSES),
        links.csv_param("assignee", f"{prefix}_assignee"),
        links.csv_param("tag", f"{prefix}_tag"),
        links.Param("ids", f"{prefix}_ids", _ids, lambda v: ",".join(map(str, v or []))),
    ]
    links.read_params(params)
    params += also
    c1, c2, c3 = st.columns(3)
    statuses = c1.multiselect("Status", STATUSES, key=f"{prefix}_status", placeholder="Any status")
    held = [a for a in st.session_state.get(f"{prefix}_assignee", []) if isinstance(a, str)]
    assignees = c2.multiselect(
        "Assigned to",
        ["", *people, *[a for a in held if a not in people and a]],
        key=f"{prefix}_assignee",
        placeholder="Anyone",
        format_func=lambda a: a or "nobody",
    )
    held_tags = [t for t in st.session_state.get(f"{prefix}_tag", []) if isinstance(t, str)]
    chosen_tags = c3.multiselect(
        "Tag",
        [*tags, *[t for t in held_tags if t not in tags]],
        key=f"{prefix}_tag",
        placeholder="Any tag",
    )
    ids = [i for i in st.session_state.get(f"{prefix}_ids", []) or [] if isinstance(i, int)]
    if ids:
        alert = st.query_params.get("alert")
        what = f"alert #{alert}" if alert and alert.isdigit() else "a link"
        left, right = st.columns([4, 1])
        left.info(f"Showing the {len(ids):,} mentions named by {what}.", icon=":material/link:")
        if right.button("Show all", key=f"{prefix}_clear_ids"):
            st.session_state[f"{prefix}_ids"] = []
            ids = []
            if "alert" in st.query_params:
                del st.query_params["alert"]
    links.write_params(params)
    return TriageFilter(
        statuses=tuple(statuses),
        assignees=tuple(assignees),
        tags=tuple(chosen_tags),
        ids=tuple(ids),
    )


def add_columns(table: pd.DataFrame, rows: Sequence[WorkRow]) -> pd.DataFrame:
    """The Mentions grid with its triage columns (and whether a person set the labels)."""
    table = table.copy()
    added: dict[str, list[str] | list[bool]] = {
        "Status": [r.status for r in rows],
        "Assigned": [r.assignee or "" for r in rows],
        "Tags": [", ".join(r.tags) for r in rows],
        "Reviewed": [r.corrected for r in rows],
    }
    for name, values in added.items():
        table[name] = values
    # beside the text, where a team scanning its queue looks
    first = [c for c in ("When", "Mention") if c in table.columns]
    rest = [c for c in table.columns if c not in first and c not in added]
    return table[[*first, *added, *rest]]


def _changed() -> None:
    """Drop every cached read so the figures and lists show the change at once."""
    st.cache_data.clear()


def bulk_actions(
    ctx: Context, query: MentionQuery, f: TriageFilter, total: int, *, prefix: str
) -> None:
    """Editors: set the status, assignee or tags of every mention the filters select."""
    if not auth.can_edit() or total == 0:
        return
    with st.expander(f"Bulk triage: all {total:,} mentions selected by these filters"):
        with st.form(f"{prefix}_bulk"):
            c1, c2 = st.columns(2)
            status = c1.selectbox("Set status", ["(keep)", *STATUSES], key=f"{prefix}_bulk_status")
            assignee = c2.text_input(
                "Assign to", key=f"{prefix}_bulk_assignee", placeholder="(keep); '-' for nobody"
            )
            c3, c4 = st.columns(2)
            add = c3.text_input("Add tags", key=f"{prefix}_bulk_add", placeholder="billing, urgent")
            remove = c4.text_input("Remove tags", key=f"{prefix}_bulk_remove")
            go = st.form_submit_button("Apply to all selected", type="primary")
        if go:
            with cached.engine(ctx.url).connect() as conn:
                ids = worklist.selected_ids(conn, query, f, ctx.settings.scoring)
            name = assignee.strip()
            changed = workflow.update_triage(
                cached.store(ctx.url),
                ids,
                auth.current_user().name,
                status=None if status == "(keep)" else status,
                assignee=workflow.UNCHANGED if not name else (None if name == "-" else name),
                add_tags=_split(add),
                remove_tags=_split(remove),
            )
            _changed()
            st.success(f"Updated {changed:,} of {len(ids):,} mentions.")


def _split(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def mention_panel(ctx: Context, row: WorkRow, *, prefix: str) -> None:
    """The selected mention's triage, labels and history; the forms for editors."""
    editor = auth.can_edit()
    left, right = st.columns(2)
    with left:
        st.markdown("**Triage**")
        if editor:
            _triage_form(ctx, row, prefix)
        else:
            _triage_read(row)
    with right:
        st.markdown("**Labels**")
        _labels(ctx, row, prefix, editor)
    with st.expander("History"):
        with cached.engine(ctx.url).connect() as conn:
            events = workflow.history(conn, row.id)
        if not events:
            st.caption("Nobody has changed this mention's triage or labels.")
        else:
            st.dataframe(
                pd.DataFrame(
                    [
                        {"When": e.at, "Who": e.by, "What": e.field, "From": e.old, "To": e.new}
                        for e in events
                    ]
                ),
                hide_index=True,
                width="stretch",
                column_config={"When": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")},
            )


def _triage_read(row: WorkRow) -> None:
    st.text(f"Status: {row.status}")
    st.text(f"Assigned to: {row.assignee or 'nobody'}")
    st.text(f"Tags: {', '.join(row.tags) or '—'}")
    if row.note:
        st.text(f"Note: {row.note}")


def _triage_form(ctx: Context, row: WorkRow, prefix: str) -> None:
    with st.form(f"{prefix}_triage_{row.id}"):
        status = st.selectbox(
            "Status", STATUSES, index=STATUSES.index(row.status), key=f"{prefix}_t_status_{row.id}"
        )
        assignee = st.text_input(
            "Assigned to", value=row.assignee or "", key=f"{prefix}_t_who_{row.id}"
        )
        tags = st.text_input("Tags", value=", ".join(row.tags), key=f"{prefix}_t_tags_{row.id}")
        note = st.text_area(
            "Note", value=row.note or "", key=f"{prefix}_t_note_{row.id}", height=80
        )
        saved = st.form_submit_button("Save triage", type="primary")
    if saved:
        wanted = _split(tags)
        changed = workflow.update_triage(
            cached.store(ctx.url),
            [row.id],
            auth.current_user().name,
            status=status,
            assignee=assignee,
            add_tags=wanted,
            remove_tags=[t for t in row.tags if t not in wanted],
            note=note,
        )
        _changed()
        st.toast("Triage saved." if changed else "Nothing changed.")
        st.rerun()


def _labels(ctx: Context, row: WorkRow, prefix: str, editor: bool) -> None:
    with cached.engine(ctx.url).connect() as conn:
        mine = workflow.corrections_of(conn, [row.id]).get(row.id)
    threshold = ctx.settings.scoring.complaint_threshold
    is_complaint = row.complaint is not None and row.complaint >= threshold
    shown = (
        f"sentiment {row.sentiment or 'unlabelled'} · "
        f"{'complaint' if is_complaint else 'not a complaint'} · quality {row.quality or '—'}"
    )
    st.text(("Reviewed: " if mine else "Model: ") + shown)
    if mine:
        st.caption(f"Set by {plain(mine.corrected_by)} on {mine.corrected_at:%Y-%m-%d %H:%M} UTC.")
    if not editor:
        return
    with st.form(f"{prefix}_labels_{row.id}"):
        sentiment = st.selectbox(
            "Sentiment",
            [_KEEP, *SENTIMENTS],
            index=_index(SENTIMENTS, mine.sentiment if mine else None),
            key=f"{prefix}_c_sentiment_{row.id}",
        )
        complaint = st.selectbox(
            "Complaint",
            [_KEEP, *_COMPLAINT],
            index=_index(
                list(_COMPLAINT),
                None
                if mine is None or mine.complaint is None
                else ("complaint" if mine.complaint else "not a complaint"),
            ),
            key=f"{prefix}_c_complaint_{row.id}",
        )
        quality = st.selectbox(
            "Quality",
            [_KEEP, *QUALITIES],
            index=_index(QUALITIES, mine.quality if mine else None),
            key=f"{prefix}_c_quality_{row.id}",
        )
        saved = st.form_submit_button("Save labels")
    if saved:
        workflow.save_correction(
            cached.store(ctx.url),
            row.id,
            auth.current_user().name,
            sentiment=None if sentiment == _KEEP else sentiment,
            complaint=None if complaint == _KEEP else _COMPLAINT[complaint],
            quality=None if quality == _KEEP else quality,
        )
        _changed()
        st.toast("Labels saved.")
        st.rerun()
    st.caption(
        "A label you set here replaces the model's in every figure, alert and export (the "
        "model's stays stored); setting the model's own label confirms it, which the Model "
        "page counts as agreement."
    )


def _index(options: Sequence[str], value: Any) -> int:
    return 1 + list(options).index(value) if value in options else 0


def complaint_queue(ctx: Context, filters: Filters) -> None:
    """The Complaints page's work queue: the period's complaints in the order they need an
    answer, filterable by status, assignee and tag, each triaged in place."""
    st.subheader("Complaint queue")
    st.caption(
        "Open complaints first (new, then in progress), then those no own account has "
        "answered, then the most engaged, then the oldest. Select one to triage it."
    )
    query = MentionQuery(
        filters=filters,
        complaint="complaints",
        complaint_threshold=ctx.settings.scoring.complaint_threshold,
        model_version=cached.current_model_version(ctx.url),
        own_communities=tuple(ctx.settings.brand(filters.brand).own_communities),
    )
    work = filter_controls(ctx, "queue")
    total = count(ctx, query, work)
    if total == 0:
        st.caption("No complaint matches these filters.")
        return
    _, rows = search(ctx, query, work, 0, ctx.app.page_size, queue_for=filters.brand)
    shown = f"the first {len(rows):,}" if len(rows) < total else "all"
    st.markdown(f"**{total:,}** complaints · showing {shown}")
    event = st.dataframe(
        pd.DataFrame(
            [
                {
                    "Status": r.status,
                    "Assigned": r.assignee or "",
                    "Tags": ", ".join(r.tags),
                    "Engagement": r.engagement,
                    "Complaint": r.complaint,
                    "When": r.created_at,
                    "Source": r.source,
                    "Mention": " ".join(r.text.split())[:300],
                }
                for r in rows
            ]
        ),
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key="queue_table",
        column_config={
            "Complaint": st.column_config.ProgressColumn(
                min_value=0.0, max_value=1.0, format="%.2f", width="small"
            ),
            "When": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm"),
            "Mention": st.column_config.TextColumn(width="large"),
        },
    )
    selected = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    if selected and selected[0] < len(rows):
        row = rows[selected[0]]
        st.text(row.text)
        mention_panel(ctx, row, prefix="queue")
    bulk_actions(ctx, query, work, total, prefix="queue")
