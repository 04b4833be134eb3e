"""Rule evaluation: pure functions over numbers and records (DESIGN.md §4).

Nothing here reads the store or the clock: :mod:`grapevine.alerts.check` gathers the
figures (through :mod:`scoring`, so NSS means the same here as in the app) and hands them
in, which keeps every threshold testable with plain numbers.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from scoring import net_sentiment_score, shares

__all__ = [
    "ComplaintCandidate",
    "SentimentCounts",
    "Spike",
    "Swing",
    "in_cooldown",
    "negative_share",
    "negative_swing",
    "new_entries",
    "unanswered_complaints",
    "volume_spike",
]


@dataclasses.dataclass(frozen=True, slots=True)
class Spike:
    """The last 24 h against the trailing baseline of 24 h windows."""

    current: int
    mean: float
    stdev: float
    threshold: float
    k: float

    @property
    def sigmas(self) -> float | None:
        """How many standard deviations above the mean (None for a flat baseline)."""
        return None if self.stdev == 0 else (self.current - self.mean) / self.stdev


def volume_spike(
    current: int, baseline: Sequence[int], *, k: float, min_mentions: int
) -> Spike | None:
    """A spike when ``current > mean + k·σ`` of ``baseline`` and ``current ≥ min_mentions``.

    ``baseline`` holds the mention counts of the trailing 24 h windows (7 by default); σ is
    the population standard deviation of those windows. A flat baseline (σ = 0) spikes on
    any rise above its mean, which ``min_mentions`` keeps from firing on 0 → 1. With no
    baseline windows there is nothing to compare against: no spike.
    """
    if not baseline:
        return None
    mean = sum(baseline) / len(baseline)
    stdev = math.sqrt(sum((x - mean) ** 2 for x in baseline) / len(baseline))
    threshold = mean + k * stdev
    if current > threshold and current >= min_mentions:
        return Spike(current=current, mean=mean, stdev=stdev, threshold=threshold, k=k)
    return None


@dataclasses.dataclass(frozen=True, slots=True)
class SentimentCounts:
    """Labelled mentions of a brand in a window, by sentiment."""

    positive: int = 0
    neutral: int = 0
    negative: int = 0

    @property
    def polar(self) -> int:
        return self.positive + self.negative

    @property
    def labelled(self) -> int:
        return self.positive + self.neutral + self.negative

    @property
    def nss(self) -> float | None:
        """NSS = (positive − negative) / (positive + negative) × 100 (:mod:`scoring`)."""
        return net_sentiment_score(self.positive, self.negative)


def negative_share(counts: SentimentCounts) -> float | None:
    """Negative share = negative / labelled mentions × 100 (the sentiment mix from
    :func:`scoring.shares`); None with no labelled mentions."""
    mix = shares(
        {"positive": counts.positive, "neutral": counts.neutral, "negative": counts.negative}
    )
    return mix.get("negative")


@dataclasses.dataclass(frozen=True, slots=True)
class Swing:
    """How sentiment moved between the baseline and the last 24 h; ``reasons`` says which
    threshold(s) it crossed."""

    nss: float | None
    baseline_nss: float | None
    negative_share: float | None
    baseline_negative_share: float | None
    reasons: tuple[str, ...]

    @property
    def nss_change(self) -> float | None:
        if self.nss is None or self.baseline_nss is None:
            return None
        return self.nss - self.baseline_nss

    @property
    def negative_share_change(self) -> float | None:
        if self.negative_share is None or self.baseline_negative_share is None:
            return None
        return self.negative_share - self.baseline_negative_share


def negative_swing(
    current: SentimentCounts,
    baseline: SentimentCounts,
    *,
    nss_drop: float | None,
    negative_share_rise: float | None,
    min_polar: int,
) -> Swing | None:
    """A swing when NSS fell by at least ``nss_drop`` points, or the negative share rose by
    at least ``negative_share_rise`` percentage points, against the baseline.

    Needs ``min_polar`` polar mentions in the current window (a handful of labels is noise)
    and a defined figure on both sides; undefined figures never fire.
    """
    if current.polar < min_polar:
        return None
    swing = Swing(
        nss=current.nss,
        baseline_nss=baseline.nss,
        negative_share=negative_share(current),
        baseline_negative_share=negative_share(baseline),
        reasons=(),
    )
    reasons: list[str] = []
    drop = swing.nss_change
    if nss_drop is not None and drop is not None and -drop >= nss_drop:
        reasons.append("nss")
    rise = swing.negative_share_change
    if negative_share_rise is not None and rise is not None and rise >= negative_share_rise:
        reasons.append("negative_share")
    if not reasons:
        return None
    return dataclasses.replace(swing, reasons=tuple(reasons))


@dataclasses.dataclass(frozen=True, slots=True)
class ComplaintCandidate:
    """A labelled complaint about the brand, with what decides whether it needs an answer."""

    mention_id: int
    created_at: datetime
    complaint: float
    engagement: int
    answered_at: datetime | None  # first reply from one of the brand's own accounts


def unanswered_complaints(
    candidates: Iterable[ComplaintCandidate],
    *,
    now: datetime,
    threshold: float,
    min_engagement: int,
    answer_within: timedelta,
) -> list[ComplaintCandidate]:
    """Complaints (probability ≥ ``threshold``) with engagement ≥ ``min_engagement`` that no
    own account answered within ``answer_within`` and that are still unanswered now.

    A complaint younger than ``answer_within`` still has time; one answered late is answered
    (alerting about it now would send someone to a thread that was dealt with). Most
    engaged first.
    """
    due = [
        c
        for c in candidates
        if c.complaint >= threshold
        and c.engagement >= min_engagement
        and c.answered_at is None
        and now - c.created_at >= answer_within
    ]
    return sorted(due, key=lambda c: (-c.engagement, c.created_at, c.mention_id))


def new_entries(current_top: Sequence[str], previous_top: Sequence[str]) -> list[str]:
    """Communities in the current top N that were not in the previous top N, in rank order."""
    before = set(previous_top)
    return [c for c in current_top if c not in before]


def in_cooldown(last_fired: datetime | None, *, now: datetime, cooldown: timedelta) -> bool:
    """Whether a rule that last fired at ``last_fired`` must stay quiet at ``now``."""
    return last_fired is not None and now - last_fired < cooldown
