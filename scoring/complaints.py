"""Complaint behaviour: how often customers complain, to whom, and whether anyone answers.

A complaint is an organic brand mention whose label gives a complaint probability at or above
``[scoring] complaint_threshold`` (a classifier's call, not negative sentiment) and which is
not an editorial item (news and feed items no customer wrote, ``scoring.genre``). A reply is a
mention by one of the brand's own accounts (stored with a ``role='own'`` match) on the same
source whose ``parent_id`` or ``thread_id`` is the complaint's ``external_id`` — a comment
under it, an answer in its thread, a developer reply to a review.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    tuple_,
    union_all,
)

from config.scoring import ScoringSettings
from config.settings import Brand, Settings
from scoring import metrics
from scoring.daily import per_day
from scoring.genre import complaint_expr
from scoring.overview import Granularity, bucket_days
from scoring.queries import (
    BrandQuery,
    BrandScope,
    L,
    M,
    X,
    as_date,
    brand_query,
    day_bucket,
    engagement_expr,
    own_clause,
)
from scoring.records import (
    NO_FILTERS,
    ChannelSplit,
    Comparison,
    ComplaintBehaviour,
    MentionFilters,
    Period,
    QueuedComplaint,
    RatePoint,
)

__all__ = [
    "ComplaintRow",
    "OwnPost",
    "complaint_behaviour",
    "complaint_channel",
    "complaint_rows",
    "first_replies",
    "own_posts",
    "rate_buckets",
    "replied_expr",
    "replies_to_own_expr",
]

Key = tuple[str, str]  # (source, external_id)


@dataclasses.dataclass(frozen=True, slots=True)
class ComplaintRow:
    mention_id: int
    source: str
    external_id: str
    community: str | None
    author: str | None
    created_at: datetime
    parent_id: str | None
    engagement: int
    complaint: float
    addressed: bool
    replies_to_own: bool

    @property
    def key(self) -> Key:
        return (self.source, self.external_id)


@dataclasses.dataclass(frozen=True, slots=True)
class OwnPost:
    """A mention written by one of the brand's own accounts."""

    source: str
    external_id: str
    parent_id: str | None
    thread_id: str | None
    created_at: datetime


def complaint_channel(
    community: str | None,
    own_communities: Iterable[str],
    addressed: bool,
    replies_to_own: bool,
) -> str:
    """``"company"`` when the complaint is made in a community the brand runs, addressed to
    one of its own accounts (an @handle in the text) or posted as a reply to one of its own
    posts; otherwise ``"peers"`` (third-party forums, reviews)."""
    own = {c.casefold() for c in own_communities}
    if (community is not None and community.casefold() in own) or addressed or replies_to_own:
        return "company"
    return "peers"


def first_replies(
    complaints: Sequence[tuple[Key, datetime]], replies: Sequence[OwnPost]
) -> dict[Key, datetime]:
    """The time of the first own-account reply to each complaint that has one.

    A reply counts when it is on the same source and points at the complaint through its
    ``parent_id`` or ``thread_id`` (so it was written after it; a reply stamped earlier
    is clock skew between sources' timestamps and is dated at the complaint, delay 0).
    """
    by_target: dict[Key, list[datetime]] = defaultdict(list)
    for r in replies:
        for target in {r.parent_id, r.thread_id}:
            if target is not None:
                by_target[(r.source, target)].append(r.created_at)
    for times in by_target.values():
        times.sort()
    out: dict[Key, datetime] = {}
    for key, created in complaints:
        found = by_target.get(key)
        if found:
            out[key] = max(found[0], created)
    return out


def _addressed_expr(brand: Brand) -> Any:
    handles = sorted({h.casefold().lstrip("@") for hs in brand.own_accounts.values() for h in hs})
    if not handles:
        return literal(False)
    lowered = func.lower(M.c.text)
    return or_(*(lowered.contains(f"@{h}", autoescape=True) for h in handles))


# The subqueries below are nested EXISTS on purpose: with the own-match check in its own
# subquery, SQLite (which has no statistics on a fresh store) cannot choose to start from
# "every own match of the brand" and must probe the indexed reply/parent lookup first.


def replies_to_own_expr(brand: str) -> ColumnElement[bool]:
    """Whether the mention replies to a post by the brand's own accounts (same source)."""
    parent = M.alias("parent")
    return exists().where(
        parent.c.source == M.c.source,
        parent.c.external_id == M.c.parent_id,
        own_clause([brand], parent.c.id),
    )


def replied_expr(brand: str, since: datetime | None = None) -> ColumnElement[bool]:
    """SQL twin of :func:`first_replies`: an own-account reply exists for the mention.

    Without ``since``: two probes of the ``(source, parent_id)`` and ``(source, thread_id)``
    indexes per mention, then each reply's ``own`` match by primary key (for a few rows).
    With ``since`` (only replies written from then on, as :func:`own_posts` gives them):
    the ``(source, id)`` pairs those replies answer, a set built once per statement from the
    brand's own matches since then, for aggregations over many rows.
    """
    if since is not None:
        own, reply = X.alias("own_reply"), M.alias("reply")
        written = (
            select(reply.c.source, reply.c.parent_id, reply.c.thread_id)
            .select_from(own.join(reply, reply.c.id == own.c.mention_id))
            .where(own.c.brand == brand, own.c.role == "own", own.c.created_at >= since)
            .subquery("own_replies")
        )
        answered = union_all(
            select(written.c.source, written.c.parent_id).where(written.c.parent_id.is_not(None)),
            select(written.c.source, written.c.thread_id).where(written.c.thread_id.is_not(None)),
        )
        return tuple_(M.c.source, M.c.external_id).in_(answered)
    reply = M.alias("reply")

    def replied_via(column: Any) -> ColumnElement[bool]:
        return exists().where(
            reply.c.source == M.c.source,
            column == M.c.external_id,
            own_clause([brand], reply.c.id),
        )

    return or_(replied_via(reply.c.parent_id), replied_via(reply.c.thread_id))


def complaint_rows(
    conn: Connection, scope: BrandScope, brand: Brand, cfg: ScoringSettings
) -> list[ComplaintRow]:
    """Every complaint in ``scope`` (organic brand mentions labelled as complaints), each
    with what the alerts need to judge it."""
    stmt = scope.select(
        M.c.id,
        M.c.source,
        M.c.external_id,
        M.c.community,
        M.c.author,
        M.c.created_at,
        M.c.parent_id,
        engagement_expr(cfg).label("engagement"),
        L.c.complaint,
        _addressed_expr(brand).label("addressed"),
        replies_to_own_expr(brand.name).label("replies_to_own"),
    ).where(complaint_expr(cfg, brand))  # genre rule: news is never a complaint
    return [
        ComplaintRow(
            int(r.id),
            r.source,
            r.external_id,
            r.community,
            r.author,
            r.created_at,
            r.parent_id,
            int(r.engagement or 0),
            float(r.complaint),
            bool(r.addressed),
            bool(r.replies_to_own),
        )
        for r in conn.execute(stmt)
    ]


def own_posts(
    conn: Connection, brand: str, filters: MentionFilters, since: datetime
) -> list[OwnPost]:
    """What the brand's own accounts wrote since ``since`` (the replies a complaint made
    after ``since`` could have received; a small set: the brand's own voice)."""
    stmt = (
        select(M.c.source, M.c.external_id, M.c.parent_id, M.c.thread_id, M.c.created_at)
        .select_from(X.join(M, M.c.id == X.c.mention_id))
        .where(
            X.c.brand == brand,
            X.c.role == "own",
            X.c.created_at >= since,
            M.c.deleted == false(),
        )
    )
    if filters.sources:
        stmt = stmt.where(M.c.source.in_(filters.sources))
    return [OwnPost(*r) for r in conn.execute(stmt)]


def _count_exprs(
    cfg: ScoringSettings, brand: Brand
) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """SQL aggregates: complaints (never editorial items, ``scoring.genre``), and the rate's
    denominator (labelled or all organic)."""
    is_complaint = func.sum(case((complaint_expr(cfg, brand), 1), else_=0))
    denominator = func.count() if cfg.complaint_rate_denominator == "all" else func.count(L.c.id)
    return is_complaint, denominator


def _daily_counts(q: BrandQuery, window: Period) -> dict[date, tuple[int, int]]:
    """(complaints, organic denominator) per UTC day of ``window``, day by day
    (``scoring.daily``), so the series adds up to the period's figures."""
    conn, cfg, brand = q.conn, q.cfg, q.brand

    def compute(part: Period) -> Any:
        day = day_bucket(X.c.created_at, conn.dialect.name).label("day")
        stmt = q.scope.with_period(part).select(day, *_count_exprs(cfg, brand)).group_by(day)
        return conn.execute(stmt)

    rows = per_day(conn, q.key("complaints.daily"), window, compute)
    return {as_date(d): (int(n or 0), int(t or 0)) for d, n, t in rows}  # one row a day


def rate_buckets(
    daily: dict[date, tuple[int, int]], period: Period, granularity: Granularity
) -> tuple[RatePoint, ...]:
    """The complaint rate per day (or ISO week) of the period, every bucket listed."""
    out = []
    for key, days in bucket_days(period, granularity).items():
        n = sum(daily.get(d, (0, 0))[0] for d in days)
        total = sum(daily.get(d, (0, 0))[1] for d in days)
        out.append(RatePoint(key, n, total, metrics.complaint_rate(n, total)))
    return tuple(out)


def first_reply_expr(brand: str, since: datetime) -> ColumnElement[Any]:
    """SQL twin of :func:`first_replies`: when the first own-account reply written since
    ``since`` to the mention was written (NULL: none yet)."""
    reply = M.alias("first_reply")
    return (
        select(func.min(reply.c.created_at))
        .where(
            reply.c.source == M.c.source,
            or_(reply.c.parent_id == M.c.external_id, reply.c.thread_id == M.c.external_id),
            reply.c.created_at >= since,
            own_clause([brand], reply.c.id),
        )
        .scalar_subquery()
    )


def _company_expr(brand: Brand) -> ColumnElement[bool]:
    """SQL twin of :func:`complaint_channel`: the complaint was made to the company."""
    own = sorted({c.casefold() for c in brand.own_communities})
    in_own: ColumnElement[bool] = (
        func.lower(func.coalesce(M.c.community, "")).in_(own) if own else false()
    )
    return or_(in_own, _addressed_expr(brand), replies_to_own_expr(brand.name))


def _utc(value: datetime | str) -> datetime:
    """A timestamp from the database or from the figure cache (ISO text), aware UTC."""
    when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _handling(q: BrandQuery) -> tuple[int, list[tuple[str, str]], list[list[Any]], int]:
    """How the period's complaints were handled, day by day (``scoring.daily``): how many
    went to the company; (created, first reply) of each answered one; the most engaged
    unanswered ones (each day's leaders, merged); and how many are unanswered.

    Replies count whenever they come (after the period too): an own post that answers
    marks the day of the post it answers as changed (``storage/daycache.py``).
    """
    conn, cfg, brand = q.conn, q.cfg, q.brand
    day = day_bucket(X.c.created_at, conn.dialect.name)
    is_complaint = complaint_expr(cfg, brand)

    def counts(part: Period) -> Any:
        replied = replied_expr(brand.name, part.start)
        company = func.sum(case((_company_expr(brand), 1), else_=0))
        unanswered = func.sum(case((replied, 0), else_=1))
        stmt = q.scope.with_period(part).select(day, company, unanswered).where(is_complaint)
        return conn.execute(stmt.group_by(day))

    def answered(part: Period) -> Any:
        replied = replied_expr(brand.name, part.start)
        first = first_reply_expr(brand.name, part.start)
        stmt = q.scope.with_period(part).select(day, M.c.created_at, first).where(is_complaint)
        return conn.execute(stmt.where(replied))

    def rank(r: Sequence[Any]) -> tuple[Any, ...]:  # most engaged, surest, oldest first
        return (-int(r[6] or 0), -float(r[7]), _utc(r[5]), int(r[1]))

    def leaders(part: Period) -> list[Sequence[Any]]:
        # Every complaint of the part with whether it was answered, ranked here: as a
        # filter in SQL the answered set misleads PostgreSQL's planner into a full scan.
        stmt = (
            q.scope.with_period(part)
            .select(
                day,
                M.c.id,
                M.c.source,
                M.c.community,
                M.c.author,
                M.c.created_at,
                engagement_expr(cfg),
                L.c.complaint,
                _company_expr(brand),
                case((replied_expr(brand.name, part.start), 1), else_=0),
            )
            .where(is_complaint)
        )
        open_ = [r[:-1] for r in conn.execute(stmt) if not r[-1]]
        return heapq.nsmallest(cfg.queue_size, open_, key=rank)

    period = q.scope.period
    company = unanswered_total = 0
    for _day, to_company, unanswered in per_day(conn, q.key("complaints.counts"), period, counts):
        company += int(to_company or 0)
        unanswered_total += int(unanswered or 0)
    answered_at = [
        (str(created), str(first))
        for _day, created, first in per_day(conn, q.key("complaints.answered"), period, answered)
    ]
    queue = heapq.nsmallest(
        cfg.queue_size,
        per_day(conn, q.key("complaints.queue"), period, leaders),
        key=rank,
    )
    return company, answered_at, queue, unanswered_total


def complaint_behaviour(
    bind: Engine | Connection,
    settings: Settings,
    brand: str,
    period: Period,
    *,
    filters: MentionFilters = NO_FILTERS,
    model_version: str | None = None,
    scoring: ScoringSettings | None = None,
    granularity: Granularity = "week",
) -> ComplaintBehaviour:
    """Complaint behaviour for ``brand`` over ``period`` (DESIGN.md §3).

    rate = complaints / organic mentions × 100 (labelled ones by default); channel split
    to the company vs to peers; response rate = complaints with an own-account reply /
    complaints × 100 and the median hours to that first reply (replies may come after the
    period ends); the unanswered queue sorted by engagement, most engaged first; the rate
    per ISO week (or day, ``granularity="day"``) of the period.
    """
    with brand_query(
        bind, settings, brand, period, filters, model_version, scoring, organic=True
    ) as q:
        conn, version, name = q.conn, q.version, q.brand.name
        daily = _daily_counts(q, period)
        n_now = sum(n for n, _t in daily.values())
        organic_now = sum(t for _n, t in daily.values())
        previous = _daily_counts(q, period.previous)
        n_before = sum(n for n, _t in previous.values())
        organic_before = sum(t for _n, t in previous.values())
        company, answered_at, queue_rows, unanswered_total = _handling(q)
        texts: dict[int, tuple[str, str | None]] = {}
        if queue_rows:
            stmt = select(M.c.id, M.c.text, M.c.url).where(M.c.id.in_([r[1] for r in queue_rows]))
            texts = {int(i): (t, u) for i, t, u in conn.execute(stmt)}

    delays = sorted(
        max(0.0, (_utc(first) - _utc(created)).total_seconds()) / 3600.0
        for created, first in answered_at
    )
    queue = tuple(
        QueuedComplaint(
            mention_id=int(mention_id),
            source=source,
            community=community,
            author=author,
            created_at=_utc(created),
            text=texts.get(int(mention_id), ("", None))[0],
            url=texts.get(int(mention_id), ("", None))[1],
            engagement=int(engagement or 0),
            complaint=float(complaint),
            channel="company" if to_company else "peers",
        )
        for _day, mention_id, source, community, author, created, engagement, complaint, to_company in (
            queue_rows
        )
    )
    answered = len(answered_at)  # n_now complaints in all, the same rows day by day
    response = metrics.ratio(answered, n_now)
    share_company = metrics.ratio(company, n_now)
    return ComplaintBehaviour(
        brand=name,
        period=period,
        model_version=version,
        complaints=Comparison.relative(n_now, n_before),
        rate_pct=Comparison.points(
            metrics.complaint_rate(n_now, organic_now),
            metrics.complaint_rate(n_before, organic_before),
        ),
        channel=ChannelSplit(
            to_company=company,
            to_peers=n_now - company,
            to_company_pct=None if share_company is None else share_company * 100.0,
        ),
        answered=answered,
        response_rate_pct=None if response is None else response * 100.0,
        median_first_reply_hours=metrics.median(delays),
        unanswered=queue,
        unanswered_total=unanswered_total,
        granularity=granularity,
        rate_series=rate_buckets(daily, period, granularity),
    )
