"""Building the demo store: the replayed recordings, a generated month, labels, alerts.

Everything goes through the same code as collected data: the recordings through the real
collectors (replayed), the generated mentions through the engine's brand matcher and the
store's upsert, the labels through the labeller, the alerts through the rule check (stored,
not delivered). Only the texts and their timing are made up, and the store says so: its
``meta`` table carries a ``demo`` entry that the dashboard's banner reads.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select

from config import Settings
from grapevine.alerts import CheckSummary, run_alert_check
from grapevine.demo.generate import generate_month
from grapevine.demo.marker import COMMUNITY_NAMES_KEY, DEMO_KEY, read_demo, write_meta
from grapevine.engine import BrandMatcher, Engine, RunResult
from storage import Match, Store, daycache, schema

__all__ = ["DemoSummary", "NotADemoStore", "build_demo"]

PAGE = 500
#: what a rebuild clears (never users, sign-in records or deletion tombstones)
_DATA_TABLES = ("alert_deliveries", "alerts", "labels", "matches", "mentions", "cursors", "runs")


class NotADemoStore(Exception):
    """The store holds collected data: the demo will not mix itself into it."""


@dataclasses.dataclass(frozen=True)
class DemoSummary:
    replayed: tuple[RunResult, ...]
    generated: int
    labelled: int
    alerts: CheckSummary


def _prepare(store: Store) -> None:
    """An empty store, or a previous demo (cleared): anything else is refused."""
    with store.engine.begin() as conn:
        has_data = conn.execute(select(func.count()).select_from(schema.mentions)).scalar_one()
        if has_data and read_demo(conn) is None:
            raise NotADemoStore(
                "the store already holds collected mentions; build the demo in its own store "
                "(--database-url sqlite:///data/demo.db)"
            )
        tables = schema.metadata.tables
        # every figure over the old demo's days is out of date (storage/daycache.py)
        old_days = conn.execute(select(schema.mentions.c.created_at)).scalars()
        daycache.touch_days(conn, {daycache.day_of(c) for c in old_days})
        for name in _DATA_TABLES:
            if name in tables:
                conn.execute(delete(tables[name]))
        for key in (DEMO_KEY, COMMUNITY_NAMES_KEY):
            conn.execute(delete(schema.meta).where(schema.meta.c.key == key))


def build_demo(
    store: Store,
    settings: Settings,
    *,
    now: datetime,
    label: Callable[[Store], int],
    seed: int = 7,
    replay: bool = True,
    on_step: Callable[[str], None] = lambda _message: None,
) -> DemoSummary:
    """Fill ``store`` with the demo and fire the alerts it calls for; see the module doc.

    ``label`` labels the store's unlabelled mentions (the shipped classifier from the CLI;
    tests pass a stand-in). ``replay=False`` leaves the recordings out.
    """
    _prepare(store)
    results: Sequence[RunResult] = ()
    if replay:
        on_step("replaying the bundled recordings")
        engine = Engine(store, settings, replay=settings.enabled_sources())
        results = [engine.run_job(job) for job in engine.jobs()]
    on_step("generating a month of mentions")
    month = generate_month(settings, now, seed=seed)
    enabled = set(settings.enabled_sources())
    matcher = BrandMatcher(settings.tracked)
    kept = [m for m in month.mentions if not enabled or m.source in enabled]
    generated = 0
    for first in range(0, len(kept), PAGE):
        page = kept[first : first + PAGE]
        matched: dict[tuple[str, str], list[Match]] = {}
        for mention in page:
            found = matcher.match(mention)
            if found:
                matched[mention.key] = found
        new, _ = store.save_page([m for m in page if m.key in matched], matched)
        generated += new
    with store.engine.begin() as conn:
        write_meta(
            conn,
            DEMO_KEY,
            {
                "built_at": now.isoformat(),
                "generated": generated,
                "seed": seed,
                "from": month.start.isoformat(),
                "to": month.end.isoformat(),
            },
        )
        write_meta(conn, COMMUNITY_NAMES_KEY, month.community_names)
    on_step("labelling")
    labelled = label(store)
    on_step("checking the alert rules")
    alerts = run_alert_check(store, settings, now=now)
    return DemoSummary(tuple(results), generated, labelled, alerts)
