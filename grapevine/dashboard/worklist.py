"""The Mentions and Complaints pages' lists with their triage: the reads behind the work queue.

Plain SQLAlchemy Core (no Streamlit), like :mod:`grapevine.dashboard.queries`: the page's
:class:`~grapevine.dashboard.queries.MentionQuery` selects the mentions through the one
builder every face shares, and a :class:`TriageFilter` narrows them further by status,
assignee, tag or by id (an alert's link names the mentions that fired it). Labels are the
corrected ones (:mod:`scoring.corrections`), so the list shows what the figures count.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, case, func, literal, or_

from config.scoring import ScoringSettings
from grapevine.dashboard.queries import MentionQuery, MentionRow
from scoring.complaints import replied_expr
from scoring.queries import L, engagement_expr, language_expr, selection_scope
from storage import schema
from storage.workflow import STATUSES, tag_clause

__all__ = [
    "NO_TRIAGE_FILTER",
    "TriageFilter",
    "WorkRow",
    "count_work",
    "search_work",
    "selected_ids",
]

M = schema.mentions
T = schema.triage
#: The most mention ids one link or bulk action carries.
MAX_IDS = 500


@dataclasses.dataclass(frozen=True, slots=True)
class TriageFilter:
    """Empty means *all*. ``statuses`` includes ``new`` for mentions nobody triaged yet;
    ``assignees`` may hold ``""`` for "nobody"; ``ids`` keeps only those mentions."""

    statuses: tuple[str, ...] = ()
    assignees: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    ids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        unknown = [s for s in self.statuses if s not in STATUSES]
        if unknown:
            raise ValueError(f"unknown triage status {unknown[0]!r}")
        object.__setattr__(self, "ids", tuple(int(i) for i in self.ids[:MAX_IDS]))

    @property
    def active(self) -> bool:
        return bool(self.statuses or self.assignees or self.tags or self.ids)


#: No triage filter: every selected mention.
NO_TRIAGE_FILTER = TriageFilter()


@dataclasses.dataclass(frozen=True, slots=True)
class WorkRow(MentionRow):
    """A listed mention with its (corrected) labels and its triage."""

    corrected: bool
    engagement: int
    status: str
    assignee: str | None
    tags: tuple[str, ...]
    note: str | None

    @property
    def mention(self) -> MentionRow:
        """The row as the Mentions grid shows it (its :class:`MentionRow` fields alone)."""
        return MentionRow(**{f.name: getattr(self, f.name) for f in dataclasses.fields(MentionRow)})


def _status() -> ColumnElement[str]:
    return func.coalesce(T.c.status, "new")


def _clauses(f: TriageFilter) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if f.ids:
        clauses.append(M.c.id.in_(list(f.ids)))
    if f.statuses:
        clauses.append(_status().in_(f.statuses))
    if f.assignees:
        named = [a for a in f.assignees if a]
        either: list[ColumnElement[bool]] = [T.c.assignee.in_(named)] if named else []
        if "" in f.assignees:
            either.append(T.c.assignee.is_(None))
        clauses.append(or_(*either))
    for tag in f.tags:
        clauses.append(tag_clause(tag))
    return clauses


def _select(
    conn: Connection, query: MentionQuery, f: TriageFilter, scoring: ScoringSettings, *cols: Any
) -> Any:
    scope = selection_scope(conn, query.selection, scoring, query.own_communities)
    stmt = scope.mentions(*cols)
    # the triage row by primary key: one probe per listed mention
    stmt = stmt.outerjoin(T, T.c.mention_id == M.c.id)
    return stmt.where(*_clauses(f))


def count_work(
    conn: Connection, query: MentionQuery, f: TriageFilter, scoring: ScoringSettings
) -> int:
    return int(conn.execute(_select(conn, query, f, scoring, func.count())).scalar_one())


def selected_ids(
    conn: Connection,
    query: MentionQuery,
    f: TriageFilter,
    scoring: ScoringSettings,
    limit: int = 5000,
) -> list[int]:
    """The ids a bulk action applies to (newest first, at most ``limit``)."""
    stmt = (
        _select(conn, query, f, scoring, M.c.id)
        .order_by(M.c.created_at.desc(), M.c.id.desc())
        .limit(limit)
    )
    return [int(i) for (i,) in conn.execute(stmt)]


def search_work(
    conn: Connection,
    query: MentionQuery,
    f: TriageFilter,
    scoring: ScoringSettings,
    *,
    offset: int = 0,
    limit: int = 50,
    queue_for: str | None = None,
) -> list[WorkRow]:
    """One page of the selection, newest first — or, with ``queue_for`` (a brand), in the
    order a complaint queue is worked: open ones first (new, then in progress), then those
    no own account of the brand has answered, then the most engaged, then the oldest."""
    engagement = engagement_expr(scoring)
    columns = (
        M.c.id,
        M.c.created_at,
        M.c.source,
        M.c.community,
        M.c.author,
        M.c.kind,
        M.c.title,
        M.c.text,
        M.c.url,
        language_expr().label("language"),
        L.c.sentiment,
        L.c.complaint,
        L.c.quality,
        M.c.score,
        M.c.comments,
        func.coalesce(L.c.corrected, False).label("corrected"),
        engagement.label("engagement"),
        _status().label("status"),
        T.c.assignee,
        func.coalesce(T.c.tags, "").label("tags"),
        T.c.note,
    )
    stmt = _select(conn, query, f, scoring, *columns)
    if queue_for is not None:
        rank = case(
            *((_status() == s, literal(i)) for i, s in enumerate(STATUSES)), else_=literal(9)
        )
        answered = case((replied_expr(queue_for), 1), else_=0)
        stmt = stmt.order_by(rank, answered, engagement.desc(), M.c.created_at, M.c.id)
    else:
        stmt = stmt.order_by(M.c.created_at.desc(), M.c.id.desc())
    stmt = stmt.offset(max(offset, 0)).limit(limit)
    out: list[WorkRow] = []
    for row in conn.execute(stmt):
        values = dict(row._mapping)
        values["tags"] = tuple(t for t in str(values["tags"]).split(",") if t)
        values["corrected"] = bool(values["corrected"])
        values["engagement"] = int(values["engagement"] or 0)
        out.append(WorkRow(**values))
    return out


def ids_of(rows: Sequence[WorkRow]) -> list[int]:
    return [r.id for r in rows]
