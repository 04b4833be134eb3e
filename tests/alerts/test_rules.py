"""The pure rule functions, with plain numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from grapevine.alerts.rules import (
    ComplaintCandidate,
    SentimentCounts,
    in_cooldown,
    negative_share,
    negative_swing,
    new_entries,
    unanswered_complaints,
    volume_spike,
)

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def test_spike_above_mean_plus_k_sigma() -> None:
    baseline = [10, 12, 8, 10, 11, 9, 10]  # mean 10, population σ = sqrt(10/7) ≈ 1.195
    spike = volume_spike(14, baseline, k=3, min_mentions=5)
    assert spike is not None
    assert spike.mean == pytest.approx(10.0)
    assert spike.stdev == pytest.approx((10 / 7) ** 0.5)
    assert spike.threshold == pytest.approx(10 + 3 * (10 / 7) ** 0.5)
    assert spike.sigmas == pytest.approx(4 / (10 / 7) ** 0.5)


def test_no_spike_at_or_below_threshold() -> None:
    baseline = [10, 12, 8, 10, 11, 9, 10]
    assert volume_spike(13, baseline, k=3, min_mentions=5) is None  # 13 < 13.59
    assert volume_spike(10, baseline, k=0.5, min_mentions=5) is None


def test_flat_baseline_needs_min_mentions() -> None:
    assert volume_spike(1, [0] * 7, k=3, min_mentions=10) is None
    spike = volume_spike(10, [0] * 7, k=3, min_mentions=10)
    assert spike is not None
    assert spike.sigmas is None


def test_no_baseline_no_spike() -> None:
    assert volume_spike(100, [], k=3, min_mentions=1) is None


def test_negative_share_and_nss_come_from_scoring_definitions() -> None:
    counts = SentimentCounts(positive=6, neutral=2, negative=2)
    assert counts.nss == pytest.approx(50.0)  # (6 - 2) / (6 + 2) × 100
    assert negative_share(counts) == pytest.approx(20.0)  # 2 / 10 × 100
    assert negative_share(SentimentCounts()) is None
    assert SentimentCounts(neutral=3).nss is None


def test_swing_on_nss_drop() -> None:
    before = SentimentCounts(positive=60, neutral=20, negative=20)  # NSS +50, neg 20%
    after = SentimentCounts(positive=5, neutral=0, negative=5)  # NSS 0, neg 50%
    swing = negative_swing(after, before, nss_drop=25, negative_share_rise=None, min_polar=10)
    assert swing is not None
    assert swing.reasons == ("nss",)
    assert swing.nss_change == pytest.approx(-50.0)


def test_swing_on_negative_share_only() -> None:
    before = SentimentCounts(positive=10, neutral=80, negative=10)  # NSS 0, neg 10%
    after = SentimentCounts(positive=10, neutral=10, negative=10)  # NSS 0, neg 33%
    swing = negative_swing(after, before, nss_drop=25, negative_share_rise=15, min_polar=10)
    assert swing is not None
    assert swing.reasons == ("negative_share",)
    assert swing.negative_share_change == pytest.approx(100 / 3 - 10)


def test_no_swing_when_stable_thin_or_undefined() -> None:
    before = SentimentCounts(positive=60, neutral=20, negative=20)
    same = SentimentCounts(positive=6, neutral=2, negative=2)
    assert negative_swing(same, before, nss_drop=25, negative_share_rise=15, min_polar=5) is None
    thin = SentimentCounts(positive=0, negative=3)
    assert negative_swing(thin, before, nss_drop=25, negative_share_rise=15, min_polar=5) is None
    # no baseline labels: both baseline figures undefined, nothing to compare with
    bad = SentimentCounts(positive=0, negative=20)
    assert (
        negative_swing(bad, SentimentCounts(), nss_drop=25, negative_share_rise=15, min_polar=5)
        is None
    )


def _complaint(i: int, hours_ago: float, engagement: int, **kw: object) -> ComplaintCandidate:
    values: dict[str, object] = {
        "mention_id": i,
        "created_at": NOW - timedelta(hours=hours_ago),
        "complaint": 0.9,
        "engagement": engagement,
        "answered_at": None,
    }
    values.update(kw)
    return ComplaintCandidate(**values)  # type: ignore[arg-type]


def test_unanswered_complaints_filters_and_orders() -> None:
    candidates = [
        _complaint(1, 10, 7),
        _complaint(2, 10, 30),
        _complaint(3, 1, 50),  # still within the 4 h to answer
        _complaint(4, 10, 2),  # too little engagement
        _complaint(5, 10, 40, answered_at=NOW - timedelta(hours=1)),  # answered (late)
        _complaint(6, 10, 40, complaint=0.3),  # below the threshold
    ]
    due = unanswered_complaints(
        candidates,
        now=NOW,
        threshold=0.5,
        min_engagement=5,
        answer_within=timedelta(hours=4),
    )
    assert [c.mention_id for c in due] == [2, 1]


def test_new_entries_keeps_rank_order() -> None:
    assert new_entries(["a", "x", "b", "y"], ["a", "b", "c", "d"]) == ["x", "y"]
    assert new_entries(["a"], []) == ["a"]
    assert new_entries([], ["a"]) == []


def test_cooldown() -> None:
    assert not in_cooldown(None, now=NOW, cooldown=timedelta(hours=1))
    assert in_cooldown(NOW - timedelta(minutes=59), now=NOW, cooldown=timedelta(hours=1))
    assert not in_cooldown(NOW - timedelta(hours=1), now=NOW, cooldown=timedelta(hours=1))
