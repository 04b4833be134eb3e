"""The same figures on SQLite and PostgreSQL: the scoring queries are one SQLAlchemy Core
code path, but date bucketing and casts differ by dialect. CI starts a PostgreSQL on
loopback (``.ci/run``); without one this module is skipped."""

from __future__ import annotations

import dataclasses
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

import scoring
from core.mention import Mention, MentionKind
from grapevine.synthetic import END, generate_store, synthetic_settings
from scoring import Period
from storage import open_store

PG_URL = os.environ.get("GRAPEVINE_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(
    not PG_URL, reason="GRAPEVINE_TEST_POSTGRES_URL not set (.ci/run starts a PostgreSQL)"
)


def test_every_figure_is_the_same_on_both_backends(tmp_path: Path) -> None:
    assert PG_URL is not None
    sqlite_url = f"sqlite:///{tmp_path / 'parity.db'}"
    pg = create_engine(PG_URL)
    with pg.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    pg.dispose()
    generate_store(sqlite_url, 3000, seed=3)
    generate_store(PG_URL, 3000, seed=3)
    period = Period(END - timedelta(days=30), END)
    results = []
    for url in (sqlite_url, PG_URL):
        settings = synthetic_settings(url)
        engine = create_engine(url)
        results.append(
            (
                scoring.brand_overview(engine, settings, "Acme", period, granularity="week"),
                scoring.word_of_mouth(engine, settings, "Acme", period),
                scoring.complaint_behaviour(engine, settings, "Acme", period),
                scoring.quality_mix(engine, settings, "Acme", period),
                scoring.engagement_depth(engine, settings, "Acme", period),
                scoring.community_hotspots(engine, settings, "Acme", period),
            )
        )
        engine.dispose()
    on_sqlite, on_postgres = results
    assert on_sqlite[0].total.current  # the period is not empty
    for a, b in zip(on_sqlite, on_postgres, strict=True):
        assert _rounded(a) == _rounded(b)


def test_a_generated_postgresql_store_takes_new_mentions() -> None:
    """The generator writes ids itself (``COPY`` on PostgreSQL); the store's own inserts
    afterwards must get fresh ids from the sequence, not collide with the generated ones."""
    assert PG_URL is not None
    pg = create_engine(PG_URL)
    with pg.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    pg.dispose()
    generate_store(PG_URL, 500, seed=5)
    store = open_store(PG_URL)
    mention = Mention(
        source="reddit",
        external_id="new-after-generation",
        kind=MentionKind.POST,
        created_at=END,
        text="acme after the generated year",
    )
    assert store.save_page([mention], {}) == (1, 0)
    with store.engine.connect() as conn:
        ids = conn.execute(text("SELECT count(*), max(id) FROM mentions")).one()
        label_ids = conn.execute(text("SELECT max(id) FROM labels")).scalar_one()
    store.engine.dispose()
    assert ids == (501, 501)
    assert label_ids is not None
    assert label_ids > 400  # about 97 % of the 500 generated mentions are labelled


def _rounded(value: Any) -> Any:
    """Records as plain data with floats to 9 significant digits (sums differ in the last bit)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _rounded(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value
