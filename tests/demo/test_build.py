"""``build_demo``: recordings replayed, the month stored through the real matcher, labels,
alerts fired and stored, the store marked as a demo (and refused when it is not one)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from config import Settings
from grapevine.alerts import list_alerts
from grapevine.demo.build import NotADemoStore, build_demo
from grapevine.demo.marker import data_origin, read_demo
from scoring.communities import community_names, display_name
from storage import Store, open_store, schema
from tests.demo.conftest import NOW, stand_in_labels


def _count(store: Store, table: object) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_the_demo_fires_every_rule_for_the_demo_brand(demo_store: tuple[Store, Settings]) -> None:
    store, settings = demo_store
    summary = build_demo(store, settings, now=NOW, label=stand_in_labels)
    assert {r.job.source for r in summary.replayed} == set(settings.enabled_sources())
    assert all(r.replay and r.status in ("ok", "degraded") for r in summary.replayed)
    assert summary.generated > 1000
    assert summary.labelled == _count(store, schema.mentions)
    fired = {(f.brand, f.rule) for f in summary.alerts.fired}
    # every rule of config/grapevine.toml (the keyword rules are named "incidents")
    assert fired == {
        ("Waymo", "volume_spike"),
        ("Waymo", "negative_swing"),
        ("Waymo", "unanswered_complaint"),
        ("Waymo", "incidents"),
        ("Waymo", "new_hotspot"),
        ("Facebook", "volume_spike"),
        ("Facebook", "incidents"),
    }
    stored = list_alerts(store, limit=50)
    assert len(stored) == len(summary.alerts.fired)
    with store.engine.connect() as conn:
        assert read_demo(conn) is not None
        origin = data_origin(conn)
        names = community_names(conn)
    assert origin is not None
    assert origin.kind == "demo"
    assert set(origin.replayed) == set(settings.enabled_sources())
    assert display_name("googleplay:com.waymo.carapp", names) == "Waymo One (Google Play)"


def test_live_collection_replaces_the_demo_marking(demo_store: tuple[Store, Settings]) -> None:
    store, settings = demo_store
    build_demo(store, settings, now=NOW, label=stand_in_labels, replay=False)
    with store.engine.begin() as conn:
        origin = data_origin(conn)
        assert origin is not None
        assert origin.kind == "demo"
        conn.execute(
            insert(schema.runs).values(
                source="hackernews",
                scope="Waymo",
                started_at=NOW + timedelta(minutes=5),
                finished_at=NOW + timedelta(minutes=6),
                status="ok",
                replay=False,
            )
        )
        assert data_origin(conn) is None


def test_a_rebuild_replaces_the_previous_demo(demo_store: tuple[Store, Settings]) -> None:
    store, settings = demo_store
    build_demo(store, settings, now=NOW, label=stand_in_labels, replay=False)
    later = NOW + timedelta(days=1)
    again = build_demo(store, settings, now=later, label=stand_in_labels, replay=False)
    assert _count(store, schema.mentions) == again.generated  # nothing of the first left
    assert _count(store, schema.labels) == again.labelled
    with store.engine.connect() as conn:
        oldest, newest = conn.execute(
            select(func.min(schema.mentions.c.created_at), func.max(schema.mentions.c.created_at))
        ).one()
    assert later - timedelta(days=30) <= oldest
    assert NOW < newest < later


def test_a_store_with_collected_data_is_refused(
    example_settings: Callable[..., Settings],
) -> None:
    settings = example_settings("collected.db")
    store = open_store(settings.store.database_url)
    try:
        from grapevine.engine import Engine

        engine = Engine(store, settings, replay=["hackernews"])
        engine.run_job(engine.jobs(["hackernews"], ["Waymo"])[0])
        assert _count(store, schema.mentions) > 0
        with pytest.raises(NotADemoStore, match="own store"):
            build_demo(store, settings, now=NOW, label=stand_in_labels)
        with store.engine.connect() as conn:
            origin = data_origin(conn)
        assert origin is not None
        assert origin.kind == "replay"
    finally:
        store.engine.dispose()
