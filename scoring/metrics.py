"""Pure metric formulas (DESIGN.md §3). No I/O, no database: numbers in, a number out.

Every function returns ``None`` where the definition is undefined (no data, a zero
denominator), so the app can show "—" and nothing downstream ever sees NaN or infinity.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from statistics import median as _median
from typing import Literal

__all__ = [
    "DEPTH_LEVELS",
    "QUALITY_LABELS",
    "complaint_rate",
    "engagement",
    "growth",
    "hotspot_score",
    "linear_trend",
    "median",
    "net_sentiment_score",
    "normalise",
    "percent_change",
    "ratio",
    "recommendation",
    "share_of_voice",
    "shares",
]

DEPTH_LEVELS = ("low", "medium", "high", "highest")
QUALITY_LABELS = ("constructive", "ordinary", "low_effort", "spam", "toxic")


def ratio(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator``; None when the denominator is zero (never inf or NaN)."""
    if denominator == 0:
        return None
    return numerator / denominator


def net_sentiment_score(positive: int, negative: int) -> float | None:
    """NSS = (positive − negative) / (positive + negative) × 100, in [−100, 100].

    Undefined (None, shown "—") with no polar mentions. Neutral mentions do not count.
    """
    if positive < 0 or negative < 0:
        raise ValueError("counts cannot be negative")
    value = ratio(positive - negative, positive + negative)
    return None if value is None else value * 100.0


def share_of_voice(counts: Mapping[str, int]) -> dict[str, float]:
    """SoV(b) = mentions(b) / Σ mentions(brand and its competitors) × 100.

    ``counts`` is the comparison set (the brand and its configured competitors, same
    period and sources). Shares sum to 100; an empty or all-zero set gives ``{}``.
    """
    total = sum(counts.values())
    if any(c < 0 for c in counts.values()):
        raise ValueError("counts cannot be negative")
    if total == 0:
        return {}
    return {name: count * 100.0 / total for name, count in counts.items()}


def shares(counts: Mapping[str, int]) -> dict[str, float]:
    """Percent of the total for each key (a mix: languages, quality labels, depth levels)."""
    return share_of_voice(counts)


def percent_change(current: float | None, previous: float | None) -> float | None:
    """(current − previous) / |previous| × 100; None when either is missing or previous is 0.

    This is *velocity* when applied to volumes of two adjacent periods of equal length.
    """
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous) * 100.0


def complaint_rate(complaints: int, organic: int) -> float | None:
    """Complaint rate = complaints / organic mentions × 100 (percent); None with none."""
    value = ratio(complaints, organic)
    return None if value is None else value * 100.0


def engagement(counts: Mapping[str, int | None], fields: Iterable[str]) -> int:
    """A mention's engagement: the sum of its source's interaction counts named in ``fields``.

    Missing counts are 0. Only comparable within one source (DESIGN.md §3).
    """
    return sum(int(counts.get(f) or 0) for f in fields)


def median(values: Sequence[float]) -> float | None:
    """The median, None for no values."""
    return float(_median(values)) if values else None


def linear_trend(values: Sequence[float]) -> float | None:
    """Least-squares slope of ``values`` against their index (units per step).

    None with fewer than two points (a single point has no trend).
    """
    n = len(values)
    if n < 2:
        return None
    mean_x = (n - 1) / 2.0
    mean_y = sum(values) / n
    sxx = sum((i - mean_x) ** 2 for i in range(n))
    sxy = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values))
    return sxy / sxx


def growth(current: int, previous: int, smoothing: float = 1.0) -> float:
    """Hotspot growth = (current − previous) / (previous + smoothing).

    The smoothing keeps a community that went from 0 to 5 mentions finite (5.0 with the
    default 1) instead of undefined, so new communities can rank as growing.
    """
    if smoothing == 0 and previous == 0:
        return 0.0 if current == 0 else float(current)
    return (current - previous) / (previous + smoothing)


def normalise(
    values: Sequence[float | None],
    method: Literal["minmax", "rank"] = "minmax",
    *,
    log_scale: bool = False,
) -> list[float | None]:
    """Scale a factor across communities into [0, 1]; None stays None.

    ``minmax``: (x − min) / (max − min); when every defined value is equal the factor does not
    tell communities apart and each gets 0. ``rank``: the average rank of x among the defined
    values, (rank − 1) / (n − 1), ties sharing their mean rank; a single value gets 0.
    ``log_scale`` applies log1p first (count-like, heavy-tailed factors; negative → 0).
    """
    xs: list[float | None] = [
        None if v is None else (math.log1p(max(v, 0.0)) if log_scale else float(v)) for v in values
    ]
    defined = [v for v in xs if v is not None]
    if not defined:
        return [None] * len(xs)
    if method == "minmax":
        lo, hi = min(defined), max(defined)
        if hi == lo:
            return [None if v is None else 0.0 for v in xs]
        return [None if v is None else (v - lo) / (hi - lo) for v in xs]
    ordered = sorted(defined)
    n = len(ordered)
    if n == 1:
        return [None if v is None else 0.0 for v in xs]
    first: dict[float, int] = {}
    last: dict[float, int] = {}
    for i, v in enumerate(ordered):
        first.setdefault(v, i)
        last[v] = i
    return [None if v is None else (first[v] + last[v]) / 2.0 / (n - 1) for v in xs]


def hotspot_score(
    normalised: Mapping[str, float | None], weights: Mapping[str, float]
) -> tuple[float, dict[str, float]]:
    """Score = Σ w_f · x_f / Σ |w_f| over the weighted factors, with each contribution.

    A factor that is undefined for a community (None) contributes 0. With non-negative
    weights the score lies in [0, 1]; a negative weight (brand presence by default) pulls it
    down. All weights zero gives 0.
    """
    total = sum(abs(w) for w in weights.values())
    contributions = {
        name: (0.0 if total == 0 or normalised.get(name) is None else w * normalised[name] / total)  # type: ignore[operator]
        for name, w in weights.items()
    }
    return sum(contributions.values()), contributions


def recommendation(score: float, present: bool, join_score: float) -> str:
    """*already present* where the brand's own accounts post (or it runs the community);
    otherwise *join* at or above ``join_score``, else *watch*."""
    if present:
        return "already present"
    return "join" if score >= join_score else "watch"
