"""Comment quality mix and engagement depth (DESIGN.md §3).

Quality is a label per mention (constructive, ordinary, low_effort, spam, toxic) with a score
in [0, 1]; the mix is shown per community and for the brand as a whole, with the
quality-weighted engagement Σ engagement × quality score per community (a thread of
constructive comments counts for more than a flood of low-effort ones). Engagement depth maps
each mention kind to a level of Ghuneim's typology through ``[scoring.depth_levels]``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import Connection, Engine, func

from config.scoring import ScoringSettings
from config.settings import Settings
from scoring import metrics
from scoring.daily import per_day
from scoring.queries import L, M, X, brand_query, day_bucket, engagement_expr
from scoring.records import NO_FILTERS, DepthMix, MentionFilters, Period, QualityMix

__all__ = ["depth_mix", "engagement_depth", "quality_mix"]

BRAND_SCOPE = "*"


def quality_mix(
    bind: Engine | Connection,
    settings: Settings,
    brand: str,
    period: Period,
    *,
    filters: MentionFilters = NO_FILTERS,
    model_version: str | None = None,
    scoring: ScoringSettings | None = None,
    by_community: bool = True,
) -> tuple[QualityMix, ...]:
    """The quality mix of the brand's labelled mentions: first the brand as a whole
    (``scope='*'``), then each community (most mentions first) when ``by_community``.

    Shares are percent of labelled mentions in the scope; mean_score is the mean quality
    score; quality-weighted engagement is per community only (a community is on one source,
    and engagement is never summed across sources), None for the brand scope.
    """
    with brand_query(bind, settings, brand, period, filters, model_version, scoring) as q:
        conn, cfg = q.conn, q.cfg

        def compute(part: Period) -> Any:
            day = day_bucket(X.c.created_at, conn.dialect.name)
            stmt = (
                q.scope.with_period(part)
                .select(
                    day,
                    M.c.community,
                    L.c.quality,
                    func.count(),
                    func.sum(L.c.quality_score),
                    func.sum(engagement_expr(cfg) * L.c.quality_score),
                )
                .where(L.c.id.is_not(None))
                .group_by(day, M.c.community, L.c.quality)
            )
            return conn.execute(stmt)

        rows = per_day(conn, q.key("quality.mix"), period, compute)

    counts: dict[str, Counter[str]] = defaultdict(Counter)
    score_sum: dict[str, float] = defaultdict(float)
    weighted: dict[str, float] = defaultdict(float)
    for _day, community, quality, n, s, w in rows:
        key = community or "(none)"
        for scope_key in (BRAND_SCOPE, key):
            counts[scope_key][str(quality)] += int(n)
            score_sum[scope_key] += float(s or 0.0)
        weighted[key] += float(w or 0.0)

    def mix(scope_key: str) -> QualityMix:
        c = counts[scope_key]
        full = {q: c.get(q, 0) for q in metrics.QUALITY_LABELS} | dict(c)
        total = sum(full.values())
        return QualityMix(
            scope=scope_key,
            counts=full,
            shares_pct=metrics.shares(full),
            mean_score=metrics.ratio(score_sum[scope_key], total),
            quality_weighted_engagement=None if scope_key == BRAND_SCOPE else weighted[scope_key],
        )

    out = [mix(BRAND_SCOPE)]
    if by_community:
        communities = [k for k in counts if k != BRAND_SCOPE]
        communities.sort(key=lambda k: (-sum(counts[k].values()), k))
        out.extend(mix(k) for k in communities)
    return tuple(out)


def depth_mix(kinds: Counter[str], cfg: ScoringSettings) -> DepthMix:
    """Fold mention counts per kind into Ghuneim's levels (all four levels always present)."""
    levels: dict[str, int] = dict.fromkeys(metrics.DEPTH_LEVELS, 0)
    for kind, n in kinds.items():
        levels[cfg.depth_level(kind)] += n
    return DepthMix(counts=levels, shares_pct=metrics.shares(levels))


def engagement_depth(
    bind: Engine | Connection,
    settings: Settings,
    brand: str,
    period: Period,
    *,
    filters: MentionFilters = NO_FILTERS,
    model_version: str | None = None,
    scoring: ScoringSettings | None = None,
    organic: bool = True,
) -> DepthMix:
    """How deeply people engage with the brand: its (organic) mentions per depth level."""
    with brand_query(
        bind, settings, brand, period, filters, model_version, scoring, organic=organic
    ) as q:
        conn = q.conn

        def compute(part: Period) -> Any:
            day = day_bucket(X.c.created_at, conn.dialect.name)
            stmt = q.scope.with_period(part).select(day, M.c.kind, func.count())
            return conn.execute(stmt.group_by(day, M.c.kind))

        kinds: Counter[str] = Counter()
        for _day, kind, n in per_day(conn, q.key("quality.depth"), period, compute):
            kinds[str(kind)] += int(n)
    return depth_mix(kinds, q.cfg)
