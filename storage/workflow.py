"""What people do with mentions: triage (status, assignee, tags, note) and corrected labels.

Every write is an upsert (``INSERT … ON CONFLICT``, on SQLite and PostgreSQL alike) in one
transaction with its audit rows in ``triage_events``: who changed which field of which
mention, when, from what to what. A change that changes nothing writes nothing.

Corrections sit beside the model's labels, never over them: ``labels`` is not written
here. :mod:`scoring.corrections` reads both and prefers the person's label.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select

from storage import daycache, schema
from storage.store import Store, upsert_statement

__all__ = [
    "QUALITIES",
    "SENTIMENTS",
    "STATUSES",
    "UNCHANGED",
    "Correction",
    "TriageEvent",
    "TriageRecord",
    "WorkflowError",
    "assignees",
    "corrections_of",
    "history",
    "iter_corrections",
    "remove_correction",
    "save_correction",
    "tag_clause",
    "tags_in_use",
    "triage_of",
    "update_triage",
]

#: A mention's triage status, in the order the team works through them.
STATUSES = ("new", "in progress", "done", "ignored")
SENTIMENTS = ("negative", "neutral", "positive")
QUALITIES = ("constructive", "ordinary", "low_effort", "spam", "toxic")

T = schema.triage
E = schema.triage_events
C = schema.corrections
_CHUNK = 500


class WorkflowError(ValueError):
    """A triage or correction value the store refuses (an unknown status or label)."""


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


#: "leave this field as it is" (None means "clear it" for the assignee and the note)
UNCHANGED: Any = _Unchanged()


@dataclasses.dataclass(frozen=True, slots=True)
class TriageRecord:
    mention_id: int
    status: str
    assignee: str | None
    tags: tuple[str, ...]
    note: str | None
    updated_by: str
    updated_at: datetime


@dataclasses.dataclass(frozen=True, slots=True)
class TriageEvent:
    mention_id: int
    field: str
    old: str | None
    new: str | None
    by: str
    at: datetime


@dataclasses.dataclass(frozen=True, slots=True)
class Correction:
    """A person's labels for one mention; None: that label was not reviewed."""

    mention_id: int
    sentiment: str | None
    complaint: bool | None
    quality: str | None
    corrected_by: str
    corrected_at: datetime


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def _by(by: str) -> str:
    name = by.strip()
    if not name:
        raise WorkflowError("every change needs the name of who made it")
    return name[:200]


def _clean_tag(tag: str) -> str:
    return " ".join(tag.replace(",", " ").split())[:60]


def _pack(tags: Iterable[str]) -> str:
    kept = sorted({t for t in (_clean_tag(x) for x in tags) if t}, key=str.casefold)
    return f",{','.join(kept)}," if kept else ""


def _unpack(tags: str | None) -> tuple[str, ...]:
    return tuple(t for t in (tags or "").split(",") if t)


def tag_clause(tag: str) -> Any:
    """SQL: the triage row carries ``tag`` (exactly, case-insensitively)."""
    return func.lower(T.c.tags).contains(f",{_clean_tag(tag).lower()},", autoescape=True)


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def _record(row: Any) -> TriageRecord:
    return TriageRecord(
        mention_id=int(row.mention_id),
        status=str(row.status),
        assignee=row.assignee,
        tags=_unpack(row.tags),
        note=row.note,
        updated_by=str(row.updated_by),
        updated_at=row.updated_at,
    )


def triage_of(conn: Connection, ids: Sequence[int]) -> dict[int, TriageRecord]:
    """The triage of the given mentions; a mention nobody triaged is absent (status new)."""
    found: dict[int, TriageRecord] = {}
    for chunk in _chunks(list(ids)):
        for row in conn.execute(select(T).where(T.c.mention_id.in_(list(chunk)))):
            found[int(row.mention_id)] = _record(row)
    return found


def update_triage(
    store: Store,
    mention_ids: Sequence[int],
    by: str,
    *,
    status: str | None = None,
    assignee: str | None = UNCHANGED,
    add_tags: Sequence[str] = (),
    remove_tags: Sequence[str] = (),
    note: str | None = UNCHANGED,
    now: datetime | None = None,
) -> int:
    """Change the triage of ``mention_ids`` (a bulk action is the same call with many ids);
    returns how many mentions changed. Each changed field is written to the audit trail."""
    who = _by(by)
    when = _now(now)
    if status is not None and status not in STATUSES:
        raise WorkflowError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    ids = sorted({int(i) for i in mention_ids})
    adding = {_clean_tag(t) for t in add_tags} - {""}
    removing = {_clean_tag(t).casefold() for t in remove_tags} - {""}
    changed = 0
    with store.engine.begin() as conn:
        current = triage_of(conn, ids)
        rows: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for mention_id in ids:
            old = current.get(mention_id)
            before = {
                "status": old.status if old else "new",
                "assignee": old.assignee if old else None,
                "tags": _pack(old.tags) if old else "",
                "note": old.note if old else None,
            }
            tags = [t for t in _unpack(before["tags"]) if t.casefold() not in removing]
            after = {
                "status": status if status is not None else before["status"],
                "assignee": (
                    before["assignee"]
                    if assignee is UNCHANGED
                    else ((assignee or "").strip()[:200] or None)
                ),
                "tags": _pack([*tags, *adding]),
                "note": before["note"] if note is UNCHANGED else ((note or "").strip() or None),
            }
            diff = [f for f in after if after[f] != before[f]]
            if not diff:
                continue
            changed += 1
            rows.append({"mention_id": mention_id, **after, "updated_by": who, "updated_at": when})
            for field in diff:
                old_value, new_value = before[field], after[field]
                if field == "tags":
                    old_value = ", ".join(_unpack(old_value)) or None
                    new_value = ", ".join(_unpack(new_value)) or None
                events.append(
                    {
                        "mention_id": mention_id,
                        "field": field,
                        "old": old_value,
                        "new": new_value,
                        "by": who,
                        "at": when,
                    }
                )
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            stmt = upsert_statement(conn, T)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[T.c.mention_id],
                    set_={
                        c: stmt.excluded[c]
                        for c in ("status", "assignee", "tags", "note", "updated_by", "updated_at")
                    },
                ),
                chunk,
            )
        if events:
            conn.execute(E.insert(), events)
    return changed


def _correction(row: Any) -> Correction:
    return Correction(
        mention_id=int(row.mention_id),
        sentiment=row.sentiment,
        complaint=None if row.complaint is None else bool(row.complaint),
        quality=row.quality,
        corrected_by=str(row.corrected_by),
        corrected_at=row.corrected_at,
    )


def corrections_of(conn: Connection, ids: Sequence[int]) -> dict[int, Correction]:
    found: dict[int, Correction] = {}
    for chunk in _chunks(list(ids)):
        for row in conn.execute(select(C).where(C.c.mention_id.in_(list(chunk)))):
            found[int(row.mention_id)] = _correction(row)
    return found


def iter_corrections(conn: Connection) -> Iterator[Correction]:
    """Every correction, oldest first."""
    for row in conn.execute(select(C).order_by(C.c.corrected_at, C.c.mention_id)):
        yield _correction(row)


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "complaint" if value else "not a complaint"
    return str(value)


def save_correction(
    store: Store,
    mention_id: int,
    by: str,
    *,
    sentiment: str | None = UNCHANGED,
    complaint: bool | None = UNCHANGED,
    quality: str | None = UNCHANGED,
    now: datetime | None = None,
) -> bool:
    """Record a person's labels for a mention (a label equal to the model's confirms it;
    None withdraws that label). Returns whether anything changed."""
    who = _by(by)
    when = _now(now)
    if sentiment not in (UNCHANGED, None, *SENTIMENTS):
        raise WorkflowError(f"sentiment must be one of {', '.join(SENTIMENTS)}")
    if quality not in (UNCHANGED, None, *QUALITIES):
        raise WorkflowError(f"quality must be one of {', '.join(QUALITIES)}")
    with store.engine.begin() as conn:
        old = corrections_of(conn, [mention_id]).get(mention_id)
        before: dict[str, Any] = {
            "sentiment": old.sentiment if old else None,
            "complaint": old.complaint if old else None,
            "quality": old.quality if old else None,
        }
        asked = {"sentiment": sentiment, "complaint": complaint, "quality": quality}
        after = {f: before[f] if v is UNCHANGED else v for f, v in asked.items()}
        diff = [f for f in after if after[f] != before[f]]
        if not diff:
            return False
        if all(v is None for v in after.values()):
            conn.execute(C.delete().where(C.c.mention_id == mention_id))
        else:
            stmt = upsert_statement(conn, C)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[C.c.mention_id],
                    set_={
                        c: stmt.excluded[c]
                        for c in (
                            "sentiment",
                            "complaint",
                            "quality",
                            "corrected_by",
                            "corrected_at",
                        )
                    },
                ),
                [{"mention_id": mention_id, **after, "corrected_by": who, "corrected_at": when}],
            )
        conn.execute(
            E.insert(),
            [
                {
                    "mention_id": mention_id,
                    "field": field,
                    "old": _as_text(before[field]),
                    "new": _as_text(after[field]),
                    "by": who,
                    "at": when,
                }
                for field in diff
            ],
        )
        daycache.touch_mentions(conn, [mention_id])  # the figures over its day count it
    return True


def remove_correction(
    store: Store, mention_id: int, by: str, *, now: datetime | None = None
) -> bool:
    """Withdraw every corrected label of a mention (the model's labels count again)."""
    return save_correction(
        store, mention_id, by, sentiment=None, complaint=None, quality=None, now=now
    )


def history(conn: Connection, mention_id: int) -> list[TriageEvent]:
    """The audit trail of one mention, newest first."""
    stmt = select(E).where(E.c.mention_id == mention_id).order_by(E.c.at.desc(), E.c.id)
    return [
        TriageEvent(int(r.mention_id), str(r.field), r.old, r.new, str(r.by), r.at)
        for r in conn.execute(stmt)
    ]


def assignees(conn: Connection) -> list[str]:
    """Everyone something is assigned to, for the filter's options."""
    stmt = select(T.c.assignee).where(T.c.assignee.is_not(None)).distinct()
    return sorted((str(a) for (a,) in conn.execute(stmt)), key=str.casefold)


def tags_in_use(conn: Connection) -> list[str]:
    found: set[str] = set()
    for (tags,) in conn.execute(select(T.c.tags).where(and_(T.c.tags != "")).distinct()):
        found.update(_unpack(tags))
    return sorted(found, key=str.casefold)
