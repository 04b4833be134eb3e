"""Corrections change every figure, alert and export that reads labels, and measure the
model: its agreement with people's labels per source, language and label."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from config import Settings
from grapevine.alerts import queries as alert_queries
from grapevine.export import ExportOptions
from grapevine.export.exporter import export_to_path
from grapevine.export.query import mention_select
from scoring import MentionSelection, Period, brand_overview, complaint_behaviour
from scoring.corrections import model_agreement
from storage import Store, workflow
from tests.app.seed import FIRST_DAY, LAST_DAY, MODEL_VERSION

PERIOD = Period.days(FIRST_DAY, LAST_DAY)


def _sentiments(store: Store) -> tuple[int, int, int]:
    with store.engine.connect() as conn:
        counts = alert_queries.sentiment_counts(conn, "Acme", PERIOD, MODEL_VERSION)
    return counts.positive, counts.neutral, counts.negative


def test_a_corrected_sentiment_moves_nss_and_the_alerts_counts(
    seeded: Settings, store: Store, ids: dict[str, int]
) -> None:
    before = brand_overview(store.engine, seeded, "Acme", PERIOD)
    positive, neutral, negative = _sentiments(store)
    workflow.save_correction(store, ids["c5"], "ana", sentiment="positive")  # was neutral
    after = brand_overview(store.engine, seeded, "Acme", PERIOD)
    assert _sentiments(store) == (positive + 1, neutral - 1, negative)
    assert before.nss.current is not None
    assert after.nss.current is not None
    assert after.nss.current > before.nss.current
    assert after.total.current == before.total.current  # volume is not a label


def test_a_complaint_corrected_away_leaves_the_complaint_figures(
    seeded: Settings, store: Store, ids: dict[str, int]
) -> None:
    before = complaint_behaviour(store.engine, seeded, "Acme", PERIOD)
    workflow.save_correction(store, ids["c4"], "ana", complaint=False)  # model: 0.60
    after = complaint_behaviour(store.engine, seeded, "Acme", PERIOD)
    assert after.complaints.current == before.complaints.current - 1
    workflow.save_correction(store, ids["c1"], "ana", complaint=True)  # model: 0.05
    again = complaint_behaviour(store.engine, seeded, "Acme", PERIOD)
    assert again.complaints.current == before.complaints.current


def test_the_export_carries_the_corrected_label(
    seeded: Settings, store: Store, ids: dict[str, int]
) -> None:
    workflow.save_correction(store, ids["c3"], "ana", sentiment="neutral", quality="spam")
    selection = MentionSelection(
        brand="Acme",
        since=datetime.combine(FIRST_DAY, datetime.min.time(), tzinfo=UTC),
        until=PERIOD.end,
    )
    stmt = mention_select(selection, MODEL_VERSION, seeded.scoring)
    with store.engine.connect() as conn:
        rows = {r.mention_id: r for r in conn.execute(stmt)}
    assert (rows[ids["c3"]].sentiment, rows[ids["c3"]].quality) == ("neutral", "spam")
    assert rows[ids["c1"]].sentiment == "positive"  # uncorrected: the model's


def test_agreement_counts_per_field_source_language_and_label(
    store: Store, ids: dict[str, int]
) -> None:
    # c1 positive (model positive: agrees), c3 negative→neutral (disagrees), r1 is reddit
    workflow.save_correction(store, ids["c1"], "ana", sentiment="positive", complaint=False)
    workflow.save_correction(store, ids["c3"], "ana", sentiment="neutral", complaint=True)
    workflow.save_correction(store, ids["r1"], "ana", complaint=False)
    with store.engine.connect() as conn:
        found = model_agreement(conn, MODEL_VERSION, 0.5)
        model_complaint = conn.execute(
            select(workflow.schema.labels.c.complaint).where(
                workflow.schema.labels.c.mention_id == ids["r1"]
            )
        ).scalar_one()
    assert found.corrections == 3
    sentiment = found.overall("sentiment")
    assert (sentiment.reviewed, sentiment.agreed) == (2, 1)
    assert sentiment.agreement_pct == 50.0
    complaint = found.overall("complaint")
    r1_agrees = int(model_complaint < 0.5)
    assert (complaint.reviewed, complaint.agreed) == (3, 2 + r1_agrees)
    by_source = {r.key: (r.reviewed, r.agreed) for r in found.table("complaint", "source")}
    assert by_source == {"hackernews": (2, 2), "reddit": (1, r1_agrees)}
    by_label = {r.key: (r.reviewed, r.agreed) for r in found.table("sentiment", "label")}
    assert by_label == {"positive": (1, 1), "neutral": (1, 0)}
    assert {r.key for r in found.table("sentiment", "language")} == {"en"}


def test_the_export_datasheet_says_how_many_labels_people_corrected(
    seeded: Settings, store: Store, ids: dict[str, int], tmp_path: Path
) -> None:
    workflow.save_correction(store, ids["c3"], "ana", sentiment="neutral")
    workflow.save_correction(store, ids["c5"], "ana", complaint=True)
    workflow.save_correction(store, ids["c3"], "ana", quality="spam")  # still one row
    selection = MentionSelection(brand="Acme", since=PERIOD.start, until=PERIOD.end)
    result = export_to_path(
        store,
        selection,
        "jsonl",
        tmp_path / "acme.jsonl",
        ExportOptions(brand=seeded.brand("Acme"), scoring=seeded.scoring),
    )
    sheet = json.loads(result.datasheet_json.read_text(encoding="utf-8"))
    assert sheet["counts"]["corrected_by_people"] == 2
    assert "Labels corrected by people: 2 rows" in result.datasheet_md.read_text(encoding="utf-8")
