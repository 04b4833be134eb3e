"""Word-of-mouth on a hand-made store."""

from __future__ import annotations

import pytest

from config import Settings
from scoring import Period, word_of_mouth
from storage import Store
from tests.scoring.conftest import Row, at, seed

PERIOD = Period(at(10, 0), at(13, 0))  # 10-12 Nov; previous 7-9 Nov
OWN = (("Acme", "brand"), ("Acme", "own"))

ROWS = [
    # ann: 2 positive organic mentions in two communities -> advocate
    Row("w1", at(10), author="ann", sentiment="positive", score=3, comments=1),
    Row(
        "w2",
        at(11),
        author="ann",
        sentiment="positive",
        source="reddit",
        community="reddit:r/espresso",
        score=6,
    ),
    # bob: one positive only -> not an advocate
    Row("w3", at(11), author="bob", sentiment="positive"),
    # cat: 2 negative (and 1 neutral) -> detractor with 3 organic mentions
    Row("w4", at(12), author="cat", sentiment="negative", score=1),
    Row("w5", at(12, 13), author="cat", sentiment="negative"),
    Row("w6", at(12, 14), author="cat", sentiment="neutral"),
    # the brand's own posts are not word of mouth, however positive
    Row("o1", at(10), author="acme_support", brands=OWN, sentiment="positive", score=50),
    Row("o2", at(11), author="acme_support", brands=OWN, sentiment="positive"),
    # previous period: 2 organic, 1 positive 1 negative; engagement 4 on HN
    Row("p1", at(8), author="dan", sentiment="positive", score=4),
    Row("p2", at(9), author="eve", sentiment="negative"),
]


def test_word_of_mouth_by_hand(store: Store, acme: Settings) -> None:
    seed(store, ROWS)
    w = word_of_mouth(store.engine, acme, "Acme", PERIOD)
    # organic now: w1..w6 = 6 (o1, o2 are own); before: 2 -> velocity (6 - 2) / 2 = +200 %
    assert (w.organic.current, w.organic.previous) == (6, 2)
    assert w.velocity_pct == pytest.approx(200.0)
    # daily 10 Nov: w1 = 1; 11 Nov: w2, w3 = 2; 12 Nov: w4, w5, w6 = 3 -> slope 1 per day
    assert [p.count for p in w.daily] == [1, 2, 3]
    assert w.trend_per_day == pytest.approx(1.0)
    # balance: pos w1, w2, w3 = 3; neg w4, w5 = 2 -> (3 - 2) / 5 * 100 = 20
    # before: 1 pos, 1 neg -> 0; change +20 pts
    assert w.balance.current == pytest.approx(20.0)
    assert w.balance.previous == pytest.approx(0.0)
    assert w.balance.change == pytest.approx(20.0)
    assert w.advocate_count == 1
    assert w.detractor_count == 1
    (ann,) = w.advocates
    assert (ann.author, ann.count, ann.organic_mentions) == ("ann", 2, 2)
    assert ann.communities == ("hackernews", "reddit:r/espresso")
    (cat,) = w.detractors
    assert (cat.author, cat.count, cat.organic_mentions, cat.communities) == (
        "cat",
        2,
        3,
        ("hackernews",),
    )
    # amplification: hackernews w1 (3 + 1) + w3 (0) + w4 (1) + w5 + w6 = 5 over 5 mentions;
    # before 4 -> +25 %. reddit: w2 = 6, before 0 -> change undefined
    amp = {a.source: a for a in w.amplification}
    assert (amp["hackernews"].mentions, amp["hackernews"].engagement) == (5, 5)
    assert amp["hackernews"].change_pct == pytest.approx(25.0)
    assert (amp["reddit"].engagement, amp["reddit"].change_pct) == (6, None)


def test_most_amplified_by_hand(store: Store, acme: Settings) -> None:
    ids = seed(store, [*ROWS, Row("gone", at(11), score=99, deleted=True)])
    w = word_of_mouth(store.engine, acme, "Acme", PERIOD)
    # engagement: w2 6 (reddit), w1 3 + 1 = 4, w4 1, then w3, w5, w6 0 (newest first:
    # w6 12 Nov 14:00, w5 13:00, w3 11 Nov); o1 (50) is own, p1 last period, 'gone' deleted
    assert [(m.mention_id, m.engagement) for m in w.top_amplified] == [
        (ids["w2"], 6),
        (ids["w1"], 4),
        (ids["w4"], 1),
        (ids["w6"], 0),
        (ids["w5"], 0),
        (ids["w3"], 0),
    ]
    first = w.top_amplified[0]
    assert (first.source, first.community, first.author) == ("reddit", "reddit:r/espresso", "ann")
    assert first.created_at == at(11)


def test_most_amplified_follows_the_settings(store: Store, acme: Settings) -> None:
    ids = seed(store, ROWS)
    from scoring import scoring_settings

    # Reddit engagement counted as comments only: w2 (score 6, no comments) drops to 0;
    # only the top 2 are listed: w1 (4), w4 (1)
    cfg = scoring_settings(acme.scoring, top_amplified=2, engagement={"reddit": ["comments"]})
    w = word_of_mouth(store.engine, acme, "Acme", PERIOD, scoring=cfg)
    assert [(m.mention_id, m.engagement) for m in w.top_amplified] == [
        (ids["w1"], 4),
        (ids["w4"], 1),
    ]


def test_advocate_threshold_is_configurable(store: Store, acme: Settings) -> None:
    seed(store, ROWS)
    from scoring import scoring_settings

    loose = scoring_settings(acme.scoring, advocate_min_mentions=1)
    w = word_of_mouth(store.engine, acme, "Acme", PERIOD, scoring=loose)
    # with one positive mention enough: ann (2) first, then bob (1)
    assert [(a.author, a.count) for a in w.advocates] == [("ann", 2), ("bob", 1)]


def test_no_data(store: Store, acme: Settings) -> None:
    w = word_of_mouth(store.engine, acme, "Acme", PERIOD)
    assert w.organic.current == 0
    assert w.velocity_pct is None
    assert w.balance.current is None
    assert w.trend_per_day == pytest.approx(0.0)  # three zero days: flat, not undefined
    assert w.advocates == ()
    assert w.amplification == ()
    assert w.top_amplified == ()
    one_day = Period(at(10, 0), at(11, 0))
    assert word_of_mouth(store.engine, acme, "Acme", one_day).trend_per_day is None
