"""The SQL building blocks every scoring module shares (SQLAlchemy Core; SQLite and PostgreSQL).

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
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Engine,
    FromClause,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
)

from config.settings import Brand, Settings
from scoring.records import MentionFilters, Period
from scoring.settings import ScoringSettings, scoring_settings
from storage import schema

__all__ = [
    "BrandQuery",
    "BrandScope",
    "ComplaintFilter",
    "as_date",
    "brand_query",
    "connect",
    "day_bucket",
    "engagement_expr",
    "language_expr",
    "mention_filter_clauses",
    "resolve_model_version",
]

M = schema.mentions
X = schema.matches
L = schema.labels

ComplaintFilter = Literal["any", "complaints", "not complaints"]


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


def day_bucket(column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC calendar day of a stored timestamp, grouped on in the database."""
    if dialect == "postgresql":
        return cast(func.timezone("UTC", column), Date)
    return func.date(column)


def as_date(value: Any) -> date:
    """A day bucket as returned by the driver (SQLite gives 'YYYY-MM-DD' text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


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


def language_expr(labels: FromClause = L) -> ColumnElement[Any]:
    """The classifier's language where there is a label, else the source's."""
    return func.coalesce(labels.c.language, M.c.language)


class BrandScope:
    """The FROM and WHERE of "a brand's mentions in a period": matches ⋈ mentions ⟕ labels.

    ``roles`` picks brand-query matches, category-only talk or own-account posts;
    ``organic_for=brand`` drops mentions authored by that brand's own accounts.
    """

    def __init__(
        self,
        brands: Sequence[str],
        roles: Sequence[str],
        period: Period,
        filters: MentionFilters,
        model_version: str | None,
        *,
        organic_for: str | None = None,
    ) -> None:
        self.brands = tuple(brands)
        self.roles = tuple(roles)
        self.period = period
        self.filters = filters
        self.model_version = model_version
        self.organic_for = organic_for

    @property
    def from_(self) -> FromClause:
        version = self.model_version if self.model_version is not None else ""
        return X.join(M, M.c.id == X.c.mention_id).outerjoin(
            L, and_(L.c.mention_id == M.c.id, L.c.model_version == version)
        )

    def where(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = [
            X.c.brand.in_(self.brands) if len(self.brands) != 1 else X.c.brand == self.brands[0],
            X.c.role.in_(self.roles) if len(self.roles) != 1 else X.c.role == self.roles[0],
            X.c.created_at >= self.period.start,
            X.c.created_at < self.period.end,
            M.c.deleted == false(),
        ]
        if self.filters.sources:
            clauses.append(M.c.source.in_(self.filters.sources))
        if self.filters.languages:
            clauses.append(language_expr().in_(self.filters.languages))
        if self.organic_for is not None:
            # The brand's own posts in the same window: a small set the database builds
            # once, instead of a lookup per mention.
            own = X.alias("own_match")
            own_ids = select(own.c.mention_id).where(
                own.c.brand == self.organic_for,
                own.c.role == "own",
                own.c.created_at >= self.period.start,
                own.c.created_at < self.period.end,
            )
            clauses.append(X.c.mention_id.not_in(own_ids))
        return clauses

    def with_period(self, period: Period) -> BrandScope:
        return BrandScope(
            self.brands,
            self.roles,
            period,
            self.filters,
            self.model_version,
            organic_for=self.organic_for,
        )

    def select(self, *columns: Any) -> Any:
        return select(*columns).select_from(self.from_).where(*self.where())


@dataclasses.dataclass(frozen=True, slots=True)
class BrandQuery:
    """What every scoring entry point starts from: the open connection, the scoring
    settings, the configured brand, the label version to read and the brand's scope."""

    conn: Connection
    cfg: ScoringSettings
    brand: Brand
    version: str | None
    scope: BrandScope


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
    cfg = scoring or scoring_settings(settings)
    config_brand = settings.brand(brand)
    name = config_brand.name
    with connect(bind) as conn:
        version = resolve_model_version(conn, model_version)
        scope = BrandScope(
            [name], ("brand",), period, filters, version, organic_for=name if organic else None
        )
        yield BrandQuery(conn, cfg, config_brand, version, scope)


def mention_filter_clauses(
    labels: FromClause,
    *,
    sources: Sequence[str],
    languages: Sequence[str],
    communities: Sequence[str],
    text: str,
    sentiments: Sequence[str],
    qualities: Sequence[str],
    complaint: ComplaintFilter,
    complaint_threshold: float,
) -> list[ColumnElement[bool]]:
    """The app's Mentions filters as SQL, shared by its list and the export of that list.

    Empty sequences mean *all*; every word of ``text`` must appear in the title or the body
    (case-insensitive); ``complaint`` is "any", "complaints" or "not complaints", a
    complaint being a label at or above ``complaint_threshold``. ``labels`` is the labels
    table (or alias) joined for the model version being read.
    """
    clauses: list[ColumnElement[bool]] = []
    if sources:
        clauses.append(M.c.source.in_(sources))
    if languages:
        clauses.append(language_expr(labels).in_(languages))
    if communities:
        clauses.append(M.c.community.in_(communities))
    for word in text.split():
        clauses.append(
            or_(
                M.c.text.icontains(word, autoescape=True),
                M.c.title.icontains(word, autoescape=True),
            )
        )
    if sentiments:
        clauses.append(labels.c.sentiment.in_(sentiments))
    if qualities:
        clauses.append(labels.c.quality.in_(qualities))
    if complaint == "complaints":
        clauses.append(labels.c.complaint >= complaint_threshold)
    elif complaint == "not complaints":
        clauses.append(labels.c.complaint < complaint_threshold)
    return clauses
