"""Genre rules in scoring (``scoring.genre``): news is never a complaint unless a customer
wrote it; the brand's own accounts are never complaints nor in word-of-mouth sentiment."""

from __future__ import annotations

from config import Settings
from config.scoring import ScoringSettings
from config.settings import Brand
from scoring import Period, complaint_behaviour, word_of_mouth
from scoring.genre import complaint_expr, customer_written, editorial_expr, is_editorial
from storage import Store
from tests.scoring.conftest import Row, at, seed

PERIOD = Period(at(10, 0), at(13, 0))
OWN = (("Acme", "brand"), ("Acme", "own"))
FORUM_FEED = "rss:forum.acme.example"

ROWS = [
    # a customer's complaint on HN: counted
    Row("c1", at(10), complaint=0.9, sentiment="negative", score=5),
    # a news headline about an outage (Google News): scored, never a complaint
    Row(
        "news1",
        at(10, 2),
        source="rss",
        kind="post",
        community="news:example-press.com",
        text="Acme outage leaves thousands without service",
        complaint=1.0,
        sentiment="negative",
        score=50,
    ),
    # an item of the brand's own support forum feed: customers wrote it, counted
    Row(
        "feed1",
        at(10, 4),
        source="rss",
        kind="post",
        community=FORUM_FEED,
        text="My Acme order never arrived",
        complaint=0.8,
        sentiment="negative",
    ),
    # the brand's own support reply: an answer, never a complaint, never in WOM sentiment
    Row(
        "own1",
        at(11),
        author="acme_support",
        brands=OWN,
        text="Sorry about that! Version 4.12.1 fixes the acme sync bug",
        complaint=0.9986,
        sentiment="positive",
    ),
]


def _with_forum_feed(settings: Settings) -> Settings:
    brands = [
        b.model_copy(update={"own_communities": [*b.own_communities, FORUM_FEED]})
        if b.name == "Acme"
        else b
        for b in settings.brands
    ]
    return settings.model_copy(update={"brands": brands})


def test_news_is_never_a_complaint_unless_a_customer_wrote_it(store: Store, acme: Settings) -> None:
    ids = seed(store, ROWS)
    settings = _with_forum_feed(acme)
    c = complaint_behaviour(store.engine, settings, "Acme", PERIOD)
    queued = {q.mention_id for q in c.unanswered}
    assert ids["news1"] not in queued
    assert ids["own1"] not in queued
    assert queued == {ids["c1"], ids["feed1"]}
    assert c.complaints.current == 2
    # without the forum feed among the own communities, its item is news too
    c = complaint_behaviour(store.engine, acme, "Acme", PERIOD)
    assert {q.mention_id for q in c.unanswered} == {ids["c1"]}
    assert c.complaints.current == 1


def test_news_keeps_its_sentiment_and_own_posts_stay_out_of_word_of_mouth(
    store: Store, acme: Settings
) -> None:
    seed(store, ROWS)
    wom = word_of_mouth(store.engine, acme, "Acme", PERIOD)
    # organic: c1, news1, feed1 (all negative); own1's "positive" does not count
    assert wom.organic.current == 3
    assert wom.balance.current == -100.0


def test_python_twins_agree_with_the_rule() -> None:
    brand = Brand(name="Acme", query="acme", own_communities=[FORUM_FEED])
    assert is_editorial("rss", "news:example-press.com", brand.own_communities)
    assert not is_editorial("rss", FORUM_FEED.upper(), brand.own_communities)
    assert customer_written("RSS:forum.acme.example", brand.own_communities)
    assert not is_editorial("reddit", "reddit:r/acme", brand.own_communities)
    # the SQL expressions build for a brand with and without own communities
    assert editorial_expr(brand) is not None
    assert complaint_expr(ScoringSettings(), brand) is not None
