"""Brand overview on a hand-made store; every expected figure is worked out in comments."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest

from config import Settings
from scoring import MentionFilters, Period, brand_overview
from storage import Store, open_store
from tests.scoring.conftest import VERSION, Row, at, seed

# Period: 10-12 Nov (3 days, [10 Nov 00:00, 13 Nov 00:00)); previous: 7-9 Nov.
PERIOD = Period(at(10, 0), at(13, 0))

ROWS = [
    Row("a1", at(10, 10), kind="post", score=10, comments=5, sentiment="positive"),
    Row("a2", at(10, 12), score=2, sentiment="positive"),
    Row(
        "a3",
        at(11),
        source="reddit",
        community="reddit:r/coffee",
        score=4,
        comments=1,
        sentiment="negative",
        label_language="de",
    ),
    Row("a4", at(12), source="reddit", community="reddit:r/coffee", kind="post", score=0),
    Row("a5", at(12, 13), sentiment="positive", deleted=True, score=100),  # never counts
    Row("a6", at(12, 14), sentiment=None),  # unlabelled, no language -> "und"
    Row("g1", at(11), brands=(("Globex", "brand"),), sentiment="positive"),
    Row("g2", at(12), brands=(("Globex", "brand"),), sentiment="negative"),
    Row("ag", at(12), brands=(("Acme", "category"),)),  # category-only: not volume
    Row("p1", at(8), score=1, sentiment="positive"),  # previous period
    Row("p2", at(8), brands=(("Globex", "brand"),)),
    Row("old", at(9), sentiment="negative", version="old-0"),  # another model's label
]


def test_overview_by_hand(store: Store, acme: Settings) -> None:
    seed(store, ROWS)
    o = brand_overview(store.engine, acme, "acme", PERIOD, model_version=VERSION)
    assert o.brand == "Acme"
    # volume: 10 Nov a1,a2 = 2; 11 Nov a3 = 1; 12 Nov a4,a6 = 2 (a5 deleted)
    assert [(p.bucket.day, p.count) for p in o.volume] == [(10, 2), (11, 1), (12, 2)]
    # previous: 7 Nov 0, 8 Nov p1 = 1, 9 Nov 'old' = 1
    assert [(p.bucket.day, p.count) for p in o.previous_volume] == [(7, 0), (8, 1), (9, 1)]
    # total 5 vs 2: (5 - 2) / 2 * 100 = +150 %
    assert (o.total.current, o.total.previous) == (5, 2)
    assert o.total.change == pytest.approx(150.0)
    # NSS now: pos a1, a2 = 2, neg a3 = 1 -> (2 - 1) / 3 * 100 = 33.33
    # before: pos p1 = 1 ('old' is another model version) -> 100; change -66.67 pts
    assert o.nss.current == pytest.approx(100 / 3)
    assert o.nss.previous == pytest.approx(100.0)
    assert o.nss.change == pytest.approx(100 / 3 - 100)
    assert o.nss.unit == "pts"
    # SoV: Acme 5, Globex 2 -> 5/7 = 71.43 %, 2/7 = 28.57 %; before 2 vs 1 -> 66.67/33.33
    assert o.mentions_by_brand == {"Acme": 5, "Globex": 2}
    assert o.share_of_voice == pytest.approx({"Acme": 500 / 7, "Globex": 200 / 7})
    assert o.previous_share_of_voice == pytest.approx({"Acme": 200 / 3, "Globex": 100 / 3})
    # engagement: hackernews a1 (10 + 5) + a2 (2) + a6 (0) = 17 over 3 -> 5.67; before p1 = 1
    #             reddit a3 (4 + 1) + a4 (0) = 5 over 2 -> 2.5
    eng = {e.source: e for e in o.engagement}
    assert (eng["hackernews"].mentions, eng["hackernews"].engagement) == (3, 17)
    assert eng["hackernews"].mean_engagement == pytest.approx(17 / 3)
    assert (eng["hackernews"].previous_mentions, eng["hackernews"].previous_engagement) == (2, 1)
    assert (eng["reddit"].engagement, eng["reddit"].mean_engagement) == (5, 2.5)
    # languages: en a1, a2, a4 = 3 (60 %); de a3 = 1 (20 %); und a6 = 1 (20 %)
    langs = {x.language: (x.count, x.share_pct) for x in o.languages}
    assert langs["en"] == (3, pytest.approx(60.0))
    assert langs["de"] == (1, pytest.approx(20.0))
    assert langs["und"] == (1, pytest.approx(20.0))
    # sentiment per day (negative, neutral, positive, unlabelled):
    # 10 Nov a1, a2 positive; 11 Nov a3 negative; 12 Nov a4 neutral, a6 unlabelled
    split = [(p.bucket.day, p.negative, p.neutral, p.positive, p.unlabelled) for p in o.sentiment]
    assert split == [(10, 0, 0, 2, 0), (11, 1, 0, 0, 0), (12, 0, 1, 0, 1)]
    assert [p.total for p in o.sentiment] == [p.count for p in o.volume]


OWN = (("Acme", "brand"), ("Acme", "own"))


def test_own_posts_count_in_volume_not_in_sentiment(store: Store, acme: Settings) -> None:
    """The brand's own posts are answers: in the volume and the share of voice, never in
    the NSS or the sentiment series (DESIGN.md §2, docs/nlp.md "Genre rules")."""
    seed(
        store,
        [
            Row("c1", at(10), sentiment="negative", score=3),
            Row("o1", at(10, 14), brands=OWN, author="acme_support", sentiment="positive"),
            Row("o2", at(11), brands=OWN, author="acme_support", sentiment="positive", score=7),
            Row("g1", at(11), brands=(("Globex", "brand"),), sentiment="positive"),
            Row("po", at(8), brands=OWN, author="acme_support", sentiment="positive"),
        ],
    )
    o = brand_overview(store.engine, acme, "Acme", PERIOD)
    # volume: c1, o1 on 10 Nov, o2 on 11 Nov; SoV 3 / (3 + 1) = 75 %
    assert [(p.bucket.day, p.count) for p in o.volume] == [(10, 2), (11, 1), (12, 0)]
    assert (o.total.current, o.total.previous) == (3, 1)
    assert o.share_of_voice == {"Acme": 75.0, "Globex": 25.0}
    assert o.engagement[0].engagement == 10  # c1 3 + o2 7: engagement counts own posts too
    # NSS: c1 alone is organic and polar -> -100 (with o1, o2 it would be -33.3);
    # before: only the own post po -> no organic polar mention -> None
    assert o.nss.current == pytest.approx(-100.0)
    assert o.nss.previous is None
    split = [(p.bucket.day, p.negative, p.neutral, p.positive, p.unlabelled) for p in o.sentiment]
    assert split == [(10, 1, 0, 0, 0), (11, 0, 0, 0, 0), (12, 0, 0, 0, 0)]


def test_weekly_buckets_and_filters(store: Store, acme: Settings) -> None:
    seed(store, ROWS)
    week = Period(at(9, 0), at(23, 0))  # Mon 9 Nov .. Sun 22 Nov: two ISO weeks
    o = brand_overview(store.engine, acme, "Acme", week, granularity="week")
    # week of 9 Nov: old(9th), a1, a2, a3, a4, a6 = 6; week of 16 Nov: 0
    assert [(p.bucket.day, p.count) for p in o.volume] == [(9, 6), (16, 0)]
    # week of 9 Nov: a3 negative; a4 neutral; a1, a2 positive; a6 and 'old' unlabelled
    # ('old' has only an old-0 label, and test-1 is the version read)
    split = [(p.bucket.day, p.negative, p.neutral, p.positive, p.unlabelled) for p in o.sentiment]
    assert split == [(9, 1, 1, 2, 2), (16, 0, 0, 0, 0)]
    only_reddit = brand_overview(
        store.engine, acme, "Acme", PERIOD, filters=MentionFilters(sources=("reddit",))
    )
    assert only_reddit.total.current == 2  # a3, a4
    german = brand_overview(
        store.engine, acme, "Acme", PERIOD, filters=MentionFilters(languages=("de",))
    )
    assert german.total.current == 1  # a3 (the classifier said de)
    assert german.share_of_voice == {"Acme": 100.0, "Globex": 0.0}


def test_newest_model_version_is_the_default(store: Store, acme: Settings) -> None:
    seed(store, ROWS)
    # 'old-0' was labelled on 9 Nov, 'test-1' last on 12 Nov: test-1 is the newest
    assert brand_overview(store.engine, acme, "Acme", PERIOD).model_version == VERSION


def test_empty_store_gives_no_numbers_not_nan(store: Store, acme: Settings) -> None:
    o = brand_overview(store.engine, acme, "Acme", PERIOD)
    assert o.model_version is None
    assert o.total.current == 0
    assert o.total.change is None
    assert o.nss.current is None
    assert o.nss.change is None
    assert o.share_of_voice == {}
    assert o.engagement == ()
    assert o.languages == ()
    assert [p.count for p in o.volume] == [0, 0, 0]
    assert [p.total for p in o.sentiment] == [0, 0, 0]


def test_invariant_to_row_order(tmp_path: Path, acme: Settings) -> None:
    shuffled = list(ROWS)
    random.Random(3).shuffle(shuffled)
    results = []
    for name, rows in (("a", ROWS), ("b", shuffled)):
        s = open_store(f"sqlite:///{tmp_path / name}.db")
        seed(s, rows)
        results.append(brand_overview(s.engine, acme, "Acme", PERIOD, model_version=VERSION))
        s.engine.dispose()
    assert results[0] == results[1]


def test_period_rules() -> None:
    assert PERIOD.previous == Period(at(7, 0), at(10, 0))
    assert PERIOD.length == timedelta(days=3)
    with pytest.raises(ValueError, match="after"):
        Period(at(10), at(10))
    assert Period.days(at(10).date(), at(12).date()) == PERIOD
