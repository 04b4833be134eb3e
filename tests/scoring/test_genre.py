"""Genre rules in scoring (``scoring.genre``): news is never a complaint unless a customer
wrote it; the brand's own accounts are never complaints nor in any sentiment figure."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from config import Settings
from config.scoring import ScoringSettings
from config.settings import Brand
from scoring import (
    Period,
    brand_overview,
    community_hotspots,
    complaint_behaviour,
    complaint_topics,
    scoring_settings,
    word_of_mouth,
)
from scoring.genre import (
    complaint_expr,
    customer_written,
    editorial_expr,
    is_editorial,
    own_expr,
)
from scoring.queries import M
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


def _one_topic(texts: Sequence[str]) -> np.ndarray[Any, Any]:
    return np.ones((len(texts), 2))


def test_every_face_applies_the_rules_alike(store: Store, acme: Settings) -> None:
    """The overview's NSS is word of mouth's balance (own posts out, news in); the topics
    and the hotspots' opportunity cluster and count the complaints the rate counts."""
    ids = seed(store, ROWS)
    settings = _with_forum_feed(acme)
    overview = brand_overview(store.engine, settings, "Acme", PERIOD)
    wom = word_of_mouth(store.engine, settings, "Acme", PERIOD)
    # polar organic: c1, news1, feed1 negative -> -100 (own1's positive would make it -50)
    assert overview.nss.current == wom.balance.current == pytest.approx(-100.0)
    assert overview.total.current == 4  # the volume still counts own1
    c = complaint_behaviour(store.engine, settings, "Acme", PERIOD)
    topics = complaint_topics(store.engine, settings, "Acme", PERIOD, embed=_one_topic)
    assert [t.size for t in topics] == [c.complaints.current] == [2]
    assert set(topics[0].examples) == {ids["c1"], ids["feed1"]}
    cfg = scoring_settings(settings.scoring, hotspot_min_mentions=1)
    opportunity = {
        h.community: next(f.value for f in h.factors if f.name == "opportunity")
        for h in community_hotspots(store.engine, settings, "Acme", PERIOD, scoring=cfg)
    }
    # c1 and own1 on HN (own1 is no complaint), the forum feed's item, no news complaint
    assert opportunity == {"hackernews": 1.0, FORUM_FEED: 1.0, "news:example-press.com": 0.0}


def test_own_expr_names_one_or_several_brands(store: Store, acme: Settings) -> None:
    seed(
        store,
        [
            *ROWS,
            Row("g_own", at(11), brands=(("Globex", "brand"), ("Globex", "own"))),
        ],
    )

    def own(brand: str | list[str]) -> set[str]:
        with store.engine.connect() as conn:
            stmt = select(M.c.external_id).where(own_expr(brand))
            return {str(x) for (x,) in conn.execute(stmt)}

    assert own("Acme") == {"own1"}
    assert own(["Acme", "Globex"]) == {"own1", "g_own"}
    assert own("") == own([]) == set()


def test_every_complaint_filter_follows_the_rules(store: Store, acme: Settings) -> None:
    """The Mentions page's complaint filter, the Complaints page's work queue and the
    export's ``--complaint`` select what the complaint figures count: no news item no
    customer wrote, no post by the brand's own accounts — and the rest as "not complaints"."""
    from grapevine.dashboard.filters import Filters
    from grapevine.dashboard.queries import MentionQuery, count_mentions, search_mentions
    from grapevine.dashboard.worklist import NO_TRIAGE_FILTER, search_work
    from grapevine.export.exporter import ExportOptions, count_rows

    ids = seed(store, ROWS)
    settings = _with_forum_feed(acme)
    brand = settings.brand("Acme")
    roles = ("brand", "own")
    query = MentionQuery(
        Filters("Acme", PERIOD.start.date(), PERIOD.end.date()),
        roles=roles,
        complaint="complaints",
        complaint_threshold=settings.scoring.complaint_threshold,
        own_communities=tuple(brand.own_communities),
    )
    customers = {ids["c1"], ids["feed1"]}
    with store.engine.connect() as conn:
        assert {r.id for r in search_mentions(conn, query)} == customers
        assert count_mentions(conn, query) == 2
        queue = search_work(conn, query, NO_TRIAGE_FILTER, settings.scoring, queue_for="Acme")
        assert {r.id for r in queue} == customers
        others = dataclasses.replace(query, complaint="not complaints")
        assert {r.id for r in search_mentions(conn, others)} == {ids["news1"], ids["own1"]}
    options = ExportOptions(brand=brand, scoring=settings.scoring)
    assert count_rows(store, query.selection, options) == 2
    # without the brand's communities the forum feed's item is news as well
    assert count_rows(store, query.selection, ExportOptions(scoring=settings.scoring)) == 1
