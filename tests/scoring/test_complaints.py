"""Complaint behaviour on a hand-made store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from config import Settings
from scoring import Period, complaint_behaviour, complaint_channel, first_replies
from scoring.complaints import OwnPost
from storage import Store
from tests.scoring.conftest import Row, at, seed

PERIOD = Period(at(10, 0), at(13, 0))
OWN = (("Acme", "brand"), ("Acme", "own"))

ROWS = [
    # c1: in the brand's own community -> to the company; unanswered; engagement 9
    Row(
        "c1",
        at(10),
        source="reddit",
        community="reddit:r/acme",
        complaint=0.9,
        sentiment="negative",
        score=9,
    ),
    # c2: addresses @acme_support -> to the company; answered in its thread 4 h later
    Row("c2", at(10, 6), text="acme broke again @ACME_Support", complaint=0.7, score=1),
    # c3: on HN, to peers; answered 2 h later by a direct reply
    Row("c3", at(11), complaint=0.5, score=3),
    # c4: a reply to the brand's own post o1 -> to the company; unanswered; engagement 20
    Row("c4", at(11, 6), complaint=0.8, parent_id="o1", score=20),
    # n1: organic but not a complaint (0.49 < 0.5); n2 unlabelled (not in the rate)
    Row("n1", at(12), complaint=0.49),
    Row("n2", at(12), sentiment=None),
    # the brand's own posts and replies (never organic, never complaints)
    Row("o1", at(9), author="acme_support", brands=OWN, complaint=0.9),
    Row("r1", at(11, 14), author="acme_support", brands=OWN, parent_id="c3", thread_id="x"),
    Row("r2", at(10, 10), author="acme_support", brands=OWN, parent_id="y", thread_id="c2"),
    # a reply on another source does not answer it, whatever its parent id
    Row(
        "r3",
        at(10, 5),
        author="acme_support",
        brands=OWN,
        parent_id="c2",
        source="reddit",
        community="reddit:r/other",
    ),
    # previous period: 1 complaint in 4 labelled organic mentions
    Row("p1", at(8), complaint=0.6),
    Row("p2", at(8)),
    Row("p3", at(8)),
    Row("p4", at(9)),
]


def test_complaint_behaviour_by_hand(store: Store, acme: Settings) -> None:
    ids = seed(store, ROWS)
    c = complaint_behaviour(store.engine, acme, "Acme", PERIOD)
    # complaints c1..c4 = 4 of 5 labelled organic (c1..c4, n1): 80 %; before 1/4 = 25 %
    assert (c.complaints.current, c.complaints.previous) == (4, 1)
    assert c.complaints.change == pytest.approx(300.0)  # (4 - 1) / 1
    assert c.rate_pct.current == pytest.approx(80.0)
    assert c.rate_pct.previous == pytest.approx(25.0)
    assert c.rate_pct.change == pytest.approx(55.0)
    # channel: c1 (own community), c2 (@handle), c4 (reply to o1) -> company 3; c3 -> peers
    assert (c.channel.to_company, c.channel.to_peers) == (3, 1)
    assert c.channel.to_company_pct == pytest.approx(75.0)
    # answered c2 (r2, 4 h) and c3 (r1, 2 h 14 min... r1 at 14:00, c3 at 12:00 -> 2 h)
    assert c.answered == 2
    assert c.response_rate_pct == pytest.approx(50.0)
    assert c.median_first_reply_hours == pytest.approx(3.0)  # median(2, 4)
    # queue: c4 (engagement 20) before c1 (9)
    assert [q.mention_id for q in c.unanswered] == [ids["c4"], ids["c1"]]
    assert c.unanswered_total == 2
    assert c.unanswered[0].channel == "company"
    assert c.unanswered[1].community == "reddit:r/acme"
    # the rate per ISO week: 10-12 Nov all fall in the week of Monday 9 Nov -> 4 / 5 = 80 %
    assert [(p.bucket.day, p.complaints, p.organic) for p in c.rate_series] == [(9, 4, 5)]
    assert c.rate_series[0].rate_pct == pytest.approx(80.0)


def test_rate_per_day(store: Store, acme: Settings) -> None:
    seed(store, ROWS)
    c = complaint_behaviour(store.engine, acme, "Acme", PERIOD, granularity="day")
    # 10 Nov: c1, c2 of 2 labelled organic = 100 %; 11 Nov: c3, c4 of 2 (r1 is own) = 100 %;
    # 12 Nov: none of 1 (n1; n2 is unlabelled) = 0 %
    series = [(p.bucket.day, p.complaints, p.organic, p.rate_pct) for p in c.rate_series]
    assert series == [(10, 2, 2, 100.0), (11, 2, 2, 100.0), (12, 0, 1, 0.0)]
    assert sum(p.complaints for p in c.rate_series) == c.complaints.current


def test_rate_over_all_organic_when_configured(store: Store, acme: Settings) -> None:
    seed(store, ROWS)
    from scoring import scoring_settings

    cfg = scoring_settings(acme.scoring, complaint_rate_denominator="all", queue_size=1)
    c = complaint_behaviour(store.engine, acme, "Acme", PERIOD, scoring=cfg)
    # 4 complaints / 6 organic (n2 unlabelled counts too) = 66.67 %
    assert c.rate_pct.current == pytest.approx(400 / 6)
    assert [(p.complaints, p.organic) for p in c.rate_series] == [(4, 6)]
    assert len(c.unanswered) == 1
    assert c.unanswered_total == 2


def test_no_complaints(store: Store, acme: Settings) -> None:
    c = complaint_behaviour(store.engine, acme, "Acme", PERIOD)
    assert c.rate_pct.current is None
    assert c.response_rate_pct is None
    assert c.median_first_reply_hours is None
    assert c.channel.to_company_pct is None
    assert c.unanswered == ()
    assert [(p.complaints, p.organic, p.rate_pct) for p in c.rate_series] == [(0, 0, None)]


def test_channel_rule() -> None:
    assert complaint_channel("reddit:r/ACME", ["reddit:r/acme"], False, False) == "company"
    assert complaint_channel("reddit:r/x", ["reddit:r/acme"], True, False) == "company"
    assert complaint_channel(None, [], False, True) == "company"
    assert complaint_channel("appstore:1", ["reddit:r/acme"], False, False) == "peers"


def test_first_replies_rule() -> None:
    t = at(10)
    replies = [
        OwnPost("hn", "r2", None, "c", t + timedelta(hours=5)),
        OwnPost("hn", "r3", "c", None, t + timedelta(hours=2)),
        OwnPost("reddit", "r4", "c", None, t + timedelta(hours=1)),  # other source
    ]
    assert first_replies([(("hn", "c"), t)], replies) == {("hn", "c"): t + timedelta(hours=2)}
    assert first_replies([(("hn", "d"), t)], replies) == {}
    # a reply stamped before its complaint (clock skew) answers it with no delay
    skewed = [OwnPost("hn", "r1", "c", None, t - timedelta(hours=1))]
    assert first_replies([(("hn", "c"), t)], skewed) == {("hn", "c"): t}
