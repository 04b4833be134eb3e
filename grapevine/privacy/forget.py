"""Forgetting a person on request, and forgetting everything after a while.

``grapevine forget`` deletes a person's mentions (by author on one source, or one mention
by id) with their labels, brand matches and every trace in stored alerts, and records a
*tombstone* — a keyed hash of ``(source, author)`` and of each ``(source, external id)``,
made with the installation's key (:mod:`storage.keys`) so the tombstone names no one —
that the store checks before it writes any mention, so no collector stores them again.

Retention (``[store] retention_days``) deletes mentions older than the limit the same
way, without tombstones: an old mention a backfill brings back is deleted again by the
next run of the job.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from storage import Store, keys

__all__ = ["ForgetReport", "NoKeyError", "apply_retention", "forget_author", "forget_mentions"]


class NoKeyError(RuntimeError):
    """Forgetting needs the installation key for its tombstones; ``grapevine init`` makes it."""


@dataclasses.dataclass
class ForgetReport:
    """What a deletion removed."""

    mentions: int = 0
    labels: int = 0
    matches: int = 0
    alerts_edited: int = 0
    tombstones: int = 0

    def add(self, removed: dict[str, int]) -> None:
        self.mentions += removed.get("mentions", 0)
        self.labels += removed.get("labels", 0)
        self.matches += removed.get("matches", 0)
        self.alerts_edited += removed.get("alerts edited", 0)

    def lines(self) -> list[str]:
        return [
            f"mentions deleted: {self.mentions}",
            f"labels deleted: {self.labels}",
            f"brand matches deleted: {self.matches}",
            f"alerts that quoted them, edited: {self.alerts_edited}",
            f"tombstones recorded: {self.tombstones}",
        ]


def _key(store: Store) -> bytes:
    url = store.engine.url.render_as_string(hide_password=False)
    key = keys.load_key(url)
    if key is None:
        raise NoKeyError(
            f"no installation key at {keys.key_path(url)} (nor {keys.KEY_ENV}): run "
            "`grapevine init` first; tombstones are keyed hashes made with it"
        )
    return key


def _delete(store: Store, ids: list[int], report: ForgetReport, key: bytes) -> None:
    found = store.mention_keys(ids)
    report.tombstones += store.add_tombstones(
        "mention", (keys.tombstone_digest(key, "mention", s, x) for _, s, x, _a in found)
    )
    for start in range(0, len(ids), 1000):
        report.add(store.delete_mentions(ids[start : start + 1000]))


def forget_author(store: Store, source: str, author: str) -> ForgetReport:
    """Delete everything ``author`` wrote on ``source`` and keep them from coming back.
    The tombstone is recorded first: a collector running meanwhile cannot re-store them."""
    key = _key(store)
    report = ForgetReport()
    report.tombstones += store.add_tombstones(
        "author", [keys.tombstone_digest(key, "author", source, author)]
    )
    _delete(store, store.mention_ids_by_author(source, author), report, key)
    return report


def forget_mentions(store: Store, mention_ids: Sequence[int]) -> ForgetReport:
    """Delete mentions by id (the ``mention_id`` exports show) and keep them from coming
    back."""
    key = _key(store)
    report = ForgetReport()
    _delete(store, sorted(set(mention_ids)), report, key)
    return report


def apply_retention(
    store: Store,
    days: int | None,
    now: datetime,
    *,
    stop: Callable[[], bool] = lambda: False,
) -> ForgetReport:
    """Delete mentions created more than ``days`` ago (``None`` keeps everything), in
    batches, stopping between batches when ``stop()`` says so."""
    report = ForgetReport()
    if days is None:
        return report
    cutoff = now - timedelta(days=days)
    while not stop():
        ids = store.mention_ids_before(cutoff)
        if not ids:
            break
        report.add(store.delete_mentions(ids))
    store.forget_figures_before(cutoff.date())
    return report
