"""A small store with everything an export must get right: several sources and scripts,
labels from two model versions, a deleted mention, another brand's mention, an own-account
post, handles hidden in texts and URLs, and cells a spreadsheet would run as formulas."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from core.mention import Mention
from scoring import MentionFilters, MentionSelection
from storage import Match, Store, keys, schema

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

# Handles that must never appear in a pseudonymised export.
HANDLES = (
    "alice_hn",
    "bob_mentions",
    "carol_reddit",
    "dave_masto",
    "acme_support",
    "frank_se",
    "grace_bsky",
)


@dataclasses.dataclass(frozen=True)
class Seeded:
    store: Store
    ids: dict[str, int]  # external_id -> mention id


def _m(external_id: str, *, days: int, **fields: object) -> Mention:
    base: dict[str, object] = {
        "source": "hackernews",
        "external_id": external_id,
        "kind": "comment",
        "created_at": T0 + timedelta(days=days),
        "text": f"acme mention {external_id}",
        "community": "hackernews",
    }
    base.update(fields)
    return Mention(**base)  # type: ignore[arg-type]


_NARROWING = {f.name for f in dataclasses.fields(MentionFilters)}


def selection(brand: str = "Acme", **fields: Any) -> MentionSelection:
    """A selection from flat keyword arguments (``sources=…`` goes into its filters)."""
    narrowing = {k: fields.pop(k) for k in list(fields) if k in _NARROWING}
    return MentionSelection(brand=brand, filters=MentionFilters(**narrowing), **fields)


def mentions() -> list[tuple[Mention, list[Match]]]:
    acme = [Match("Acme")]
    return [
        (
            _m(
                "hn1",
                days=0,
                author="alice_hn",
                text="Acme грайндер отличный 👍 咖啡機很好 — thanks @bob_mentions!",
                url="https://news.ycombinator.com/item?id=1",
                language="ru",
            ),
            acme,
        ),
        (
            _m(
                "hn2",
                days=1,
                author="bob_mentions",
                text='=HYPERLINK("http://evil.test","x")',
                title="+SUM(A1:A9)",
                url="https://news.ycombinator.com/item?id=2",
                score=-3,
                comments=4,
            ),
            acme,
        ),
        (
            _m(
                "r1",
                days=2,
                source="reddit",
                author="carol_reddit",
                kind="post",
                title="-acme is broken",
                text="@SUM(1) and u/alice_hn agrees, acme",
                community="reddit:r/acme",
                score=10,
                comments=2,
                url="https://www.reddit.com/r/acme/comments/r1/broken/",
                raw={"author": "carol_reddit", "author_fullname": "t2_secret"},
            ),
            acme,
        ),
        (
            _m(
                "m1",
                days=3,
                source="mastodon",
                author="dave_masto",
                kind="post",
                text="\tacme tab start",
                url="https://mastodon.social/@dave_masto/111",
                community="mastodon:mastodon.social",
                language="en",
            ),
            acme,
        ),
        (
            _m(
                "se1",
                days=4,
                source="stackexchange",
                author="frank_se",
                kind="answer",
                text="acme answer\rwith CR",
                answers=0,
                score=5,
                url="https://superuser.com/a/555/12345",
                community="stackexchange:superuser",
            ),
            acme,
        ),
        (
            _m(
                "at://did:plc:grace123/app.bsky.feed.post/bs1",
                days=5,
                source="bluesky",
                author="grace_bsky",
                kind="post",
                text="acme on bsky",
                url="https://bsky.app/profile/grace_bsky/post/bs1",
                community="bluesky",
            ),
            acme,
        ),
        (
            _m("own1", days=6, author="acme_support", text="Acme here: we fixed it"),
            [Match("Acme"), Match("Acme", "own")],
        ),
        (_m("del1", days=7, author="erin_deleted", text="acme deleted later", deleted=True), acme),
        (_m("glx1", days=8, author="henry_globex", text="globex only"), [Match("Globex")]),
        (
            _m("cat1", days=9, author="ivy_cat", text="espresso grinder talk"),
            [Match("Acme", "category")],
        ),
        (_m("old1", days=-30, author="alice_hn", text="old acme mention"), acme),
    ]


def _label(
    mention_id: int,
    version: str,
    sentiment: str,
    complaint: float,
    quality: str,
    language: str | None,
    when: datetime,
) -> dict[str, object]:
    probs = {"negative": 0.1, "neutral": 0.2, "positive": 0.7}
    if sentiment == "negative":
        probs = {"negative": 0.8, "neutral": 0.15, "positive": 0.05}
    elif sentiment == "neutral":
        probs = {"negative": 0.2, "neutral": 0.6, "positive": 0.2}
    return {
        "mention_id": mention_id,
        "model": "grapevine-xlmr",
        "model_version": version,
        "sentiment": sentiment,
        "sentiment_negative": probs["negative"],
        "sentiment_neutral": probs["neutral"],
        "sentiment_positive": probs["positive"],
        "complaint": complaint,
        "quality": quality,
        "quality_score": 0.75,
        "language": language,
        "labelled_at": when,
    }


LABELS_V2 = {
    "hn1": ("positive", 0.05, "constructive", "ru"),
    "hn2": ("negative", 0.9, "low_effort", "en"),
    "r1": ("negative", 0.7, "ordinary", "en"),
    "m1": ("neutral", 0.1, "ordinary", "en"),
    "own1": ("positive", 0.0, "constructive", "en"),
    "old1": ("neutral", 0.2, "ordinary", "en"),
    "cat1": ("neutral", 0.1, "ordinary", "en"),
}


def seed(store: Store) -> dict[str, int]:
    # What `grapevine init` does: the pseudonym key, outside the store (0004_privacy).
    keys.create_key(store.engine.url.render_as_string(hide_password=False))
    for mention, matched in mentions():
        store.save_page([mention], {mention.key: matched})
    ids = {row["external_id"]: int(row["id"]) for row in store.iter_mentions()}
    rows = [_label(ids["hn1"], "v1", "negative", 0.9, "toxic", "ru", T0)]
    later = T0 + timedelta(days=30)
    rows += [_label(ids[ext], "v2", *values, later) for ext, values in LABELS_V2.items()]
    with store.engine.begin() as conn:
        conn.execute(insert(schema.labels), rows)
    return ids


@pytest.fixture
def seeded(store: Store) -> Seeded:
    return Seeded(store, seed(store))


@pytest.fixture
def store_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A second, independent installation (its own store, its own secret)."""
    from storage import open_store

    path = tmp_path_factory.mktemp("other") / "grapevine.db"
    other = open_store(f"sqlite:///{path}")
    yield other
    other.engine.dispose()
