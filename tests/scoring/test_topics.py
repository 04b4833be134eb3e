"""Complaint topics: c-TF-IDF by hand, clustering with a stand-in embedder, the real model."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from config import Settings
from scoring import Period, c_tf_idf_terms, complaint_topics, scoring_settings
from scoring.topics import tokenize
from storage import Store
from tests.scoring.conftest import Row, at, seed

PERIOD = Period(at(10, 0), at(13, 0))


def test_tokenize() -> None:
    assert tokenize("The App's login-page CRASHED 3 times!", frozenset({"the"})) == [
        "app's",
        "login-page",
        "crashed",
        "times",
    ]


def test_c_tf_idf_by_hand() -> None:
    clusters = [["battery battery drains"], ["refund refund late", "battery"]]
    # tf: c0 {battery 2, drains 1}; c1 {refund 2, late 1, battery 1}
    # f(t): battery 3, drains 1, refund 2, late 1; A = 7 terms / 2 clusters = 3.5
    # c0: battery 2·ln(1 + 3.5/3) = 1.546, drains 1·ln(4.5) = 1.504 -> battery, drains
    # c1: refund 2·ln(1 + 3.5/2) = 2.023, late ln(4.5) = 1.504, battery ln(1 + 3.5/3) = 0.773
    assert 2 * math.log(1 + 3.5 / 3) > math.log(4.5)
    assert c_tf_idf_terms(clusters, top_n=2) == [("battery", "drains"), ("refund", "late")]
    assert c_tf_idf_terms(clusters, top_n=3)[1] == ("refund", "late", "battery")
    assert c_tf_idf_terms([]) == []


COMPLAINTS = [
    "battery drains fast overnight",
    "battery dies and drains quickly",
    "the battery drains in an hour",
    "refund still not paid after a month",
    "waiting on my refund for weeks",
    "no refund yet, support silent",
]


def fake_embed(texts: Sequence[str]) -> np.ndarray[Any, Any]:
    """Two obvious directions: battery talk and refund talk."""
    return np.array([[1.0, 0.0] if "battery" in t else [0.0, 1.0] for t in texts])


def test_topics_from_the_store(store: Store, acme: Settings) -> None:
    ids = seed(
        store,
        [
            Row(f"c{i}", at(10 + i % 3), text=t, complaint=0.9, score=i)
            for i, t in enumerate(COMPLAINTS)
        ]
        + [Row("ok", at(11), text="battery refund fine", complaint=0.1)],
    )
    cfg = scoring_settings(
        acme.scoring, topics={"max_topics": 4, "min_topic_size": 3, "top_terms": 2}
    )
    topics = complaint_topics(store.engine, acme, "Acme", PERIOD, scoring=cfg, embed=fake_embed)
    # 6 texts / min size 3 -> k = 2 clusters of 3 (50 % each), named by their own words
    assert [(t.size, t.share_pct) for t in topics] == [(3, 50.0), (3, 50.0)]
    names = {t.terms[0] for t in topics}
    assert names == {"battery", "refund"}
    battery = next(t for t in topics if t.terms[0] == "battery")
    assert battery.terms == ("battery", "drains")
    assert set(battery.examples) == {ids["c0"], ids["c1"], ids["c2"]}


def test_topics_leave_out_news_and_own_posts(store: Store, acme: Settings) -> None:
    """Topics name what the complaint rate counts: never a news item no customer wrote,
    never a post by the brand's own accounts (docs/nlp.md "Genre rules")."""
    ids = seed(
        store,
        [
            Row(f"c{i}", at(10 + i % 3), text=t, complaint=0.9, score=i)
            for i, t in enumerate(COMPLAINTS)
        ]
        + [
            Row(
                "news",
                at(11),
                source="rss",
                kind="post",
                community="news:example-press.com",
                text="acme battery recall: batteries drain and overheat",
                complaint=1.0,
                score=500,
            ),
            Row(
                "own",
                at(11),
                author="acme_support",
                brands=(("Acme", "brand"), ("Acme", "own")),
                text="sorry, the battery drains: a fix ships today",
                complaint=0.99,
                score=400,
            ),
        ],
    )
    cfg = scoring_settings(
        acme.scoring, topics={"max_topics": 4, "min_topic_size": 3, "top_terms": 2}
    )
    topics = complaint_topics(store.engine, acme, "Acme", PERIOD, scoring=cfg, embed=fake_embed)
    assert [t.size for t in topics] == [3, 3]
    shown = {i for t in topics for i in t.examples}
    assert shown == {ids[f"c{i}"] for i in range(6)}


def test_no_complaints_no_topics(store: Store, acme: Settings) -> None:
    assert complaint_topics(store.engine, acme, "Acme", PERIOD, embed=fake_embed) == ()


@pytest.mark.slow
def test_bundled_model_separates_topics(store: Store, acme: Settings) -> None:
    import torch

    torch.set_num_threads(1)
    seed(
        store,
        [Row(f"c{i}", at(10 + i % 3), text=t, complaint=0.9) for i, t in enumerate(COMPLAINTS)],
    )
    cfg = scoring_settings(
        acme.scoring, topics={"max_topics": 2, "min_topic_size": 3, "top_terms": 1}
    )
    topics = complaint_topics(store.engine, acme, "Acme", PERIOD, scoring=cfg)
    assert sorted(t.terms for t in topics) == [("battery",), ("refund",)]
    assert [t.size for t in topics] == [3, 3]
