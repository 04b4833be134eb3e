"""Fixtures for the demo's tests: the example configuration on a temporary store, and a
stand-in labeller (the shipped model takes minutes on a laptop; its own tests are in
tests/nlp)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from config import Settings, load_config
from storage import Store, open_store, schema

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "config" / "grapevine.toml"
NOW = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)

_SENTIMENT = {
    "positive": ("positive", 0.05),
    "neutral": ("neutral", 0.05),
    "reply": ("neutral", 0.02),
    "complaint": ("negative", 0.92),
    "incident": ("negative", 0.9),
}


def stand_in_labels(store: Store) -> int:
    """Label every unlabelled mention from the mood the generator wrote in its raw
    payload (recordings: neutral), as the shipped model would label those texts."""
    m, lab = schema.mentions, schema.labels
    with store.engine.begin() as conn:
        done = {row[0] for row in conn.execute(select(lab.c.mention_id))}
        rows = []
        for mention_id, raw, language in conn.execute(select(m.c.id, m.c.raw, m.c.language)):
            if mention_id in done:
                continue
            mood = raw.get("mood", "neutral") if isinstance(raw, dict) else "neutral"
            sentiment, complaint = _SENTIMENT.get(mood, ("neutral", 0.05))
            probs = {
                s: (0.8 if s == sentiment else 0.1) for s in ("negative", "neutral", "positive")
            }
            rows.append(
                {
                    "mention_id": mention_id,
                    "model": "stand-in",
                    "model_version": "stand-in-1",
                    "sentiment": sentiment,
                    "sentiment_negative": probs["negative"],
                    "sentiment_neutral": probs["neutral"],
                    "sentiment_positive": probs["positive"],
                    "complaint": complaint,
                    "quality": "ordinary",
                    "quality_score": 0.5,
                    "language": language,
                    "labelled_at": NOW,
                }
            )
        if rows:
            conn.execute(insert(lab), rows)
    return len(rows)


@pytest.fixture
def example_settings(tmp_path: Path) -> Callable[..., Settings]:
    """The shipped example configuration (the demo brands), on a store in ``tmp_path``."""

    def make(name: str = "demo.db") -> Settings:
        url = f"sqlite:///{tmp_path / name}"
        return load_config(EXAMPLE, overrides={"store": {"database_url": url}}, environ={})

    return make


@pytest.fixture
def demo_store(example_settings: Callable[..., Settings]) -> Iterator[tuple[Store, Settings]]:
    settings = example_settings()
    store = open_store(settings.store.database_url)
    yield store, settings
    store.engine.dispose()
