"""Quality mix and engagement depth on a hand-made store."""

from __future__ import annotations

from collections import Counter

import pytest

from config import Settings
from scoring import Period, engagement_depth, quality_mix, scoring_settings
from scoring.quality import depth_mix
from storage import Store
from tests.scoring.conftest import Row, at, seed

PERIOD = Period(at(10, 0), at(13, 0))
RED = {"source": "reddit", "community": "reddit:r/coffee"}


def test_quality_mix_by_hand(store: Store, acme: Settings) -> None:
    seed(
        store,
        [
            Row("q1", at(10), quality="constructive", quality_score=0.9, score=10),
            Row("q2", at(10), quality="low_effort", quality_score=0.2, score=5),
            Row("q3", at(11), quality="constructive", quality_score=0.7, score=2, **RED),
            Row("q4", at(11), quality="spam", quality_score=0.1, score=100, **RED),
            Row("q5", at(12), sentiment=None, **RED),  # unlabelled: not in the mix
        ],
    )
    brand, *per = quality_mix(store.engine, acme, "Acme", PERIOD)
    assert brand.scope == "*"
    # 4 labelled: constructive 2 (50 %), low_effort 1 (25 %), spam 1 (25 %)
    assert brand.counts == {
        "constructive": 2,
        "ordinary": 0,
        "low_effort": 1,
        "spam": 1,
        "toxic": 0,
    }
    assert brand.shares_pct["constructive"] == pytest.approx(50.0)
    # mean score (0.9 + 0.2 + 0.7 + 0.1) / 4 = 0.475
    assert brand.mean_score == pytest.approx(0.475)
    assert brand.quality_weighted_engagement is None
    hn, red = sorted(per, key=lambda m: m.scope)
    # hackernews: 10 x 0.9 + 5 x 0.2 = 10; reddit: 2 x 0.7 + 100 x 0.1 = 11.4
    assert hn.quality_weighted_engagement == pytest.approx(10.0)
    assert red.quality_weighted_engagement == pytest.approx(11.4)
    assert red.mean_score == pytest.approx(0.4)  # (0.7 + 0.1) / 2


def test_engagement_depth_by_hand(store: Store, acme: Settings) -> None:
    own = (("Acme", "brand"), ("Acme", "own"))
    seed(
        store,
        [
            Row("d1", at(10), kind="post"),
            Row("d2", at(10), kind="comment"),
            Row("d3", at(11), kind="comment"),
            Row("d4", at(11), kind="review", source="appstore", community="appstore:1"),
            Row("d5", at(12), kind="post", author="acme_support", brands=own),  # not organic
        ],
    )
    d = engagement_depth(store.engine, acme, "Acme", PERIOD)
    # post + review = high 2; comment x 2 = medium 2 -> 50 % each
    assert d.counts == {"low": 0, "medium": 2, "high": 2, "highest": 0}
    assert d.shares_pct == {"low": 0.0, "medium": 50.0, "high": 50.0, "highest": 0.0}
    assert engagement_depth(store.engine, acme, "Acme", PERIOD, organic=False).counts["high"] == 3


def test_depth_levels_come_from_config() -> None:
    cfg = scoring_settings(depth_levels={"comment": "low", "post": "highest"})
    mix = depth_mix(Counter({"comment": 3, "post": 1, "unknown-kind": 1}), cfg)
    # unknown kinds count as medium (commenting-like interaction)
    assert mix.counts == {"low": 3, "medium": 1, "high": 0, "highest": 1}
    assert depth_mix(Counter(), cfg).shares_pct == {}
