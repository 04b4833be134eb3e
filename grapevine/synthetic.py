"""A realistic synthetic store of N mentions, with brand matches and labels, for benchmarks
and demos.

    python -m grapevine.synthetic --n 1000000 --out /tmp/grapevine-1m.db [--seed 7]

``generate_store(url, n, seed)`` is the function other benchmarks reuse; ``SYNTHETIC_CONFIG``
(and :func:`synthetic_settings`) is the brand configuration the data was made for: Acme
(own accounts ``acme_support``/``AcmeHQ``, own community ``reddit:r/acme``) against Globex
and Initech, with a category query.

What makes it realistic enough to time and to eyeball:

- one year of mentions ending 2026-11-01, growing over the year, quieter at weekends;
- six sources with their own kinds, communities (Zipf-sized: a few big subreddits, a long
  tail) and engagement counts (Reddit score+comments, SE score/answers, review helpful votes);
- 300,000 authors drawn from a Zipf distribution, so some post often (advocates, detractors);
- brand matches: Acme ~45 %, Globex ~25 %, Initech ~12 %, category-only ~18 %, a few
  mentions naming two brands;
- labels for every mention but ~3 % (sentiment with probabilities, complaint probability,
  quality label and score, language) under model version ``synthetic-1``; complaint texts are
  drawn from a handful of topics so clustering finds them;
- about 1 % of mentions are replies by Acme's own accounts to a recent Acme complaint in one
  of the six communities where Acme is present (same source and community, ``parent_id`` =
  the complaint's ``external_id``), about 12 hours later on average (exponential);
- 0.5 % deleted.

Rows go in batches of 20,000, one transaction per batch: with ``COPY`` on PostgreSQL (the
10-million-mention benchmark store of docs/scale.md), with executemany elsewhere.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import random
import sys
import time
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, insert

from storage import daycache, open_store, schema

__all__ = ["END", "MODEL_VERSION", "SYNTHETIC_CONFIG", "generate_store", "synthetic_settings"]

END = datetime(2026, 11, 1, tzinfo=UTC)
DAYS = 365
MODEL_VERSION = "synthetic-1"
BATCH = 20_000

SYNTHETIC_CONFIG = """
[store]
database_url = "{url}"

[[brands]]
name = "Acme"
query = 'acme OR "acme corp"'
category_query = 'espresso OR grinder'
competitors = ["Globex", "Initech"]
own_accounts = {{ reddit = ["AcmeHQ"], hackernews = ["acme_support"], stackexchange = ["acme_support"], mastodon = ["acme_support"], appstore = ["Acme Developer"], googleplay = ["Acme Developer"] }}
own_communities = ["reddit:r/acme"]

[[competitors]]
name = "Globex"
query = "globex"

[[competitors]]
name = "Initech"
query = "initech"
"""

# source -> (weight, kinds with weights, communities)
_SOURCES: dict[str, tuple[float, list[tuple[str, float]], list[str]]] = {
    "reddit": (
        0.40,
        [("post", 0.2), ("comment", 0.8)],
        ["reddit:r/acme", "reddit:r/espresso", "reddit:r/coffee", "reddit:r/BuyItForLife"]
        + [f"reddit:r/sub{i:03d}" for i in range(150)],
    ),
    "hackernews": (0.15, [("post", 0.15), ("comment", 0.85)], ["hackernews"]),
    "stackexchange": (
        0.10,
        [("question", 0.3), ("answer", 0.4), ("comment", 0.3)],
        ["stackexchange:superuser", "stackexchange:coffee", "stackexchange:diy"]
        + [f"stackexchange:site{i:02d}" for i in range(20)],
    ),
    "appstore": (0.12, [("review", 1.0)], ["appstore:284882215", "appstore:389801252"]),
    "googleplay": (0.08, [("review", 1.0)], ["googleplay:com.acme.app", "googleplay:com.globex"]),
    "mastodon": (
        0.15,
        [("post", 0.7), ("comment", 0.3)],
        [f"mastodon:instance{i:02d}.social" for i in range(40)],
    ),
}
_LANGS = [("en", 0.70), ("de", 0.08), ("fr", 0.06), ("es", 0.06), ("ru", 0.04), ("zh", 0.03)]
_LANGS += [("ja", 0.02), ("und", 0.01)]
_TOPICS = {
    "battery": "the battery drains overnight and the charger gets hot, battery life is awful",
    "shipping": "my order shipping is late again, the courier lost the package and tracking",
    "refund": "still waiting for my refund, customer support ignores the refund request",
    "crash": "the app crashes on startup after the update, login fails with an error",
    "noise": "the grinder is loud and the motor rattles, noise after two weeks of use",
    "billing": "charged twice on my card, the subscription billing is wrong this month",
}
_PRAISE = "love the new espresso machine, great build quality and the coffee tastes amazing"
_NEUTRAL = "does anyone know if the grinder works with the older model, thinking about it"
_FILLER = ["honestly", "today", "again", "really", "also", "maybe", "just", "still", "though"]
_QUALITY = [("ordinary", 0.5), ("constructive", 0.25), ("low_effort", 0.17), ("spam", 0.05)]
_QUALITY += [("toxic", 0.03)]
#: Where Acme's own accounts answer complaints (elsewhere it is absent: hotspots to join).
_PRESENT = frozenset(
    {"reddit:r/acme", "hackernews", "stackexchange:superuser", "appstore:284882215"}
    | {"googleplay:com.acme.app", "mastodon:instance00.social"}
)
_OWN = {
    "reddit": "AcmeHQ",
    "hackernews": "acme_support",
    "stackexchange": "acme_support",
    "mastodon": "acme_support",
    "appstore": "Acme Developer",
    "googleplay": "Acme Developer",
}


def synthetic_settings(url: str) -> Any:
    """The :class:`config.Settings` the synthetic store was generated for."""
    import tempfile

    from config import load_config

    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False, encoding="utf-8") as f:
        f.write(SYNTHETIC_CONFIG.format(url=url))
    try:
        return load_config(f.name, environ={})
    finally:
        Path(f.name).unlink(missing_ok=True)


class _Picker:
    """Weighted choice by bisect over cumulative weights (faster than random.choices per call)."""

    def __init__(self, rng: random.Random, items: list[tuple[Any, float]]) -> None:
        self.rng = rng
        self.values = [v for v, _ in items]
        self.cum = list(itertools.accumulate(w for _, w in items))

    def __call__(self) -> Any:
        return self.values[bisect.bisect(self.cum, self.rng.random() * self.cum[-1])]


def _zipf(n: int, s: float = 1.1) -> list[tuple[int, float]]:
    return [(i, 1.0 / (i + 1) ** s) for i in range(n)]


def generate_store(url: str, n: int, seed: int = 7) -> None:
    """Create (migrate) the store at ``url`` and fill it with ``n`` synthetic mentions."""
    rng = random.Random(seed)
    store = open_store(url)
    source_pick = _Picker(rng, [(s, w) for s, (w, _k, _c) in _SOURCES.items()])
    kind_pick = {s: _Picker(rng, k) for s, (_w, k, _c) in _SOURCES.items()}
    community_pick = {
        s: _Picker(rng, [(c[i], w) for i, w in _zipf(len(c))])
        for s, (_w, _k, c) in _SOURCES.items()
    }
    author_pick = _Picker(rng, _zipf(300_000, 0.6))
    lang_pick = _Picker(rng, _LANGS)
    quality_pick = _Picker(rng, _QUALITY)
    topic_pick = _Picker(rng, [(t, 1.0) for t in _TOPICS])
    brand_pick = _Picker(
        rng, [("Acme", 0.45), ("Globex", 0.25), ("Initech", 0.12), ("category", 0.18)]
    )
    start = END - timedelta(days=DAYS)
    # Times: growing over the year (density ∝ 1 + t on [0, 1]), quieter at weekends; sorted.
    stamps: list[float] = []
    while len(stamps) < n:
        u = rng.random()
        t = ((1 + 3 * u) ** 0.5 - 1) * DAYS * 86400  # inverse CDF of density ∝ 1 + t
        when = start + timedelta(seconds=t)
        if when.weekday() >= 5 and rng.random() < 0.35:
            continue
        stamps.append(t)
    stamps.sort()
    recent_complaints: dict[str, deque[tuple[str, datetime, str]]] = {
        s: deque(maxlen=200) for s in _SOURCES
    }
    ext_counter = itertools.count(1)
    mention_id = 0
    with store.engine.connect() as conn:
        for first in range(0, n, BATCH):
            mentions: list[dict[str, Any]] = []
            matches: list[dict[str, Any]] = []
            labels: list[dict[str, Any]] = []
            for t in stamps[first : first + BATCH]:
                mention_id += 1
                created = start + timedelta(seconds=t)
                source = source_pick()
                external_id = f"{source[:2]}{next(ext_counter)}"
                target = brand_pick()
                own_reply = source in _OWN and rng.random() < 0.012 and recent_complaints[source]
                parent: str | None = None
                if own_reply:
                    parent, complained, community = recent_complaints[source][
                        rng.randrange(len(recent_complaints[source]))
                    ]
                    created = complained + timedelta(hours=rng.expovariate(1 / 12))
                    kind = "answer" if source == "stackexchange" else "comment"
                    author = _OWN[source]
                    target = "Acme"
                else:
                    kind = kind_pick[source]()
                    author = f"user{author_pick()}"
                    community = community_pick[source]()
                sentiment_roll = rng.random()
                complaint = (
                    rng.betavariate(5, 2)
                    if sentiment_roll < 0.22 and not own_reply
                    else rng.betavariate(1.2, 8)
                )
                is_complaint = complaint >= 0.5
                if own_reply:
                    text = (
                        "Sorry to hear that! We have sent you a DM to sort this out. acme support"
                    )
                    sentiment = "neutral"
                elif is_complaint:
                    text = _TOPICS[topic_pick()]
                    sentiment = "negative" if rng.random() < 0.85 else "neutral"
                elif sentiment_roll < 0.55:
                    text, sentiment = _PRAISE, "positive"
                else:
                    text, sentiment = _NEUTRAL, ("neutral" if rng.random() < 0.8 else "negative")
                name = {"Acme": "Acme", "Globex": "Globex", "Initech": "Initech"}.get(target, "")
                text = f"{name} {text} {' '.join(rng.choices(_FILLER, k=rng.randint(2, 12)))}"
                if is_complaint and target == "Acme" and rng.random() < 0.1:
                    text += " @acme_support"
                if parent is None and kind in ("comment", "answer"):
                    parent = f"{source[:2]}{rng.randint(1, max(1, mention_id))}"
                language = lang_pick()
                score: int | None
                comments: int | None
                answers: int | None
                helpful: int | None
                rating: int | None
                if source == "reddit" or source == "hackernews" or source == "mastodon":
                    score, comments = (
                        int(rng.paretovariate(1.3)) - 1,
                        int(rng.paretovariate(1.6)) - 1,
                    )
                    answers = helpful = rating = None
                elif source == "stackexchange":
                    score, comments = int(rng.paretovariate(1.8)) - 1, rng.randint(0, 4)
                    answers = rng.choice((0, 0, 1, 1, 2, 3)) if kind == "question" else None
                    helpful = rating = None
                else:
                    score = comments = answers = None
                    helpful = int(rng.paretovariate(1.5)) - 1
                    rating = 1 if is_complaint else rng.choice((3, 4, 5, 5))
                mentions.append(
                    {
                        "id": mention_id,
                        "source": source,
                        "external_id": external_id,
                        "kind": kind,
                        "url": f"https://{source}.example/{external_id}",
                        "community": community,
                        "author": author,
                        "title": text[:60] if kind in ("post", "question", "review") else None,
                        "text": text,
                        "created_at": created,
                        "collected_at": created + timedelta(minutes=10),
                        "updated_at": created + timedelta(minutes=10),
                        "parent_id": parent,
                        "thread_id": parent,
                        "score": score,
                        "comments": comments,
                        "answers": answers,
                        "rating": rating,
                        "helpful_votes": helpful,
                        "language": None if language == "und" else language,
                        "deleted": rng.random() < 0.005,
                        "raw": None,
                    }
                )
                if target == "category":
                    matches.append(_match(mention_id, "Acme", "category", created))
                else:
                    matches.append(_match(mention_id, target, "brand", created))
                    if rng.random() < 0.04:
                        other = "Globex" if target != "Globex" else "Acme"
                        matches.append(_match(mention_id, other, "brand", created))
                if own_reply:
                    matches.append(_match(mention_id, "Acme", "own", created))
                if target == "Acme" and is_complaint and community in _PRESENT:
                    recent_complaints[source].append((external_id, created, community))
                if rng.random() < 0.97:
                    labels.append(
                        _label(
                            rng, mention_id, sentiment, complaint, quality_pick(), language, created
                        )
                    )
            with conn.begin():
                write = _copy if conn.dialect.name == "postgresql" else _insert
                write(conn, schema.mentions, mentions)
                write(conn, schema.matches, matches)
                write(conn, schema.labels, labels)
                daycache.touch_days(conn, {daycache.day_of(m["created_at"]) for m in mentions})
        if conn.dialect.name == "postgresql":  # ids were given: move the sequences past them
            with conn.begin():
                for table in ("mentions", "labels"):
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))"
                    )
    store.engine.dispose()


def _insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(table), rows)


def _copy(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL's bulk path: the 10-million-mention store loads in minutes, not an hour."""
    if not rows:
        return
    columns = list(rows[0])
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        quoted = ", ".join(f'"{c}"' for c in columns)
        with cursor.copy(f"COPY {table.name} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[c] for c in columns])


def _match(mention_id: int, brand: str, role: str, created: datetime) -> dict[str, Any]:
    return {"mention_id": mention_id, "brand": brand, "role": role, "created_at": created}


def _label(
    rng: random.Random,
    mention_id: int,
    sentiment: str,
    complaint: float,
    quality: str,
    language: str,
    created: datetime,
) -> dict[str, Any]:
    top = rng.uniform(0.5, 0.95)
    rest = (1 - top) / 2
    probs = {s: (top if s == sentiment else rest) for s in ("negative", "neutral", "positive")}
    base = {"constructive": 0.8, "ordinary": 0.55, "low_effort": 0.3, "spam": 0.1, "toxic": 0.05}
    return {
        "mention_id": mention_id,
        "model": "synthetic",
        "model_version": MODEL_VERSION,
        "sentiment": sentiment,
        "sentiment_negative": probs["negative"],
        "sentiment_neutral": probs["neutral"],
        "sentiment_positive": probs["positive"],
        "complaint": complaint,
        "quality": quality,
        "quality_score": min(1.0, max(0.0, base[quality] + rng.uniform(-0.1, 0.1))),
        "language": language,
        "labelled_at": created + timedelta(hours=1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="mentions to generate")
    parser.add_argument("--out", type=Path, default=Path("/tmp/grapevine-synthetic.db"))
    parser.add_argument("--url", help="a database URL instead of --out (e.g. PostgreSQL)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.url is None and args.out.exists():
        sys.exit(f"{args.out} exists; delete it or choose another --out")
    url = args.url or f"sqlite:///{args.out}"
    began = time.perf_counter()
    generate_store(url, args.n, args.seed)
    print(f"{args.n:,} mentions written to {url} in {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
