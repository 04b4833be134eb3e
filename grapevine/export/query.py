"""Which mentions an export holds: a :class:`scoring.MentionSelection` (the object the
app's Mentions page lists and :func:`export_arguments` spells as ``grapevine export``
flags), selected by :class:`scoring.queries.BrandScope`, the builder every face shares.

The select is read in chunks (``stream_results`` + ``yield_per``), so an export of
millions of rows never holds more than one chunk in memory. It runs the same on SQLite
and PostgreSQL. Deleted mentions (removed upstream) are never exported.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Select, exists, func

from scoring import ScoringSettings
from scoring.queries import BrandScope, L, resolve_model_version
from scoring.records import ComplaintFilter, MentionSelection
from storage import schema

__all__ = [
    "ComplaintFilter",
    "ExportFilters",
    "count_select",
    "current_model_version",
    "export_arguments",
    "mention_select",
    "parse_when",
]

_m = schema.mentions
_x = schema.matches
_l = L  # the model's labels with people's corrections in their place

#: What to export is the one "which mentions" object the Mentions page and the metrics
#: share (:class:`scoring.MentionSelection`); the name stays for the export's callers.
ExportFilters = MentionSelection


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


def _format_when(when: datetime, *, end: bool) -> str:
    """The inverse of :func:`parse_when`: a whole day as a date, any other instant in ISO."""
    if when.astimezone(UTC).time() == time():
        return (when - timedelta(days=1) if end else when).date().isoformat()
    return when.isoformat()


def export_arguments(selection: MentionSelection) -> list[str]:
    """``selection`` as ``grapevine export`` arguments (without ``--out`` and ``--format``).

    The command line parses them back into an equal :class:`MentionSelection`, so the
    command the Mentions page offers exports exactly the rows the page lists. Filters at
    their default ("all") are left out.
    """
    args = ["--brand", selection.brand]
    if selection.since is not None:
        args += ["--since", _format_when(selection.since, end=False)]
    if selection.until is not None:
        args += ["--until", _format_when(selection.until, end=True)]
    if selection.roles != ("brand",):
        args += [a for role in selection.roles for a in ("--role", role)]
    f = selection.filters
    for flag, values in (
        ("--source", f.sources),
        ("--language", f.languages),
        ("--community", f.communities),
        ("--sentiment", f.sentiments),
        ("--quality", f.qualities),
    ):
        args += [a for value in values for a in (flag, value)]
    if f.text:
        args += ["--text", f.text]
    if f.complaint == "complaints":
        args.append("--complaint")
    elif f.complaint == "not complaints":
        args.append("--no-complaint")
    if selection.complaint_threshold is not None:
        args += ["--complaint-threshold", repr(selection.complaint_threshold)]
    if selection.model_version is not None:
        args += ["--model-version", selection.model_version]
    return args


def current_model_version(conn: Connection) -> str | None:
    """The model version of the most recent label: the one the app shows, so an export
    from the app and from the command line agree."""
    return resolve_model_version(conn, None)  # one rule, shared with scoring


def mention_select(
    filters: MentionSelection,
    model_version: str | None,
    scoring: ScoringSettings,
    *,
    include_raw: bool = False,
    own_communities: Sequence[str] = (),
) -> Select[Any]:
    """The export's rows, oldest first (a stable order: the same filters give the same
    file), with the columns of :data:`grapevine.export.columns.COLUMNS` in order plus
    the raw payload when asked for. ``scoring`` gives the complaint threshold unless the
    selection overrides it; ``own_communities`` (the brand's) keep customers' feed items
    countable as complaints, as on every other face (``scoring.genre``)."""
    scope = BrandScope.of(filters, model_version, scoring, own_communities)
    lab = _l
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
    return scope.mentions(*columns).order_by(_m.c.created_at, _m.c.id)


def count_select(
    filters: MentionSelection,
    model_version: str | None,
    scoring: ScoringSettings,
    own_communities: Sequence[str] = (),
) -> Select[Any]:
    """How many rows :func:`mention_select` yields (for the progress bar's total)."""
    return BrandScope.of(filters, model_version, scoring, own_communities).mentions(func.count())
