"""The SQL building blocks every scoring module shares (SQLAlchemy Core; SQLite and PostgreSQL).

:class:`BrandScope` is the one place "which mentions" becomes SQL: the metrics, the app's
Mentions page, the export and the alerts all select through it, so a filter (and the
complaint threshold, ``[scoring] complaint_threshold``) means the same on every face.

The pattern is always the same and served by indexes: a range scan of ``matches`` on
``(brand, role, created_at)``, the mention by primary key (to drop deleted ones and apply the
source filter), and the label by ``(mention_id, model_version)``. Grouping happens in the
database; Python only folds the few grouped rows into records.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Engine,
    FromClause,
    Select,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
)

from config.scoring import ScoringSettings
from config.settings import Brand, Settings
from scoring.corrections import corrected_labels
from scoring.daily import scope_key
from scoring.records import NO_FILTERS, ComplaintFilter, MentionFilters, MentionSelection, Period
from storage import schema
from storage.daycache import as_date

__all__ = [
    "EDITORIAL_SOURCES",
    "BrandQuery",
    "BrandScope",
    "ComplaintFilter",
    "as_date",
    "brand_query",
    "complaint_clause",
    "connect",
    "day_bucket",
    "editorial_clause",
    "engagement_expr",
    "language_expr",
    "newest_mention_day",
    "own_clause",
    "own_set_clause",
    "resolve_model_version",
    "selection_scope",
]

M = schema.mentions
X = schema.matches
#: The labels every scope reads: the model's, with people's corrections in their place
#: (:mod:`scoring.corrections`), so every figure, alert and export uses a correction.
L = corrected_labels()


@contextlib.contextmanager
def connect(bind: Engine | Connection) -> Iterator[Connection]:
    """A connection from an engine (closed after), or the caller's own connection as is."""
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.connect() as conn:
            yield conn


def resolve_model_version(conn: Connection, model_version: str | None) -> str | None:
    """The labels to read: the one asked for, else the newest present (None: no labels).

    "Newest" is the version of the most recently written label, the same rule the app's
    mention list uses, so every page reads one classifier's judgements.
    """
    if model_version is not None:
        return model_version
    row = conn.execute(
        select(L.c.model_version).order_by(L.c.labelled_at.desc(), L.c.id.desc()).limit(1)
    ).first()
    return None if row is None else str(row[0])


def newest_mention_day(conn: Connection, brand: str) -> date | None:
    """The UTC day of the brand's newest brand-query mention, or None when it has none.

    Restricted to ``role='brand'`` so the index on ``(brand, role, created_at)`` answers
    it with one seek instead of a scan of every match.
    """
    newest = conn.execute(
        select(func.max(X.c.created_at)).where(X.c.brand == brand, X.c.role == "brand")
    ).scalar()
    if newest is None:
        return None
    if isinstance(newest, str):  # SQLite returns aggregates untyped
        newest = datetime.fromisoformat(newest)
    return newest.date() if isinstance(newest, datetime) else None


def day_bucket(column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of a stored timestamp, grouped on in the database."""
    if dialect == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def engagement_expr(scoring: ScoringSettings, table: FromClause = M) -> ColumnElement[int]:
    """A mention's engagement as SQL: its source's interaction counts, summed (nulls = 0).

    Which counts make up engagement is chosen per source in ``[scoring.engagement]``.
    """

    def total(fields: Sequence[str]) -> ColumnElement[int]:
        parts: list[ColumnElement[int]] = [func.coalesce(table.c[f], 0) for f in fields]
        if not parts:
            return literal(0)
        expr = parts[0]
        for p in parts[1:]:
            expr = expr + p
        return expr

    specific = {s: f for s, f in scoring.engagement.items() if s != "*"}
    default = total(scoring.engagement["*"])
    if not specific:
        return default
    return case(
        *((table.c.source == s, total(f)) for s, f in sorted(specific.items())), else_=default
    )


#: Sources whose items are written by publishers (news sites, blogs, the press): scored for
#: sentiment, never counted as complaints unless a customer wrote them (``scoring.genre``).
EDITORIAL_SOURCES: tuple[str, ...] = ("rss",)


def editorial_clause(own_communities: Sequence[str]) -> ColumnElement[bool]:
    """SQL: the mention (``M``) is an editorial item no customer wrote — from an editorial
    source, and not from the feed of one of the brand's ``own_communities`` (a support
    forum's feed is customers talking)."""
    own = sorted({c.casefold() for c in own_communities})
    editorial = M.c.source.in_(EDITORIAL_SOURCES)
    if not own:
        return editorial
    return and_(editorial, not_(func.lower(func.coalesce(M.c.community, "")).in_(own)))


def _own_matches(brands: Sequence[str]) -> tuple[FromClause, ColumnElement[bool]] | None:
    names = sorted({b for b in brands if b})
    if not names:
        return None
    own = X.alias("own_author")
    which = own.c.brand == names[0] if len(names) == 1 else own.c.brand.in_(names)
    return own, and_(which, own.c.role == "own")


def complaint_clause(threshold: float, own_communities: Sequence[str]) -> ColumnElement[bool]:
    """SQL: the labelled mention (``L``) is a complaint by the news rule — a complaint
    probability at or above ``threshold`` on anything but an editorial item no customer
    wrote. (Own-account posts: :func:`own_clause`, or the organic scope.)"""
    return and_(L.c.complaint >= threshold, not_(editorial_clause(own_communities)))


def own_clause(brands: Sequence[str], mention_id: Any = None) -> ColumnElement[bool]:
    """SQL: the mention (``M``, or ``mention_id``) was written by one of the own accounts of
    one of ``brands``: one probe of the ``matches`` primary key per mention, for the few
    rows of a list or a reply lookup."""
    found = _own_matches(brands)
    if found is None:
        return false()
    own, where = found
    target = M.c.id if mention_id is None else mention_id
    return exists().where(own.c.mention_id == target, where)


def own_set_clause(
    brands: Sequence[str], mention_id: Any = None, window: Period | None = None
) -> ColumnElement[bool]:
    """:func:`own_clause` as a set the database builds once per statement (an uncorrelated
    ``IN``: PostgreSQL hashes it, SQLite materialises it), for aggregations over many rows
    that may name it several times: no probe per row. With ``window``, the set holds only
    the own posts created in it (a match carries its mention's ``created_at``): enough for
    mentions of that window, and small however large the store."""
    found = _own_matches(brands)
    if found is None:
        return false()
    own, where = found
    if window is not None:
        where = and_(where, own.c.created_at >= window.start, own.c.created_at < window.end)
    target = M.c.id if mention_id is None else mention_id
    return target.in_(select(own.c.mention_id).where(where))


def language_expr(labels: FromClause = L) -> ColumnElement[Any]:
    """The classifier's language where there is a label, else the source's."""
    return func.coalesce(labels.c.language, M.c.language)


class BrandScope:
    """The one builder of "which mentions": a brand's mentions in a window, narrowed.

    Everything that selects mentions (the metrics, the Mentions page, the export, the alerts)
    builds its FROM and WHERE here, so a filter means the same on every face. Two shapes:

    - :meth:`select` — one row per *match*: ``matches ⋈ mentions ⟕ labels``, for the metrics'
      aggregations (served by the index on ``matches (brand, role, created_at)``);
    - :meth:`mentions` — one row per *mention*: ``mentions ⟕ labels`` where the mention
      matched, for lists and exports (a mention matched in two roles is listed once).

    ``roles`` picks brand-query matches, category-only talk or own-account posts;
    ``organic_for=brand`` drops mentions authored by that brand's own accounts; ``filters``
    narrow by source, language, community, words and labels, a complaint being a label at
    or above ``complaint_threshold`` (``[scoring] complaint_threshold``: :func:`brand_query`
    and :meth:`of` pass it) that the genre rules let count: never a post by the brands' own
    accounts, never an editorial item unless it comes from one of ``own_communities``
    (``scoring.genre``). ``period`` None with ``since``/``until`` gives an open window.
    Labels are those of ``model_version`` (None: no labels are joined).
    """

    def __init__(
        self,
        brands: Sequence[str],
        roles: Sequence[str],
        period: Period | None,
        filters: MentionFilters = NO_FILTERS,
        model_version: str | None = None,
        *,
        organic_for: str | None = None,
        complaint_threshold: float | None = None,
        own_communities: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> None:
        self.brands = tuple(brands)
        self.own_communities = tuple(own_communities)
        self.roles = tuple(roles)
        self.start, self.end = (period.start, period.end) if period is not None else (since, until)
        self.filters = filters
        self.model_version = model_version
        self.organic_for = organic_for
        self.complaint_threshold = complaint_threshold
        if filters.complaint != "any" and complaint_threshold is None:
            raise ValueError("a complaint filter needs the complaint threshold ([scoring])")

    @classmethod
    def of(
        cls,
        selection: MentionSelection,
        model_version: str | None,
        scoring: ScoringSettings | None,
        own_communities: Sequence[str] = (),
    ) -> BrandScope:
        """The scope of a :class:`MentionSelection`: its complaint threshold, else
        ``scoring``'s (``settings.scoring``); a complaint filter with neither is refused.
        ``own_communities`` are the brand's (``Brand.own_communities``), for the news rule."""
        threshold = selection.complaint_threshold
        if threshold is None and scoring is not None:
            threshold = scoring.complaint_threshold
        return cls(
            [selection.brand],
            selection.roles,
            None,
            selection.filters,
            model_version,
            complaint_threshold=threshold,
            own_communities=own_communities,
            since=selection.since,
            until=selection.until,
        )

    @property
    def period(self) -> Period:
        if self.start is None or self.end is None:
            raise ValueError("this scope's window is open-ended")
        return Period(self.start, self.end)

    def _label_join(self) -> ColumnElement[bool]:
        version = self.model_version if self.model_version is not None else ""
        return and_(L.c.mention_id == M.c.id, L.c.model_version == version)

    @property
    def from_(self) -> FromClause:
        return X.join(M, M.c.id == X.c.mention_id).outerjoin(L, self._label_join())

    def _window(self, created_at: Any) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if self.start is not None:
            clauses.append(created_at >= self.start)
        if self.end is not None:
            clauses.append(created_at < self.end)
        return clauses

    def _matched(self, table: FromClause) -> list[ColumnElement[bool]]:
        """Matched to one of the brands in one of the roles, inside the window."""
        brands, roles = self.brands, self.roles
        return [
            table.c.brand.in_(brands) if len(brands) != 1 else table.c.brand == brands[0],
            table.c.role.in_(roles) if len(roles) != 1 else table.c.role == roles[0],
            *self._window(table.c.created_at),
        ]

    def _organic(self, mention_id: Any) -> list[ColumnElement[bool]]:
        if self.organic_for is None:
            return []
        # The brand's own posts in the same window: a small set the database builds once,
        # instead of a lookup per mention.
        own = X.alias("own_match")
        own_ids = select(own.c.mention_id).where(
            own.c.brand == self.organic_for, own.c.role == "own", *self._window(own.c.created_at)
        )
        return [mention_id.not_in(own_ids)]

    def filter_clauses(self) -> list[ColumnElement[bool]]:
        """``filters`` as SQL over ``mentions`` and the joined ``labels``."""
        f = self.filters
        clauses: list[ColumnElement[bool]] = []
        if f.sources:
            clauses.append(M.c.source.in_(f.sources))
        if f.languages:
            clauses.append(language_expr().in_(f.languages))
        if f.communities:
            clauses.append(M.c.community.in_(f.communities))
        for word in f.text.split():
            clauses.append(
                or_(
                    M.c.text.icontains(word, autoescape=True),
                    M.c.title.icontains(word, autoescape=True),
                )
            )
        if f.sentiments:
            clauses.append(L.c.sentiment.in_(f.sentiments))
        if f.qualities:
            clauses.append(L.c.quality.in_(f.qualities))
        if f.complaint != "any":
            assert self.complaint_threshold is not None  # checked in __init__
            complaint = and_(
                complaint_clause(self.complaint_threshold, self.own_communities),
                not_(own_clause(self.brands)),
            )
            if f.complaint == "complaints":
                clauses.append(complaint)
            else:  # labelled, and not a complaint by the same rules
                clauses.append(and_(L.c.complaint.is_not(None), not_(complaint)))
        return clauses

    def where(self) -> list[ColumnElement[bool]]:
        """The WHERE of :meth:`select` (per match)."""
        return [
            *self._matched(X),
            M.c.deleted == false(),
            *self.filter_clauses(),
            *self._organic(X.c.mention_id),
        ]

    def with_period(self, period: Period) -> BrandScope:
        return BrandScope(
            self.brands,
            self.roles,
            period,
            self.filters,
            self.model_version,
            organic_for=self.organic_for,
            complaint_threshold=self.complaint_threshold,
            own_communities=self.own_communities,
        )

    def key(self, name: str, *parts: Any) -> str | None:
        """The figure cache's key (``scoring.daily``) for query ``name`` over this scope:
        everything but the window, and ``parts`` (None: a text search, never stored)."""
        return scope_key(
            name,
            self.filters,
            self.brands,
            self.roles,
            self.model_version,
            self.organic_for,
            self.complaint_threshold,
            self.own_communities,
            *parts,
        )

    def select(self, *columns: Any) -> Any:
        """``columns`` per matching ``matches`` row (for aggregations)."""
        return select(*columns).select_from(self.from_).where(*self.where())

    def matched_ids(self) -> Select[Any]:
        """The ids of mentions matched to the brands in the roles and window."""
        return select(X.c.mention_id).where(*self._matched(X))

    def mention_where(self) -> list[ColumnElement[bool]]:
        """The WHERE of :meth:`mentions` (per mention)."""
        return [
            M.c.id.in_(self.matched_ids()),
            M.c.deleted == false(),
            *self._window(M.c.created_at),
            *self.filter_clauses(),
            *self._organic(M.c.id),
        ]

    def mentions(self, *columns: Any) -> Select[Any]:
        """``columns`` once per selected mention, from ``mentions ⟕ labels``."""
        joined = M.outerjoin(L, self._label_join())
        return select(*columns).select_from(joined).where(*self.mention_where())


@dataclasses.dataclass(frozen=True, slots=True)
class BrandQuery:
    """What every scoring entry point starts from: the open connection, the scoring
    settings, the configured brand, the label version to read and the brand's scope."""

    conn: Connection
    cfg: ScoringSettings
    brand: Brand
    version: str | None
    scope: BrandScope

    def key(self, name: str, *parts: Any) -> str | None:
        """The figure cache's key for query ``name`` in this scope: the
        scope's key with the brand's and the scoring settings (``scoring.daily``)."""
        brand, cfg = self.brand.model_dump(mode="json"), self.cfg.model_dump(mode="json")
        return self.scope.key(name, brand, cfg, *parts)


@contextlib.contextmanager
def brand_query(
    bind: Engine | Connection,
    settings: Settings,
    brand: str,
    period: Period,
    filters: MentionFilters,
    model_version: str | None,
    scoring: ScoringSettings | None,
    *,
    organic: bool = False,
) -> Iterator[BrandQuery]:
    """The shared preamble of the scoring functions, so they all resolve alike.

    The brand is looked up before a connection is opened (an unknown brand fails early);
    the label version is the one asked for, else the newest present; the scope is the
    brand's brand-query mentions in ``period``, organic only when ``organic``.
    """
    cfg = scoring or settings.scoring
    config_brand = settings.brand(brand)
    name = config_brand.name
    with connect(bind) as conn:
        version = resolve_model_version(conn, model_version)
        scope = BrandScope(
            [name],
            ("brand",),
            period,
            filters,
            version,
            organic_for=name if organic else None,
            complaint_threshold=cfg.complaint_threshold,
            own_communities=config_brand.own_communities,
        )
        yield BrandQuery(conn, cfg, config_brand, version, scope)


def selection_scope(
    conn: Connection,
    selection: MentionSelection,
    scoring: ScoringSettings | None,
    own_communities: Sequence[str] = (),
) -> BrandScope:
    """The scope of ``selection`` with its model version resolved (None: the newest labels),
    its complaint threshold (None: ``scoring.complaint_threshold``) and the brand's
    ``own_communities`` for the news rule."""
    version = resolve_model_version(conn, selection.model_version)
    return BrandScope.of(selection, version, scoring, own_communities)
