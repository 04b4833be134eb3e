"""Triage and corrections in the store: upserts, the audit trail, and the refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storage import Store, schema, workflow

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def test_triage_is_upserted_and_every_changed_field_is_audited(
    store: Store, ids: dict[str, int]
) -> None:
    c3 = ids["c3"]
    assert workflow.update_triage(
        store, [c3], "ana", status="in progress", assignee="ben", add_tags=["Billing"], now=NOW
    )
    later = NOW + timedelta(hours=1)
    assert workflow.update_triage(store, [c3], "ben", status="done", note="refunded", now=later)
    with store.engine.connect() as conn:
        record = workflow.triage_of(conn, [c3])[c3]
        events = workflow.history(conn, c3)
    assert (record.status, record.assignee, record.tags, record.note) == (
        "done",
        "ben",
        ("Billing",),
        "refunded",
    )
    assert (record.updated_by, record.updated_at) == ("ben", later)
    assert [(e.field, e.old, e.new, e.by) for e in events] == [
        ("status", "in progress", "done", "ben"),
        ("note", None, "refunded", "ben"),
        ("status", "new", "in progress", "ana"),
        ("assignee", None, "ben", "ana"),
        ("tags", None, "Billing", "ana"),
    ]


def test_a_bulk_action_changes_only_what_differs_and_tags_merge(
    store: Store, ids: dict[str, int]
) -> None:
    targets = [ids["c1"], ids["c2"], ids["c3"]]
    workflow.update_triage(store, [ids["c1"]], "ana", add_tags=["urgent"], now=NOW)
    changed = workflow.update_triage(store, targets, "ana", add_tags=["urgent", "q4"], now=NOW)
    assert changed == 3
    assert workflow.update_triage(store, targets, "ana", add_tags=["urgent"], now=NOW) == 0
    workflow.update_triage(store, targets, "ana", remove_tags=["URGENT"], now=NOW)
    with store.engine.connect() as conn:
        found = workflow.triage_of(conn, targets)
        assert workflow.tags_in_use(conn) == ["q4"]
    assert {r.tags for r in found.values()} == {("q4",)}


def test_unknown_status_or_label_and_a_nameless_change_are_refused(
    store: Store, ids: dict[str, int]
) -> None:
    with pytest.raises(workflow.WorkflowError):
        workflow.update_triage(store, [ids["c1"]], "ana", status="closed")
    with pytest.raises(workflow.WorkflowError):
        workflow.update_triage(store, [ids["c1"]], "  ", status="done")
    with pytest.raises(workflow.WorkflowError):
        workflow.save_correction(store, ids["c1"], "ana", sentiment="angry")


def test_a_correction_sits_beside_the_models_label_and_can_be_withdrawn(
    store: Store, ids: dict[str, int]
) -> None:
    c3 = ids["c3"]
    lab = schema.labels
    with store.engine.connect() as conn:
        before = conn.execute(select(lab).where(lab.c.mention_id == c3)).one()
    assert workflow.save_correction(store, c3, "ana", sentiment="neutral", complaint=False, now=NOW)
    assert not workflow.save_correction(store, c3, "ana", sentiment="neutral", now=NOW)
    with store.engine.connect() as conn:
        after = conn.execute(select(lab).where(lab.c.mention_id == c3)).one()
        mine = workflow.corrections_of(conn, [c3])[c3]
    assert after == before  # the model's label is never overwritten
    assert (mine.sentiment, mine.complaint, mine.quality, mine.corrected_by) == (
        "neutral",
        False,
        None,
        "ana",
    )
    assert workflow.remove_correction(store, c3, "ben", now=NOW)
    with store.engine.connect() as conn:
        assert workflow.corrections_of(conn, [c3]) == {}
        fields = [(e.field, e.old, e.new, e.by) for e in workflow.history(conn, c3)]
    assert ("complaint", "not a complaint", None, "ben") in fields
    assert ("sentiment", None, "neutral", "ana") in fields
