"""Community hotspots: where the brand's customers gather, and whether to join them.

For each community with at least ``hotspot_min_mentions`` mentions in the window — brand,
competitor or category talk (a community full of category and competitor talk where the brand
is absent is exactly one worth joining) — seven factors (DESIGN.md §3):

==============  ===============================================================================
relevance       mentions in the window (distinct, brand + competitors + category)
growth          (mentions − previous) / (previous + smoothing), previous = the window before
depth           conversation depth: comments (and answers) per post, from the sources' counts
quality         mean quality score of the labelled mentions
nss             sentiment openness: NSS of the labelled organic mentions
opportunity     organic unanswered questions + complaints without an own-account reply
presence        posts by the brand's own accounts in the window
==============  ===============================================================================

The genre rules (``scoring.genre``) decide what the model must not: posts by the own
accounts of the brand or its competitors are answers, so they count in relevance, growth,
depth and quality but never in the sentiment or the opportunity; news items no customer
wrote keep their sentiment but are never complaints.

Each factor is normalised across the communities into [0, 1] (``hotspot_normalisation``),
weighted (``[scoring.hotspot_weights]``), and the score is Σ w·x / Σ|w|. The factors with the
largest positive contributions explain it; the recommendation is *already present* where the
brand posts or runs the community, *join* at or above ``hotspot_join_score``, else *watch*.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    case,
    false,
    func,
    literal,
    select,
)

from config.scoring import ScoringSettings
from config.settings import Settings
from scoring import metrics
from scoring.complaints import replied_expr
from scoring.daily import per_day
from scoring.genre import complaint_expr, own_expr
from scoring.queries import BrandQuery, L, M, X, brand_query, day_bucket, language_expr
from scoring.records import NO_FILTERS, Hotspot, HotspotFactor, MentionFilters, Period

__all__ = ["CommunityFacts", "community_hotspots", "rank_hotspots"]

FACTORS = ("relevance", "growth", "depth", "quality", "nss", "opportunity", "presence")
_POST_KINDS = ("post", "question")


@dataclasses.dataclass(frozen=True, slots=True)
class CommunityFacts:
    """What the store says about one community over the window (the raw factor inputs)."""

    community: str
    mentions: int
    previous_mentions: int
    posts: int
    replies_on_posts: int  # the sources' comment + answer counts on those posts
    labelled: int
    quality_sum: float
    positive: int
    negative: int
    unanswered_questions: int
    unanswered_complaints: int
    own_posts: int
    own_community: bool
    brand_mentions: int = 0
    competitor_mentions: int = 0
    category_mentions: int = 0

    def factors(self, growth_smoothing: float) -> dict[str, float | None]:
        return {
            "relevance": float(self.mentions),
            "growth": metrics.growth(self.mentions, self.previous_mentions, growth_smoothing),
            "depth": metrics.ratio(self.replies_on_posts, self.posts),
            "quality": metrics.ratio(self.quality_sum, self.labelled),
            "nss": metrics.net_sentiment_score(self.positive, self.negative),
            "opportunity": float(self.unanswered_questions + self.unanswered_complaints),
            "presence": float(self.own_posts),
        }


def rank_hotspots(facts: list[CommunityFacts], cfg: ScoringSettings) -> list[Hotspot]:
    """Pure: normalise each factor across ``facts``, weight, score, explain, recommend.

    The result is sorted best first (ties by community name), so it does not depend on the
    order of ``facts``.
    """
    facts = sorted(
        (f for f in facts if f.mentions >= cfg.hotspot_min_mentions), key=lambda f: f.community
    )
    raw = [f.factors(cfg.hotspot_growth_smoothing) for f in facts]
    norm: dict[str, list[float | None]] = {
        name: metrics.normalise(
            [r[name] for r in raw],
            cfg.hotspot_normalisation,
            log_scale=name in cfg.hotspot_log_scale,
        )
        for name in FACTORS
    }
    weights = cfg.hotspot_weights.as_dict()
    out: list[Hotspot] = []
    for i, f in enumerate(facts):
        normalised = {name: norm[name][i] for name in FACTORS}
        score, contributions = metrics.hotspot_score(normalised, weights)
        explaining = sorted(
            (name for name in FACTORS if contributions[name] > 0),
            key=lambda n: (-contributions[n], FACTORS.index(n)),
        )[: cfg.hotspot_top_factors]
        present = f.own_posts > 0 or f.own_community
        out.append(
            Hotspot(
                community=f.community,
                score=score,
                factors=tuple(
                    HotspotFactor(name, raw[i][name], normalised[name], contributions[name])
                    for name in FACTORS
                ),
                top_factors=tuple(explaining),
                recommendation=metrics.recommendation(score, present, cfg.hotspot_join_score),
                mentions=f.mentions,
                brand_mentions=f.brand_mentions,
                competitor_mentions=f.competitor_mentions,
                category_mentions=f.category_mentions,
            )
        )
    out.sort(key=lambda h: (-h.score, h.community))
    return out


def community_hotspots(
    bind: Engine | Connection,
    settings: Settings,
    brand: str,
    period: Period,
    *,
    filters: MentionFilters = NO_FILTERS,
    model_version: str | None = None,
    scoring: ScoringSettings | None = None,
    limit: int | None = None,
) -> tuple[Hotspot, ...]:
    """Every community worth a look for ``brand`` over ``period``, best first."""
    with brand_query(bind, settings, brand, period, filters, model_version, scoring) as q:
        facts = _facts(q)
    ranked = rank_hotspots(facts, q.cfg)
    return tuple(ranked if limit is None else ranked[:limit])


def _facts(q: BrandQuery) -> list[CommunityFacts]:
    # Mention by mention (a mention matching several names counts once): one aggregate scan
    # of the window, and a bare count per community of the window before it, both day by
    # day (``scoring.daily``).
    conn, brand, filters, version, cfg = q.conn, q.brand, q.scope.filters, q.version, q.cfg
    period, names = q.scope.period, [brand.name, *brand.competitors]
    own_communities = {c.casefold() for c in brand.own_communities}
    label_join = and_(L.c.mention_id == M.c.id, L.c.model_version == (version or ""))
    day = day_bucket(M.c.created_at, conn.dialect.name)

    def where(p: Period) -> list[ColumnElement[bool]]:
        ids = select(X.c.mention_id).where(
            X.c.brand.in_(names),
            X.c.role.in_(("brand", "category")),
            X.c.created_at >= p.start,
            X.c.created_at < p.end,
        )
        clauses: list[ColumnElement[bool]] = [
            M.c.id.in_(ids),
            M.c.deleted == false(),
            M.c.community.is_not(None),
        ]
        if filters.sources:
            clauses.append(M.c.source.in_(filters.sources))
        if filters.languages:
            clauses.append(language_expr().in_(filters.languages))
        return clauses

    def previous(part: Period) -> Any:
        return conn.execute(
            select(day, M.c.community, func.count())
            .select_from(M.outerjoin(L, label_join) if filters.languages else M)
            .where(*where(part))
            .group_by(day, M.c.community)
        )

    is_post = M.c.kind.in_(_POST_KINDS)

    def count_if(condition: ColumnElement[bool], value: Any = 1) -> ColumnElement[Any]:
        return func.sum(case((condition, value), else_=0))

    name = brand.name
    competitors = [n for n in names if n != name]

    def main(part: Period) -> Any:
        # The brand, competitor, category and own-account sets are the part's own matches:
        # sets the database builds once per statement, small however large the store.
        def matched_as(brands: list[str], role: str) -> ColumnElement[bool]:
            hit = X.alias("hit")
            return M.c.id.in_(
                select(hit.c.mention_id).where(
                    hit.c.brand.in_(brands),
                    hit.c.role == role,
                    hit.c.created_at >= part.start,
                    hit.c.created_at < part.end,
                )
            )

        organic = ~own_expr(names, window=part)
        unanswered_complaint = and_(
            organic, complaint_expr(cfg, brand), ~replied_expr(name, part.start)
        )
        unanswered_question = and_(
            organic, M.c.kind == "question", func.coalesce(M.c.answers, 0) == 0
        )
        return conn.execute(
            select(
                day,
                M.c.community,
                func.count(),
                count_if(is_post),
                count_if(is_post, func.coalesce(M.c.comments, 0) + func.coalesce(M.c.answers, 0)),
                func.count(L.c.id),
                func.sum(L.c.quality_score),
                count_if(and_(organic, L.c.sentiment == "positive")),
                count_if(and_(organic, L.c.sentiment == "negative")),
                count_if(unanswered_question),
                count_if(unanswered_complaint),
                count_if(matched_as([name], "brand")),
                count_if(matched_as(competitors, "brand")) if competitors else literal(0),
                count_if(matched_as(names, "category")),
            )
            .select_from(M.outerjoin(L, label_join))
            .where(*where(part))
            .group_by(day, M.c.community)
        )

    def own_in_window(part: Period) -> Any:
        return conn.execute(
            select(day, M.c.community, func.count())
            .select_from(X.join(M, M.c.id == X.c.mention_id))
            .where(
                X.c.brand == name,
                X.c.role == "own",
                X.c.created_at >= part.start,
                X.c.created_at < part.end,
                M.c.deleted == false(),
                M.c.community.is_not(None),
            )
            .group_by(day, M.c.community)
        )

    own_counts: Counter[str] = Counter()
    for _day, c, n in per_day(conn, q.key("hotspots.own", names), period, own_in_window):
        own_counts[str(c)] += int(n)
    before: Counter[str] = Counter()
    for _day, c, n in per_day(conn, q.key("hotspots.previous", names), period.previous, previous):
        before[str(c)] += int(n)
    totals: dict[str, list[float]] = {}
    for _day, community, *values in per_day(conn, q.key("hotspots.main", names), period, main):
        into = totals.setdefault(str(community), [0.0] * len(values))
        for i, v in enumerate(values):
            into[i] += float(v or 0)
    out = []
    for key, values in totals.items():
        n, posts, replies, labelled, qsum, pos, neg, questions, open_, n_brand, n_comp, n_cat = (
            values
        )
        out.append(
            CommunityFacts(
                community=key,
                mentions=int(n),
                previous_mentions=before.get(key, 0),
                posts=int(posts),
                replies_on_posts=int(replies),
                labelled=int(labelled),
                quality_sum=qsum,
                positive=int(pos),
                negative=int(neg),
                unanswered_questions=int(questions),
                unanswered_complaints=int(open_),
                own_posts=own_counts.get(key, 0),
                own_community=key.casefold() in own_communities,
                brand_mentions=int(n_brand),
                competitor_mentions=int(n_comp),
                category_mentions=int(n_cat),
            )
        )
    return out
