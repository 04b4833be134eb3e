"""Reads the pages need that are not metrics: mention lists, filter options, source health.

Metrics (volume, NSS, share of voice, complaint rate, hotspots) come from :mod:`scoring`
and only from there. What is here is plain SQLAlchemy Core over the store, so it runs the
same on SQLite and PostgreSQL, and is free of Streamlit so tests and benchmarks call it
directly. :mod:`grapevine.dashboard.cached` wraps each function in ``st.cache_data``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    func,
    inspect,
    literal,
    select,
)

from config.scoring import ScoringSettings
from grapevine.dashboard.filters import Filters
from scoring.daily import figure_key, per_day, scope_key
from scoring.health import next_run
from scoring.queries import (
    BrandScope,
    L,
    X,
    as_date,
    day_bucket,
    language_expr,
    newest_mention_day,
    resolve_model_version,
    selection_scope,
)
from scoring.records import (
    ROLES,
    ComplaintFilter,
    MentionFilters,
    MentionSelection,
    Period,
)
from storage import schema

__all__ = [
    "MentionQuery",
    "MentionRow",
    "SourceHealth",
    "SourceSchedule",
    "communities",
    "count_mentions",
    "current_model_version",
    "languages",
    "mentions_by_id",
    "newest_mention_day",
    "search_mentions",
    "source_health",
    "store_ready",
]

_m = schema.mentions
_l = L  # the model's labels with people's corrections in their place
_r = schema.runs


def store_ready(engine: Engine) -> bool:
    """Whether the store has been created (``grapevine init`` or a first collection)."""
    return inspect(engine).has_table("mentions")


def current_model_version(conn: Connection) -> str | None:
    """The model version of the most recent label: the one the app shows.

    Labels from an older model stay in the store until re-labelling finishes; mixing them
    silently would blend two classifiers' judgements, so the app reads one version.
    """
    return resolve_model_version(conn, None)  # one rule, shared with scoring


def _sidebar_scope(filters: Filters, roles: Sequence[str], model_version: str | None) -> BrandScope:
    """The sidebar's brand, period and sources (not its languages: the option lists offer them)."""
    return BrandScope(
        [filters.brand],
        roles,
        Period.days(filters.first_day, filters.last_day),
        MentionFilters(sources=filters.sources),
        model_version,
    )


def languages(conn: Connection, filters: Filters, model_version: str | None) -> list[str]:
    """The languages of the brand's mentions in the period (and sources), most used first.

    The language is the classifier's where there is a label, else the source's: the same
    rule scoring filters by. Scoped to the selection rather than the whole store, because
    a scan of every label would cost seconds on a large store.
    """
    scope = _sidebar_scope(filters, ("brand",), model_version)

    def compute(part: Period) -> Any:
        day = day_bucket(X.c.created_at, conn.dialect.name)
        lang = language_expr()
        stmt = scope.with_period(part).select(day, lang).where(lang.is_not(None))
        return conn.execute(stmt.group_by(day, lang).add_columns(func.count()))

    key = scope_key("sidebar.languages", scope.filters, filters.brand, model_version)
    counts: dict[str, int] = {}
    for _day, lang, n in per_day(conn, key, scope.period, compute):
        counts[str(lang)] = counts.get(str(lang), 0) + int(n)
    return sorted(counts, key=lambda k: (-counts[k], k))


def communities(conn: Connection, filters: Filters) -> list[str]:
    """Communities the brand was mentioned in during the period (for the Mentions filter),
    most mentioned first; counted day by day (``scoring.daily``)."""
    scope = _sidebar_scope(filters, ROLES, None)

    def compute(part: Period) -> Any:
        day = day_bucket(_m.c.created_at, conn.dialect.name)
        stmt = scope.with_period(part).mentions(day, _m.c.community, func.count())
        return conn.execute(stmt.where(_m.c.community.is_not(None)).group_by(day, _m.c.community))

    counts: dict[str, int] = {}
    for _day, community, n in per_day(
        conn, scope.key("sidebar.communities"), scope.period, compute
    ):
        counts[str(community)] = counts.get(str(community), 0) + int(n)
    return sorted(counts, key=lambda c: (-counts[c], c))[:500]


@dataclasses.dataclass(frozen=True, slots=True)
class MentionQuery:
    """The Mentions page's filters on top of the sidebar's; :attr:`selection` is the one
    filter object its list, its download and its ``grapevine export`` command all use.

    ``text`` is a plain search: every word must appear in the title or the body (case
    insensitive). ``roles`` chooses brand mentions, category-only talk, and/or mentions by
    the brand's own accounts. A complaint is a label with complaint probability at or above
    ``complaint_threshold``: the page passes ``settings.scoring.complaint_threshold``; None
    leaves it to the ``scoring`` settings the query functions are given. The genre rules
    apply as on every face: own-account posts are never complaints, nor are news items
    unless they come from one of ``own_communities`` (the brand's, from the configuration).
    """

    filters: Filters
    text: str = ""
    roles: tuple[str, ...] = ("brand",)
    sentiments: tuple[str, ...] = ()
    qualities: tuple[str, ...] = ()
    complaint: ComplaintFilter = "any"
    complaint_threshold: float | None = None
    communities: tuple[str, ...] = ()
    model_version: str | None = None
    own_communities: tuple[str, ...] = ()

    @property
    def selection(self) -> MentionSelection:
        """The page's mentions as a :class:`scoring.MentionSelection`.

        The threshold travels only with a complaint filter, the one place it decides rows.
        """
        f = self.filters
        return MentionSelection(
            brand=f.brand,
            since=f.start,
            until=f.end,
            roles=self.roles,
            filters=MentionFilters(
                sources=f.sources,
                languages=f.languages,
                communities=self.communities,
                text=self.text,
                sentiments=self.sentiments,
                qualities=self.qualities,
                complaint=self.complaint,
            ),
            model_version=self.model_version,
            complaint_threshold=self.complaint_threshold if self.complaint != "any" else None,
        )


@dataclasses.dataclass(frozen=True, slots=True)
class MentionRow:
    """One row of the Mentions table: the mention, its labels (if any) and its link."""

    id: int
    created_at: datetime
    source: str
    community: str | None
    author: str | None
    kind: str
    title: str | None
    text: str
    url: str | None
    language: str | None
    sentiment: str | None
    complaint: float | None
    quality: str | None
    score: int | None
    comments: int | None


def _scope(conn: Connection, query: MentionQuery, scoring: ScoringSettings | None) -> BrandScope:
    """The page's selection as SQL: the labels of its model version (None: the newest), a
    complaint at or above its threshold (None: ``scoring``'s), exactly as the export reads
    the same selection."""
    return selection_scope(conn, query.selection, scoring, query.own_communities)


def count_mentions(
    conn: Connection, query: MentionQuery, scoring: ScoringSettings | None = None
) -> int:
    """How many mentions the Mentions page's filters select (for the pager): counted day
    by day (``scoring.daily``) unless the page searches the text."""
    scope = _scope(conn, query, scoring)
    if scope.start is None or scope.end is None:
        return int(conn.execute(scope.mentions(func.count())).scalar_one())

    def compute(part: Period) -> Any:
        day = day_bucket(_m.c.created_at, conn.dialect.name)
        return conn.execute(scope.with_period(part).mentions(day, func.count()).group_by(day))

    return sum(
        int(n) for _day, n in per_day(conn, scope.key("mentions.count"), scope.period, compute)
    )


def _row_columns(language: Any, sentiment: Any, complaint: Any, quality: Any) -> tuple[Any, ...]:
    """The columns of a :class:`MentionRow`, in its field order; the caller picks where the
    language and the labels come from (a joined label, or none)."""
    return (
        _m.c.id,
        _m.c.created_at,
        _m.c.source,
        _m.c.community,
        _m.c.author,
        _m.c.kind,
        _m.c.title,
        _m.c.text,
        _m.c.url,
        language.label("language"),
        sentiment,
        complaint,
        quality,
        _m.c.score,
        _m.c.comments,
    )


def search_mentions(
    conn: Connection,
    query: MentionQuery,
    *,
    offset: int = 0,
    limit: int = 50,
    scoring: ScoringSettings | None = None,
) -> list[MentionRow]:
    """One page of the selected mentions, newest first."""
    columns = _row_columns(language_expr(), _l.c.sentiment, _l.c.complaint, _l.c.quality)
    stmt = (
        _scope(conn, query, scoring)
        .mentions(*columns)
        .order_by(_m.c.created_at.desc(), _m.c.id.desc())
        .offset(max(offset, 0))
        .limit(limit)
    )
    return [MentionRow(**row._mapping) for row in conn.execute(stmt)]


@dataclasses.dataclass(frozen=True, slots=True)
class SourceHealth:
    """How one source's collection is doing, from the ``runs`` table.

    ``status`` is the newest run's (across the source's brand jobs); ``new_mentions`` and
    ``rate_limit_waits`` add up that source's runs in the last day, because a brand manager
    asks "is it still collecting?", not "what did job 17 do?". ``next_run`` is the newest
    run's start plus the source's configured interval.
    """

    source: str
    enabled: bool
    every: timedelta | None
    last_run: datetime | None
    status: str
    new_last_run: int
    new_last_day: int
    rate_limit_waits_last_run: int
    rate_limit_waits_last_day: int
    waited_seconds_last_day: float
    last_error: str | None
    last_error_at: datetime | None
    next_run: datetime | None
    stored_mentions: int


@dataclasses.dataclass(frozen=True, slots=True)
class SourceSchedule:
    """The part of a source's settings its health depends on (hashable, for the cache)."""

    enabled: bool
    every: timedelta


_PROBLEM_STATUSES = ("failed", "degraded", "interrupted")
#: How far back the Sources page looks for a source's last error.
_ERROR_MEMORY = timedelta(days=30)


def _latest_run(conn: Connection, source: str, *where: ColumnElement[bool]) -> Any:
    """The source's run that started last (by start time, not id: runs of several
    processes interleave), through the index on ``(source, started_at)``."""
    stmt = (
        select(_r)
        .where(_r.c.source == source, *where)
        .order_by(_r.c.started_at.desc(), _r.c.id.desc())
        .limit(1)
    )
    return conn.execute(stmt).first()


def _stored_per_source(conn: Connection) -> dict[str, int]:
    """Mentions stored per source, ever: a sum over every day since the first mention, each
    day counted once until it changes (``scoring.daily``)."""
    first, last = conn.execute(select(func.min(_m.c.created_at), func.max(_m.c.created_at))).one()
    if first is None or last is None:
        return {}
    everything = Period.days(as_date(first), as_date(last))

    def compute(part: Period) -> Any:
        day = day_bucket(_m.c.created_at, conn.dialect.name)
        stmt = select(day, _m.c.source, func.count()).where(
            _m.c.created_at >= part.start, _m.c.created_at < part.end
        )
        return conn.execute(stmt.group_by(day, _m.c.source))

    totals: dict[str, int] = {}
    for _day, source, n in per_day(conn, figure_key("sources.totals"), everything, compute):
        totals[str(source)] = totals.get(str(source), 0) + int(n)
    return totals


def source_health(
    conn: Connection, sources: Mapping[str, SourceSchedule], now: datetime
) -> list[SourceHealth]:
    """One :class:`SourceHealth` per configured source and per source seen in ``runs``."""
    day_ago = now - timedelta(days=1)
    ran = [str(s) for (s,) in conn.execute(select(_r.c.source).distinct())]
    newest = {s: row for s in ran if (row := _latest_run(conn, s)) is not None}
    day = {
        row.source: row
        for row in conn.execute(
            select(
                _r.c.source,
                func.coalesce(func.sum(_r.c.new), 0).label("new"),
                func.coalesce(func.sum(_r.c.rate_limit_waits), 0).label("waits"),
                func.coalesce(func.sum(_r.c.waited_seconds), 0.0).label("waited"),
            )
            .where(_r.c.started_at >= day_ago)
            .group_by(_r.c.source)
        )
    }
    errors = {
        s: row
        for s in ran
        if (
            row := _latest_run(
                conn,
                s,
                _r.c.status.in_(_PROBLEM_STATUSES),
                _r.c.message.is_not(None),
                _r.c.started_at >= now - _ERROR_MEMORY,
            )
        )
        is not None
    }
    totals = _stored_per_source(conn)
    names = sorted(set(sources) | set(newest))
    out: list[SourceHealth] = []
    for name in names:
        cfg = sources.get(name)
        run = newest.get(name)
        err = errors.get(name)
        last_run = run.started_at if run is not None else None
        every = cfg.every if cfg is not None else None
        out.append(
            SourceHealth(
                source=name,
                enabled=cfg.enabled if cfg is not None else False,
                every=every,
                last_run=last_run,
                status=str(run.status) if run is not None else "never run",
                new_last_run=int(run.new) if run is not None else 0,
                new_last_day=int(day[name].new) if name in day else 0,
                rate_limit_waits_last_run=int(run.rate_limit_waits) if run is not None else 0,
                rate_limit_waits_last_day=int(day[name].waits) if name in day else 0,
                waited_seconds_last_day=float(day[name].waited) if name in day else 0.0,
                last_error=str(err.message) if err is not None else None,
                last_error_at=err.started_at if err is not None else None,
                next_run=next_run(last_run, every, cfg is not None and cfg.enabled),
                stored_mentions=totals.get(name, 0),
            )
        )
    return out


def mentions_by_id(conn: Connection, ids: Sequence[int]) -> list[MentionRow]:
    """The given mentions (e.g. a complaint topic's examples), in the order asked for."""
    if not ids:
        return []
    columns = _row_columns(
        _m.c.language,
        literal(None).label("sentiment"),
        literal(None).label("complaint"),
        literal(None).label("quality"),
    )
    stmt = select(*columns).where(_m.c.id.in_(list(ids)))
    found = {row.id: MentionRow(**row._mapping) for row in conn.execute(stmt)}
    return [found[i] for i in ids if i in found]
