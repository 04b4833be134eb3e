"""Hostile data: what anyone who can post publicly can put into every field Grapevine
stores, shows, alerts on and exports."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert

from config import Settings
from core.mention import Mention, MentionKind
from storage import Match, Store, schema
from tests.app.seed import MODEL, MODEL_VERSION, NEWEST
from tests.app.seed import seed as seed_app

#: The host a successful injection would make the viewer's browser (or mail client) fetch.
ATTACKER = "attacker.test"
PIXEL = f"http://{ATTACKER}/p.png"

#: Markdown, HTML, javascript: links, Streamlit directives, Slack pings and maths.
PAYLOADS = (
    f"![x]({PIXEL})",
    f"<img src={PIXEL} onerror=alert(1)>",
    "<script>alert('xss')</script>",
    "[click me](javascript:alert(1))",
    f"<a href='javascript:alert(1)'>a</a> [[x]]({PIXEL})",
    ":red[owned] :material/warning: $$x^2$$",
    "<!channel> <@U123> *bold* _it_",
    f"<iframe src='{PIXEL}'></iframe>",
)
HOSTILE = " ".join(PAYLOADS)


def hostile_mentions() -> list[Mention]:
    """Every stored text field carries every payload; the author posts positive and
    negative, organic mentions (advocate and detractor lists) in a community of their own."""
    return [
        Mention(
            source="hackernews",
            external_id=f"evil{i}",
            kind=MentionKind("comment"),
            created_at=NEWEST - timedelta(hours=2 + i),
            text=f"acme {HOSTILE}",
            title=f"acme {HOSTILE}",
            url="javascript:alert(1)" if i % 2 else f"{PIXEL}?{HOSTILE}",
            community=f"{PAYLOADS[0]} {PAYLOADS[4]}",
            author=f"{PAYLOADS[0]}<b>",
            language="en",
            score=50,
            comments=9,
        )
        for i in range(4)
    ]


def seed_hostile(store: Store, settings: Settings) -> dict[str, int]:
    """The app's hand-checked store plus the hostile mentions, labelled, and an alert that
    quotes them."""
    seed_app(store, settings)
    hostile = hostile_mentions()
    store.save_page(hostile, {m.key: [Match("Acme")] for m in hostile})
    ids = {r["external_id"]: int(r["id"]) for r in store.iter_mentions()}
    rows = [
        {
            "mention_id": ids[m.external_id],
            "model": MODEL,
            "model_version": MODEL_VERSION,
            "sentiment": "positive" if i < 2 else "negative",
            "sentiment_negative": 0.1 if i < 2 else 0.8,
            "sentiment_neutral": 0.1,
            "sentiment_positive": 0.8 if i < 2 else 0.1,
            "complaint": 0.1 if i < 2 else 0.95,
            "quality": "constructive",
            "quality_score": 0.5,
            "language": "en",
            "labelled_at": NEWEST + timedelta(hours=1),
        }
        for i, m in enumerate(hostile)
    ]
    payload = {
        "title": f"Complaint {HOSTILE}",
        "summary": HOSTILE,
        "figure": {"label": HOSTILE, "value": "1"},
        "brand": "Acme",
        "link": "javascript:alert(1)",
        "examples": [
            {
                "mention_id": ids["evil2"],
                "source": "hackernews",
                "community": HOSTILE,
                "created_at": NEWEST.isoformat(),
                "text": HOSTILE,
                "url": "javascript:alert(1)",
            }
        ],
    }
    with store.engine.begin() as conn:
        conn.execute(insert(schema.labels), rows)
        conn.execute(
            insert(schema.alerts).values(
                rule="complaint", brand="Acme", event_key="evil", fired_at=NEWEST, payload=payload
            )
        )
    return ids


def alert_payload() -> dict[str, object]:
    """The hostile alert as a channel renders it."""
    return {
        "kind": "complaint",
        "title": f"Complaint {HOSTILE}",
        "summary": HOSTILE,
        "figure": {"label": HOSTILE, "value": HOSTILE},
        "brand": HOSTILE,
        "link": "javascript:alert(1)",
        "examples": [
            {
                "mention_id": 1,
                "source": "hackernews",
                "community": HOSTILE,
                "created_at": NEWEST.isoformat(),
                "text": HOSTILE,
                "url": url,
            }
            for url in ("javascript:alert(1)", f"{PIXEL}?{HOSTILE}", "data:text/html,<b>x</b>")
        ],
    }
