"""Where the store's data comes from, as the dashboard's banner and the CLI say it.

A store built by ``grapevine demo`` carries a ``demo`` entry in its ``meta`` table; the
``runs`` table says which sources were replayed from bundled recordings. From those two:

- **demo** — the demo was built and no live collection has run since;
- **replay** — nothing was ever collected live; what is there was replayed;
- **partial** — some sources' latest runs were replays (their hosts were unreachable);
- nothing — live data only.

A leaf module (``storage`` and SQLAlchemy only): the dashboard reads it on every page.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, func, select

from storage import schema
from storage.store import upsert_statement

__all__ = [
    "COMMUNITY_NAMES_KEY",
    "DEMO_KEY",
    "DataOrigin",
    "data_origin",
    "read_demo",
    "write_meta",
]

DEMO_KEY = "demo"
COMMUNITY_NAMES_KEY = "community_names"
_LIVE = ("ok", "degraded")


@dataclasses.dataclass(frozen=True)
class DataOrigin:
    kind: Literal["demo", "replay", "partial"]
    #: sources whose latest run replayed recordings
    replayed: tuple[str, ...] = ()
    built_at: datetime | None = None


def write_meta(conn: Connection, key: str, value: Any) -> None:
    """Set ``key`` to ``value`` (JSON) in the store's ``meta`` table, replacing it (an
    upsert: another process may write the same key at once)."""
    text = json.dumps(value, sort_keys=True)
    stmt = upsert_statement(conn, schema.meta).values(key=key, value=text)
    conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": text}))


def read_demo(conn: Connection) -> dict[str, Any] | None:
    """What ``grapevine demo`` recorded about the store it built, or None."""
    value = conn.execute(
        select(schema.meta.c.value).where(schema.meta.c.key == DEMO_KEY)
    ).scalar_one_or_none()
    if value is None:
        return None
    try:
        info = json.loads(value)
    except ValueError:
        return {}
    return info if isinstance(info, dict) else {}


def data_origin(conn: Connection) -> DataOrigin | None:
    """Is the store's data a demo, replayed recordings, or (None) live?"""
    r = schema.runs
    newest = select(func.max(r.c.id).label("id")).group_by(r.c.source).subquery()
    latest = conn.execute(select(r.c.source, r.c.replay).join(newest, r.c.id == newest.c.id))
    replayed = tuple(sorted(source for source, replay in latest if replay))
    live_since = conn.execute(
        select(func.max(r.c.started_at)).where(r.c.replay.is_(False), r.c.status.in_(_LIVE))
    ).scalar_one_or_none()
    demo = read_demo(conn)
    if demo is not None:
        built = _when(demo.get("built_at"))
        if live_since is None or (built is not None and live_since < built):
            return DataOrigin("demo", replayed, built)
    if live_since is None and replayed:
        return DataOrigin("replay", replayed)
    if replayed:
        return DataOrigin("partial", replayed)
    return None


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
