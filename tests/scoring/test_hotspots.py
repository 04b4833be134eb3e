"""Community hotspots: the pure ranking by hand, the store's facts by hand, invariants."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config import Settings
from scoring import Period, community_hotspots, scoring_settings
from scoring.hotspots import CommunityFacts, rank_hotspots
from storage import Store
from tests.scoring.conftest import Row, at, seed


def facts(
    name: str, mentions: int, opportunity: int = 0, own: int = 0, **kw: object
) -> CommunityFacts:
    base = {
        "community": name,
        "mentions": mentions,
        "previous_mentions": 0,
        "posts": 0,
        "replies_on_posts": 0,
        "labelled": 0,
        "quality_sum": 0.0,
        "positive": 0,
        "negative": 0,
        "unanswered_questions": 0,
        "unanswered_complaints": opportunity,
        "own_posts": own,
        "own_community": False,
    }
    base.update(kw)
    return CommunityFacts(**base)  # type: ignore[arg-type]


SIMPLE = {
    "hotspot_weights": {
        "relevance": 1.0,
        "growth": 0.0,
        "depth": 0.0,
        "quality": 0.0,
        "nss": 0.0,
        "opportunity": 1.0,
        "presence": -1.0,
    },
    "hotspot_log_scale": [],
    "hotspot_min_mentions": 1,
    "hotspot_join_score": 0.3,
}


def test_ranking_by_hand() -> None:
    cfg = scoring_settings(**SIMPLE)
    ranked = rank_hotspots([facts("B", 30, 0, own=2), facts("A", 10, 4), facts("C", 20, 2)], cfg)
    # relevance 10, 30, 20 -> minmax A 0, B 1, C 0.5; opportunity 4, 0, 2 -> A 1, B 0, C 0.5;
    # presence 0, 2, 0 -> A 0, B 1, C 0.  Σ|w| = 3.
    # A = (0 + 1 - 0) / 3 = 1/3; B = (1 + 0 - 1) / 3 = 0; C = (0.5 + 0.5 - 0) / 3 = 1/3
    assert [(h.community, h.score) for h in ranked] == [
        ("A", pytest.approx(1 / 3)),
        ("C", pytest.approx(1 / 3)),  # tie with A: by name
        ("B", pytest.approx(0.0)),
    ]
    a, c, b = ranked
    assert a.top_factors == ("opportunity",)
    assert c.top_factors == ("relevance", "opportunity")  # equal parts: in factor order
    assert [a.recommendation, c.recommendation, b.recommendation] == [
        "join",
        "join",
        "already present",
    ]
    presence = next(f for f in b.factors if f.name == "presence")
    assert (presence.value, presence.normalised, presence.contribution) == (
        2.0,
        1.0,
        pytest.approx(-1 / 3),
    )


def test_own_community_is_already_present_and_small_ones_are_dropped() -> None:
    cfg = scoring_settings(**{**SIMPLE, "hotspot_min_mentions": 5})
    ranked = rank_hotspots([facts("mine", 9, own_community=True), facts("tiny", 4)], cfg)
    assert [(h.community, h.recommendation) for h in ranked] == [("mine", "already present")]


def test_undefined_factors_contribute_nothing() -> None:
    cfg = scoring_settings(hotspot_min_mentions=1)
    (only,) = rank_hotspots([facts("solo", 3)], cfg)
    # one community: every defined factor is constant -> normalised 0; depth, quality and
    # NSS are undefined (no posts, no labels) -> None. Score 0 -> watch.
    by_name = {f.name: f for f in only.factors}
    assert by_name["depth"].value is None
    assert by_name["depth"].normalised is None
    assert by_name["nss"].value is None
    assert only.score == 0.0
    assert only.recommendation == "watch"
    assert only.top_factors == ()


community = st.builds(
    facts,
    st.sampled_from([f"c{i}" for i in range(12)]),
    st.integers(1, 500),
    st.integers(0, 50),
    own=st.integers(0, 3),
    previous_mentions=st.integers(0, 500),
    posts=st.integers(0, 20),
    replies_on_posts=st.integers(0, 200),
    positive=st.integers(0, 20),
    negative=st.integers(0, 20),
)


@settings(max_examples=60)
@given(st.lists(community, max_size=10, unique_by=lambda f: f.community), st.randoms())
def test_ranking_is_invariant_to_row_order(rows: list[CommunityFacts], rnd: object) -> None:
    cfg = scoring_settings()
    shuffled = list(rows)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert rank_hotspots(shuffled, cfg) == rank_hotspots(rows, cfg)
    for h in rank_hotspots(rows, cfg):
        assert -1.0 <= h.score <= 1.0
        assert h.score == pytest.approx(sum(f.contribution for f in h.factors))


PERIOD = Period(at(10, 0), at(13, 0))
CAT = (("Acme", "category"),)
GLOBEX = (("Globex", "brand"),)


def test_facts_from_the_store_by_hand(store: Store, acme: Settings) -> None:
    esp = {"source": "reddit", "community": "reddit:r/espresso"}
    seed(
        store,
        [
            # r/espresso: category and competitor talk, no Acme presence
            Row(
                "e1",
                at(10),
                brands=CAT,
                kind="post",
                comments=4,
                sentiment="positive",
                quality_score=0.8,
                **esp,
            ),
            Row(
                "e2",
                at(10),
                brands=GLOBEX,
                kind="post",
                comments=2,
                sentiment="positive",
                quality_score=0.6,
                **esp,
            ),
            Row(
                "e3",
                at(11),
                brands=CAT,
                kind="question",
                answers=0,
                sentiment="negative",
                quality_score=0.4,
                **esp,
            ),
            Row("e4", at(12), brands=CAT, complaint=0.9, **esp),  # unanswered complaint
            Row("e0", at(8), brands=CAT, **esp),  # previous window
            # hackernews: Acme talk and Acme's own account posting
            Row("h1", at(10), complaint=0.8),
            Row(
                "h2",
                at(11),
                author="acme_support",
                brands=(("Acme", "brand"), ("Acme", "own")),
                parent_id="h1",
            ),
            Row("h3", at(12)),
            Row("h4", at(12), deleted=True),
        ],
    )
    cfg = scoring_settings(acme.scoring, hotspot_min_mentions=1)
    hot = {
        h.community: h for h in community_hotspots(store.engine, acme, "Acme", PERIOD, scoring=cfg)
    }
    assert set(hot) == {"reddit:r/espresso", "hackernews"}
    esp_f = {f.name: f.value for f in hot["reddit:r/espresso"].factors}
    # relevance 4 (e1..e4); growth (4 - 1) / (1 + 1) = 1.5; depth (4 + 2 + 0) / 3 posts = 2
    # quality (0.8 + 0.6 + 0.4 + 0.5) / 4 = 0.575; NSS (2 - 1) / 3 = 33.3
    # opportunity: e3 unanswered question + e4 unanswered complaint = 2; presence 0
    assert esp_f == {
        "relevance": 4.0,
        "growth": 1.5,
        "depth": 2.0,
        "quality": pytest.approx(0.575),
        "nss": pytest.approx(100 / 3),
        "opportunity": 2.0,
        "presence": 0.0,
    }
    e = hot["reddit:r/espresso"]
    assert (e.brand_mentions, e.competitor_mentions, e.category_mentions) == (0, 1, 3)
    hn = {f.name: f.value for f in hot["hackernews"].factors}
    # h1..h3 (h4 deleted); h1's complaint was answered by h2; h2 is an own post
    assert (hn["relevance"], hn["opportunity"], hn["presence"]) == (3.0, 0.0, 1.0)
    assert hn["depth"] is None  # no posts
    assert hot["hackernews"].recommendation == "already present"
    # r/espresso leads on relevance, growth and opportunity; HN is present (negative weight)
    first = community_hotspots(store.engine, acme, "Acme", PERIOD, scoring=cfg, limit=1)
    assert [h.community for h in first] == ["reddit:r/espresso"]
    assert dataclasses.replace(first[0]) == e


def test_own_posts_and_news_are_neither_sentiment_nor_opportunity(
    store: Store, acme: Settings
) -> None:
    """Genre rules in the factors: posts by the brand's (or a competitor's) own accounts
    are answers, so they are not sentiment nor an opportunity; a news item keeps its
    sentiment but is never a complaint. Both still count in relevance."""
    news = {"source": "rss", "kind": "post", "community": "news:example-press.com"}
    seed(
        store,
        [
            # hackernews: one customer complaint, one happy customer, and own posts
            Row("h1", at(10), sentiment="negative", complaint=0.9),
            Row("h2", at(10), sentiment="positive"),
            Row(
                "h3",
                at(11),
                author="acme_support",
                brands=(("Acme", "brand"), ("Acme", "own")),
                kind="question",
                answers=0,
                sentiment="positive",
            ),
            Row(
                "h4",
                at(11),
                author="globex_team",
                brands=(("Globex", "brand"), ("Globex", "own")),
                sentiment="positive",
                complaint=0.9,
            ),
            # a news site: an outage headline scored negative, never a complaint
            Row("n1", at(10), sentiment="negative", complaint=1.0, **news),
            Row("n2", at(11), sentiment="neutral", **news),
            Row("n3", at(12), sentiment="neutral", **news),
        ],
    )
    cfg = scoring_settings(acme.scoring, hotspot_min_mentions=1)
    hot = {
        h.community: {f.name: f.value for f in h.factors}
        for h in community_hotspots(store.engine, acme, "Acme", PERIOD, scoring=cfg)
    }
    hn = hot["hackernews"]
    # relevance h1..h4; NSS over h1, h2 only: (1 - 1) / 2 = 0 (with h3, h4: +50);
    # opportunity: h1 alone (not h3's own question, not h4's own complaint); presence h3
    assert (hn["relevance"], hn["nss"], hn["opportunity"], hn["presence"]) == (4.0, 0.0, 1.0, 1.0)
    press = hot["news:example-press.com"]
    # n1's negative counts (news is scored), its complaint does not
    assert (press["relevance"], press["nss"], press["opportunity"]) == (3.0, -100.0, 0.0)
