"""Which mentions an export holds: the filters and the SQLAlchemy Core select.

The select is read in chunks (``stream_results`` + ``yield_per``), so an export of
millions of rows never holds more than one chunk in memory. It runs the same on SQLite
and PostgreSQL. Deleted mentions (removed upstream) are never exported.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    exists,
    false,
    func,
    literal,
    select,
)

from scoring.queries import ComplaintFilter, mention_filter_clauses, resolve_model_version
from storage import schema

__all__ = [
    "ComplaintFilter",
    "ExportFilters",
    "count_select",
    "current_model_version",
    "mention_select",
    "parse_when",
]

_m = schema.mentions
_x = schema.matches
_l = schema.labels


@dataclasses.dataclass(frozen=True, slots=True)
class ExportFilters:
    """What to export: a brand's mentions in ``[since, until)``, narrowed like the app's
    Mentions page (sources, languages, labels, communities, words in the text).

    Empty tuples mean *all*. ``roles`` picks brand mentions, category-only talk and/or
    the brand's own posts (the ``matches`` roles). ``model_version`` None means the
    current model (the newest label's), as in the app; mentions without a label for it
    are exported with empty label columns unless a label filter excludes them.
    """

    brand: str
    since: datetime | None = None
    until: datetime | None = None
    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    sentiments: tuple[str, ...] = ()
    qualities: tuple[str, ...] = ()
    complaint: ComplaintFilter = "any"
    complaint_threshold: float = 0.5
    roles: tuple[str, ...] = ("brand",)
    communities: tuple[str, ...] = ()
    text: str = ""
    model_version: str | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware")
        if self.since and self.until and self.until <= self.since:
            raise ValueError("the period ends before it starts")

    @classmethod
    def from_mention_query(cls, query: Any) -> ExportFilters:
        """The filters of the app's Mentions page (a ``dashboard.queries.MentionQuery``)."""
        f = query.filters
        return cls(
            brand=f.brand,
            since=f.start,
            until=f.end,
            sources=tuple(f.sources),
            languages=tuple(f.languages),
            sentiments=tuple(query.sentiments),
            qualities=tuple(query.qualities),
            complaint=query.complaint,
            complaint_threshold=query.complaint_threshold,
            roles=tuple(query.roles) or ("brand",),
            communities=tuple(query.communities),
            text=query.text,
            model_version=query.model_version,
        )

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        for name in ("since", "until"):
            out[name] = out[name].isoformat() if out[name] is not None else None
        for key, value in out.items():
            if isinstance(value, tuple):
                out[key] = list(value)
        return out


def parse_when(value: str, *, end: bool = False) -> datetime:
    """A CLI date or datetime as aware UTC. A bare date means the start of that day, or
    for ``end`` (``--until``) the start of the next day, so ``--until 2026-01-31``
    includes the 31st. Naive datetimes are taken as UTC."""
    value = value.strip()
    try:
        day = date.fromisoformat(value)
    except ValueError:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    start = datetime.combine(day, time(), tzinfo=UTC)
    return start + timedelta(days=1) if end else start


def current_model_version(conn: Connection) -> str | None:
    """The model version of the most recent label: the one the app shows, so an export
    from the app and from the command line agree."""
    return resolve_model_version(conn, None)  # one rule, shared with scoring


def _where(filters: ExportFilters, lab: Any) -> list[ColumnElement[bool]]:
    matched = select(_x.c.mention_id).where(
        _x.c.brand == filters.brand, _x.c.role.in_(filters.roles or ("brand",))
    )
    clauses: list[ColumnElement[bool]] = [_m.c.deleted == false()]
    if filters.since is not None:
        matched = matched.where(_x.c.created_at >= filters.since)
        clauses.append(_m.c.created_at >= filters.since)
    if filters.until is not None:
        matched = matched.where(_x.c.created_at < filters.until)
        clauses.append(_m.c.created_at < filters.until)
    clauses.append(_m.c.id.in_(matched))
    clauses += mention_filter_clauses(
        lab,
        sources=filters.sources,
        languages=filters.languages,
        communities=filters.communities,
        text=filters.text,
        sentiments=filters.sentiments,
        qualities=filters.qualities,
        complaint=filters.complaint,
        complaint_threshold=filters.complaint_threshold,
    )
    return clauses


def _joined(model_version: str | None) -> tuple[Any, Any]:
    lab = _l.alias("lab")
    version = literal(model_version if model_version is not None else "")
    joined = _m.outerjoin(lab, and_(lab.c.mention_id == _m.c.id, lab.c.model_version == version))
    return joined, lab


def mention_select(
    filters: ExportFilters, model_version: str | None, *, include_raw: bool = False
) -> Select[Any]:
    """The export's rows, oldest first (a stable order: the same filters give the same
    file), with the columns of :data:`grapevine.export.columns.COLUMNS` in order plus
    the raw payload when asked for."""
    joined, lab = _joined(model_version)
    own = exists().where(
        _x.c.mention_id == _m.c.id, _x.c.brand == filters.brand, _x.c.role == "own"
    )
    columns: list[Any] = [
        _m.c.id.label("mention_id"),
        _m.c.source,
        _m.c.external_id,
        _m.c.kind,
        _m.c.community,
        _m.c.url,
        _m.c.author,
        own.label("own_account"),
        _m.c.title,
        _m.c.text,
        _m.c.language,
        _m.c.created_at,
        _m.c.collected_at,
        _m.c.parent_id,
        _m.c.thread_id,
        _m.c.score,
        _m.c.comments,
        _m.c.answers,
        _m.c.rating,
        _m.c.helpful_votes,
        lab.c.sentiment,
        lab.c.sentiment_negative,
        lab.c.sentiment_neutral,
        lab.c.sentiment_positive,
        lab.c.complaint,
        lab.c.quality,
        lab.c.quality_score,
        lab.c.language.label("label_language"),
        lab.c.model,
        lab.c.model_version,
        lab.c.labelled_at,
    ]
    if include_raw:
        columns.append(_m.c.raw)
    return (
        select(*columns)
        .select_from(joined)
        .where(*_where(filters, lab))
        .order_by(_m.c.created_at, _m.c.id)
    )


def count_select(filters: ExportFilters, model_version: str | None) -> Select[Any]:
    """How many rows :func:`mention_select` yields (for the progress bar's total)."""
    joined, lab = _joined(model_version)
    return select(func.count()).select_from(joined).where(*_where(filters, lab))
