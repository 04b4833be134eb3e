"""The pure formulas: hand-worked values, edge cases, and invariants (hypothesis)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import metrics

counts = st.dictionaries(st.text(min_size=1, max_size=5), st.integers(0, 10**6), max_size=8)


def test_nss_by_hand() -> None:
    # 6 positive, 2 negative: (6 - 2) / (6 + 2) * 100 = 50
    assert metrics.net_sentiment_score(6, 2) == pytest.approx(50.0)
    # 1 positive, 3 negative: (1 - 3) / 4 * 100 = -50
    assert metrics.net_sentiment_score(1, 3) == pytest.approx(-50.0)
    assert metrics.net_sentiment_score(0, 5) == pytest.approx(-100.0)


def test_nss_undefined_without_polar_mentions() -> None:
    assert metrics.net_sentiment_score(0, 0) is None
    with pytest.raises(ValueError, match="negative"):
        metrics.net_sentiment_score(-1, 2)


@given(st.integers(0, 10**9), st.integers(0, 10**9))
def test_nss_stays_in_range(positive: int, negative: int) -> None:
    value = metrics.net_sentiment_score(positive, negative)
    if positive + negative == 0:
        assert value is None
    else:
        assert value is not None
        assert -100.0 <= value <= 100.0
        assert not math.isnan(value)


def test_sov_by_hand() -> None:
    # 3 + 1 = 4 mentions: 3/4 = 75 %, 1/4 = 25 %
    assert metrics.share_of_voice({"Acme": 3, "Globex": 1}) == {"Acme": 75.0, "Globex": 25.0}
    assert metrics.share_of_voice({"Acme": 0, "Globex": 0}) == {}
    assert metrics.share_of_voice({}) == {}


@given(counts)
def test_sov_sums_to_100_over_the_comparison_set(c: dict[str, int]) -> None:
    shares = metrics.share_of_voice(c)
    if sum(c.values()) == 0:
        assert shares == {}
    else:
        assert set(shares) == set(c)
        assert sum(shares.values()) == pytest.approx(100.0)
        assert all(0.0 <= v <= 100.0 for v in shares.values())


@given(counts)
def test_sov_invariant_to_order(c: dict[str, int]) -> None:
    reversed_counts = dict(reversed(list(c.items())))
    assert metrics.share_of_voice(reversed_counts) == metrics.share_of_voice(c)


def test_percent_change_and_rates() -> None:
    # 15 now vs 10 before: (15 - 10) / 10 * 100 = 50 %
    assert metrics.percent_change(15, 10) == pytest.approx(50.0)
    assert metrics.percent_change(5, 10) == pytest.approx(-50.0)
    assert metrics.percent_change(5, 0) is None
    assert metrics.percent_change(None, 3) is None
    # 3 complaints in 12 organic mentions: 3 / 12 * 100 = 25 %
    assert metrics.complaint_rate(3, 12) == pytest.approx(25.0)
    assert metrics.complaint_rate(0, 0) is None
    assert metrics.ratio(1, 0) is None


def test_linear_trend_by_hand() -> None:
    # y = 1, 3, 5: mean x = 1, mean y = 3; Sxy = (-1)(-2) + 0 + (1)(2) = 4; Sxx = 2 -> 2
    assert metrics.linear_trend([1, 3, 5]) == pytest.approx(2.0)
    assert metrics.linear_trend([4]) is None
    assert metrics.linear_trend([]) is None
    assert metrics.linear_trend([2, 2, 2]) == pytest.approx(0.0)


def test_median_and_engagement() -> None:
    assert metrics.median([3.0, 1.0, 2.0]) == 2.0
    assert metrics.median([1.0, 4.0]) == 2.5
    assert metrics.median([]) is None
    # Reddit: score 10 + comments 4 = 14; answers is missing (0)
    fields = ["score", "comments", "answers"]
    assert metrics.engagement({"score": 10, "comments": 4, "answers": None}, fields) == 14


def test_growth_with_smoothing() -> None:
    # (8 - 3) / (3 + 1) = 1.25 ; a new community 0 -> 5: 5 / 1 = 5
    assert metrics.growth(8, 3) == pytest.approx(1.25)
    assert metrics.growth(5, 0) == pytest.approx(5.0)
    assert metrics.growth(5, 0, smoothing=0) == pytest.approx(5.0)
    assert metrics.growth(0, 0, smoothing=0) == 0.0


def test_normalise_minmax_and_rank() -> None:
    # min 2, max 10: (2-2)/8 = 0, (6-2)/8 = 0.5, (10-2)/8 = 1
    assert metrics.normalise([2, 6, 10, None]) == [0.0, 0.5, 1.0, None]
    # all equal: no information -> 0
    assert metrics.normalise([3, 3]) == [0.0, 0.0]
    assert metrics.normalise([None, None]) == [None, None]
    # ranks of 5, 1, 5, 9 among 4 values: 1 -> 0; 5,5 share ranks 1 and 2 -> 1.5/3 = 0.5; 9 -> 1
    assert metrics.normalise([5, 1, 5, 9], "rank") == [0.5, 0.0, 0.5, 1.0]
    # log1p: e - 1 -> 1, 0 -> 0, so minmax gives 0 and 1
    assert metrics.normalise([math.e - 1, 0], log_scale=True) == [1.0, 0.0]


@given(st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6)), max_size=12))
def test_normalise_stays_in_unit_interval(values: list[float | None]) -> None:
    for method in ("minmax", "rank"):
        out = metrics.normalise(values, method)  # type: ignore[arg-type]
        assert [v is None for v in out] == [v is None for v in values]
        assert all(0.0 <= v <= 1.0 for v in out if v is not None)


def test_hotspot_score_by_hand() -> None:
    # weights 1, 1, -2 (Σ|w| = 4); x = 1, 0.5, 0.25
    # contributions 1/4 = 0.25, 0.5/4 = 0.125, -2*0.25/4 = -0.125 -> score 0.25
    score, parts = metrics.hotspot_score(
        {"a": 1.0, "b": 0.5, "c": 0.25}, {"a": 1.0, "b": 1.0, "c": -2.0}
    )
    assert score == pytest.approx(0.25)
    assert parts == pytest.approx({"a": 0.25, "b": 0.125, "c": -0.125})
    # an undefined factor contributes nothing
    score, parts = metrics.hotspot_score({"a": None, "b": 1.0}, {"a": 1.0, "b": 1.0})
    assert score == pytest.approx(0.5)
    assert metrics.hotspot_score({"a": 1.0}, {"a": 0.0}) == (0.0, {"a": 0.0})


def test_recommendation() -> None:
    assert metrics.recommendation(0.9, present=True, join_score=0.3) == "already present"
    assert metrics.recommendation(0.3, present=False, join_score=0.3) == "join"
    assert metrics.recommendation(0.29, present=False, join_score=0.3) == "watch"
