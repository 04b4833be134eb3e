"""A small store whose figures are known by hand, for the app's tests.

Acme (own account ``acme_support`` on HN, own community ``reddit:r/acme``) against Globex.
The newest mention is on 19 Nov 2026, so the app's default 30-day period is
21 Oct – 19 Nov 2026 and the previous period 21 Sep – 20 Oct 2026.

In the period Acme has 10 brand mentions: 4 positive, 3 negative, 3 neutral; one of them
(the reply by ``acme_support``) is not organic. Globex has 3 (one shared with Acme).
Three mentions match only Acme's category query (two in r/espresso and Globex's
"grinder broke"). The previous period has 2
Acme mentions. One mention carries ``<script>`` and a ``javascript:`` link.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from config import Settings
from core.mention import Mention, MentionKind
from grapevine.engine import BrandMatcher
from storage import Store
from storage.schema import labels, runs

NEWEST = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
FIRST_DAY = date(2026, 10, 21)
LAST_DAY = date(2026, 11, 19)
MODEL = "test-model"
MODEL_VERSION = "test-1"
SCRIPT_TEXT = "<script>alert('x')</script> acme rocks"

CONFIG_EXTRA = """
[sources.reddit]
enabled = true
every = "1h"
"""

# (source, id, kind, days before NEWEST, community, author, text, language,
#  sentiment, complaint, quality, url, parent_id)
ROWS: list[tuple[Any, ...]] = [
    (
        "hackernews",
        "c1",
        "comment",
        1,
        "hackernews",
        "alice",
        "Acme grinder is wonderful",
        "en",
        "positive",
        0.05,
        "constructive",
        "https://news.ycombinator.com/item?id=1",
        None,
    ),
    (
        "hackernews",
        "c2",
        "comment",
        2,
        "hackernews",
        "alice",
        "Acme support fixed it fast, love acme",
        "en",
        "positive",
        0.10,
        "constructive",
        "https://news.ycombinator.com/item?id=2",
        None,
    ),
    (
        "hackernews",
        "c3",
        "comment",
        3,
        "hackernews",
        "bob",
        "acme broke after a week, I want a refund",
        "en",
        "negative",
        0.92,
        "ordinary",
        "https://news.ycombinator.com/item?id=3",
        None,
    ),
    (
        "hackernews",
        "c4",
        "comment",
        4,
        "hackernews",
        "bob",
        "acme is the worst",
        "en",
        "negative",
        0.60,
        "low_effort",
        "https://news.ycombinator.com/item?id=4",
        None,
    ),
    (
        "hackernews",
        "c5",
        "comment",
        5,
        "hackernews",
        "carol",
        "acme corp announced something",
        "en",
        "neutral",
        0.02,
        "ordinary",
        "https://news.ycombinator.com/item?id=5",
        None,
    ),
    (
        "hackernews",
        "c6",
        "post",
        6,
        "hackernews",
        "dave",
        SCRIPT_TEXT,
        "en",
        "positive",
        0.01,
        "ordinary",
        "javascript:alert(1)",
        None,
    ),
    (
        "reddit",
        "r1",
        "post",
        7,
        "reddit:r/acme",
        "erin",
        "Acme machine leaks water, help?",
        "en",
        "negative",
        0.85,
        "constructive",
        "https://reddit.com/r/acme/1",
        None,
    ),
    (
        "reddit",
        "r2",
        "comment",
        8,
        "reddit:r/espresso",
        "frank",
        "acme vs globex: acme wins",
        "en",
        "positive",
        0.03,
        "constructive",
        "https://reddit.com/r/espresso/2",
        None,
    ),
    (
        "reddit",
        "r3",
        "comment",
        9,
        "reddit:r/espresso",
        "gina",
        "acme ist gut",
        "de",
        "neutral",
        0.04,
        "ordinary",
        "https://reddit.com/r/espresso/3",
        None,
    ),
    (
        "hackernews",
        "c7",
        "comment",
        2.9,
        "hackernews",
        "acme_support",
        "Sorry to hear that, acme support here",
        "en",
        "neutral",
        0.05,
        "constructive",
        "https://news.ycombinator.com/item?id=7",
        "c3",
    ),
    (
        "hackernews",
        "g1",
        "comment",
        3,
        "hackernews",
        "hank",
        "globex is great",
        "en",
        "positive",
        0.02,
        "ordinary",
        "https://news.ycombinator.com/item?id=11",
        None,
    ),
    (
        "reddit",
        "g2",
        "comment",
        4,
        "reddit:r/espresso",
        "ivan",
        "globex grinder broke",
        "en",
        "negative",
        0.70,
        "ordinary",
        "https://reddit.com/r/espresso/12",
        None,
    ),
    (
        "reddit",
        "k1",
        "question",
        5,
        "reddit:r/espresso",
        "judy",
        "best espresso setup under 200?",
        "en",
        "neutral",
        0.01,
        "ordinary",
        "https://reddit.com/r/espresso/13",
        None,
    ),
    (
        "reddit",
        "k2",
        "comment",
        6,
        "reddit:r/espresso",
        "kim",
        "my espresso tastes sour",
        "en",
        "negative",
        0.40,
        "ordinary",
        "https://reddit.com/r/espresso/14",
        None,
    ),
    (
        "hackernews",
        "p1",
        "comment",
        35,
        "hackernews",
        "leo",
        "acme is ok",
        "en",
        "neutral",
        0.02,
        "ordinary",
        "https://news.ycombinator.com/item?id=21",
        None,
    ),
    (
        "hackernews",
        "p2",
        "comment",
        36,
        "hackernews",
        "mia",
        "acme was great",
        "en",
        "positive",
        0.02,
        "ordinary",
        "https://news.ycombinator.com/item?id=22",
        None,
    ),
]

# Figures worked out by hand from ROWS for the default period (see the module docstring).
ACME_VOLUME = 10
ACME_PREVIOUS_VOLUME = 2
GLOBEX_VOLUME = 3
ACME_NSS = "14"  # (4 − 3) / (4 + 3) × 100 = 14.3
ACME_SOV = "76.9 %"  # 10 / (10 + 3)
ACME_ORGANIC = 9  # all but acme_support's reply
ACME_COMPLAINTS = 3  # c3 (0.92), r1 (0.85), c4 (0.60); threshold 0.5
ACME_COMPLAINT_RATE = "33.3 %"  # 3 / 9 labelled organic mentions
ACME_UNANSWERED = ("erin", "bob")  # c3 got acme_support's reply


def _probabilities(sentiment: str) -> dict[str, float]:
    probs = {"negative": 0.1, "neutral": 0.1, "positive": 0.1}
    probs[sentiment] = 0.8
    return {f"sentiment_{k}": v for k, v in probs.items()}


def seed(store: Store, settings: Settings) -> None:
    """Fill ``store`` with :data:`ROWS`, their brand matches, labels and two runs."""
    matcher = BrandMatcher(settings.tracked)
    mentions = []
    for source, ext, kind, days, community, author, text, lang, *_rest, url, parent in ROWS:
        mentions.append(
            Mention(
                source=source,
                external_id=ext,
                kind=MentionKind(kind),
                created_at=NEWEST - timedelta(days=days),
                text=text,
                url=url,
                community=community,
                author=author,
                language=lang,
                parent_id=parent,
                thread_id=parent or ext,
                score=3,
                comments=1,
            )
        )
    store.save_page(mentions, {m.key: matcher.match(m) for m in mentions})
    ids = {r["external_id"]: r["id"] for r in store.iter_mentions()}
    label_rows = [
        {
            "mention_id": ids[ext],
            "model": MODEL,
            "model_version": MODEL_VERSION,
            "sentiment": sentiment,
            **_probabilities(sentiment),
            "complaint": complaint,
            "quality": quality,
            "quality_score": 0.5,
            "language": lang,
            "labelled_at": NEWEST + timedelta(hours=1),
        }
        for _s, ext, _k, _d, _c, _a, _t, lang, sentiment, complaint, quality, _u, _p in ROWS
    ]
    with store.engine.begin() as conn:
        conn.execute(insert(labels), label_rows)
        conn.execute(
            insert(runs),
            [
                {
                    "source": "hackernews",
                    "scope": "Acme",
                    "status": "ok",
                    "started_at": NEWEST,
                    "finished_at": NEWEST + timedelta(seconds=40),
                    "replay": False,
                    "message": None,
                    "new": 7,
                    "duplicates": 2,
                    "skipped": 0,
                    "errors": 0,
                    "rate_limit_waits": 0,
                    "waited_seconds": 0.0,
                },
                {
                    "source": "reddit",
                    "scope": "Acme",
                    "status": "failed",
                    "started_at": NEWEST - timedelta(minutes=5),
                    "finished_at": NEWEST - timedelta(minutes=3),
                    "replay": False,
                    "message": "rate limited: HTTP 429 from reddit, retry after 60 s",
                    "new": 0,
                    "duplicates": 0,
                    "skipped": 0,
                    "errors": 1,
                    "rate_limit_waits": 2,
                    "waited_seconds": 120.0,
                },
            ],
        )
