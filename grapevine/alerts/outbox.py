"""The alert outbox: every read and write of ``alerts`` and ``alert_deliveries``.

An alert is *fired* by writing it and one ``pending`` delivery per channel in a single
transaction; delivery happens afterwards. A process that dies between the two leaves the
deliveries pending, and the next :func:`grapevine.alerts.deliver_pending` sends them: once
per channel. The ``(rule, brand, event_key)`` unique constraint makes firing idempotent, so
two checks racing on the same event store it once.

Deliveries are *claimed* before they are sent (an optimistic update that bumps ``attempts``
and pushes ``next_attempt_at`` a lease into the future), so two workers never send the same
delivery at once, and a worker that dies mid-send hands it back when the lease runs out.
The one window left is a crash after a receiver accepted a message and before it was marked
delivered: that message is sent again, carrying the same delivery id so receivers can drop
the copy. This is the usual outbox trade-off (at-least-once at the wire); it cannot be
closed without the receiver's help.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from config import redact
from storage import Store, schema

__all__ = [
    "AlertRecord",
    "Claimed",
    "DeliveryRecord",
    "alerted_subjects",
    "claim_due",
    "fire",
    "last_fired",
    "list_alerts",
    "mark_delivered",
    "mark_failed_attempt",
]

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
_ERROR_CHARS = 500


@dataclasses.dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One channel's delivery of one alert, as ``alerts list`` and the app show it."""

    id: int
    channel: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None


@dataclasses.dataclass(frozen=True, slots=True)
class AlertRecord:
    """A fired alert and how each of its deliveries went."""

    id: int
    rule: str
    brand: str
    event_key: str
    fired_at: datetime
    payload: dict[str, Any]
    deliveries: tuple[DeliveryRecord, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this worker now owns until it reports the result (or the lease ends)."""

    delivery_id: int
    channel: str
    attempts: int  # including the one about to be made
    alert: AlertRecord


def fire(
    store: Store,
    *,
    rule: str,
    brand: str,
    event_key: str,
    payload: dict[str, Any],
    channels: Sequence[str],
    now: datetime,
) -> int | None:
    """Store an alert and a pending delivery per channel; return its id, or None when this
    event was already stored (the same event never fires twice)."""
    try:
        with store.engine.begin() as conn:
            result = conn.execute(
                insert(schema.alerts).values(
                    rule=rule, brand=brand, event_key=event_key, fired_at=now, payload=payload
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            alert_id = int(key[0])
            if channels:
                conn.execute(
                    insert(schema.alert_deliveries),
                    [
                        {
                            "alert_id": alert_id,
                            "channel": channel,
                            "status": PENDING,
                            "attempts": 0,
                            "next_attempt_at": now,
                        }
                        for channel in dict.fromkeys(channels)
                    ],
                )
    except IntegrityError:
        return None
    return alert_id


def last_fired(store: Store, rule: str, brand: str) -> datetime | None:
    """When ``rule`` last fired for ``brand`` (the start of its cooldown)."""
    a = schema.alerts.c
    with store.engine.connect() as conn:
        value: datetime | None = conn.execute(
            select(func.max(a.fired_at)).where(a.rule == rule, a.brand == brand)
        ).scalar_one_or_none()
    return value  # max() keeps the column's UTCDateTime type: aware UTC


def alerted_subjects(store: Store, rule: str, brand: str, since: datetime) -> set[str]:
    """What alerts of ``rule`` for ``brand`` fired since ``since`` were about (mention ids,
    communities), so that an item never appears in two alerts."""
    a = schema.alerts.c
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(a.payload).where(a.rule == rule, a.brand == brand, a.fired_at >= since)
        )
        subjects: set[str] = set()
        for (payload,) in rows:
            subjects.update(str(s) for s in (payload or {}).get("subjects", []))
    return subjects


def _deliveries(conn: Connection, alert_ids: Sequence[int]) -> dict[int, list[DeliveryRecord]]:
    d = schema.alert_deliveries.c
    out: dict[int, list[DeliveryRecord]] = {}
    if not alert_ids:
        return out
    rows = conn.execute(
        select(schema.alert_deliveries).where(d.alert_id.in_(alert_ids)).order_by(d.id)
    )
    for row in rows:
        out.setdefault(row.alert_id, []).append(
            DeliveryRecord(
                id=row.id,
                channel=row.channel,
                status=row.status,
                attempts=row.attempts,
                last_error=row.last_error,
                next_attempt_at=row.next_attempt_at,
                delivered_at=row.delivered_at,
            )
        )
    return out


def _alert(row: Any, deliveries: Sequence[DeliveryRecord]) -> AlertRecord:
    return AlertRecord(
        id=row.id,
        rule=row.rule,
        brand=row.brand,
        event_key=row.event_key,
        fired_at=row.fired_at,
        payload=dict(row.payload or {}),
        deliveries=tuple(deliveries),
    )


def list_alerts(
    store: Store,
    *,
    limit: int = 50,
    brand: str | None = None,
    status: str | None = None,
) -> list[AlertRecord]:
    """The newest alerts first, with their deliveries; ``status`` keeps alerts that have a
    delivery in that state (e.g. ``failed``: what needs a look)."""
    a = schema.alerts.c
    d = schema.alert_deliveries.c
    stmt = select(schema.alerts).order_by(a.fired_at.desc(), a.id.desc()).limit(limit)
    if brand is not None:
        stmt = stmt.where(a.brand == brand)
    if status is not None:
        having = select(d.alert_id).where(d.status == status)
        stmt = stmt.where(a.id.in_(having))
    with store.engine.connect() as conn:
        rows = list(conn.execute(stmt))
        deliveries = _deliveries(conn, [r.id for r in rows])
    return [_alert(r, deliveries.get(r.id, [])) for r in rows]


def claim_due(
    store: Store, *, now: datetime, lease: timedelta, max_attempts: int, limit: int = 100
) -> list[Claimed]:
    """Claim the pending deliveries that are due, oldest first.

    A delivery whose last allowed attempt was claimed by a worker that never reported back
    is marked failed here rather than tried beyond ``max_attempts``.
    """
    d = schema.alert_deliveries.c
    due = (
        select(d.id, d.alert_id, d.channel, d.attempts, d.next_attempt_at)
        .where(d.status == PENDING, d.next_attempt_at <= now)
        .order_by(d.next_attempt_at, d.id)
        .limit(limit)
    )
    claimed: list[tuple[int, int, str, int]] = []
    with store.engine.begin() as conn:
        for row in list(conn.execute(due)):
            if row.attempts >= max_attempts:
                conn.execute(
                    update(schema.alert_deliveries)
                    .where(d.id == row.id, d.status == PENDING)
                    .values(
                        status=FAILED,
                        next_attempt_at=None,
                        last_error="no result from the last attempt (the process stopped?)",
                    )
                )
                continue
            taken = conn.execute(
                update(schema.alert_deliveries)
                .where(
                    and_(
                        d.id == row.id,
                        d.status == PENDING,
                        d.attempts == row.attempts,
                        d.next_attempt_at <= now,
                    )
                )
                .values(attempts=row.attempts + 1, next_attempt_at=now + lease)
            )
            if taken.rowcount == 1:
                claimed.append((row.id, row.alert_id, row.channel, row.attempts + 1))
        if not claimed:
            return []
        ids = sorted({alert_id for _, alert_id, _, _ in claimed})
        alerts = {
            r.id: r for r in conn.execute(select(schema.alerts).where(schema.alerts.c.id.in_(ids)))
        }
    return [
        Claimed(delivery_id=i, channel=ch, attempts=n, alert=_alert(alerts[a_id], ()))
        for i, a_id, ch, n in claimed
    ]


def mark_delivered(store: Store, delivery_id: int, *, now: datetime) -> None:
    d = schema.alert_deliveries.c
    with store.engine.begin() as conn:
        conn.execute(
            update(schema.alert_deliveries)
            .where(d.id == delivery_id)
            .values(status=DELIVERED, delivered_at=now, next_attempt_at=None, last_error=None)
        )


def mark_failed_attempt(
    store: Store,
    delivery_id: int,
    *,
    error: str,
    attempts: int,
    max_attempts: int,
    retry_at: datetime,
) -> str:
    """Record a failed attempt: pending again at ``retry_at``, or failed for good once
    ``max_attempts`` are spent. Returns the new status. The error is redacted first."""
    d = schema.alert_deliveries.c
    final = attempts >= max_attempts
    status = FAILED if final else PENDING
    with store.engine.begin() as conn:
        conn.execute(
            update(schema.alert_deliveries)
            .where(d.id == delivery_id)
            .values(
                status=status,
                last_error=redact(error)[:_ERROR_CHARS],
                next_attempt_at=None if final else retry_at,
            )
        )
    return status
