"""label_pending writes one row per mention and model version, and only once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import distinct, func, select, update

from config import Settings
from grapevine.labelling.area import labelling_job
from nlp.classify import ThreeHeadClassifier
from nlp.labeller import label_pending, mention_text
from scoring.warm import FIGURES
from storage import Match, Store
from storage.schema import figure_days, labels, mentions
from tests.foundation.helpers import mention

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _seed(store: Store, n: int) -> None:
    page = [mention(f"m{i}", text=f"great order {i}" + "!" * i) for i in range(n)]
    store.save_page(page, {})


def test_labels_every_pending_mention_once(
    store: Store, tiny_classifier: ThreeHeadClassifier
) -> None:
    _seed(store, 7)
    with store.engine.begin() as conn:
        conn.execute(update(mentions).where(mentions.c.external_id == "m3").values(deleted=True))
    assert label_pending(store, tiny_classifier, batch_size=2, clock=lambda: NOW) == 6
    assert label_pending(store, tiny_classifier, batch_size=2, clock=lambda: NOW) == 0
    with store.engine.connect() as conn:
        rows = conn.execute(select(labels)).mappings().all()
    assert len(rows) == 6
    with store.engine.connect() as conn:
        deleted_id = conn.execute(
            select(mentions.c.id).where(mentions.c.external_id == "m3")
        ).scalar_one()
    assert deleted_id not in {row["mention_id"] for row in rows}
    for row in rows:
        assert row["model"] == "tiny-test"
        assert row["model_version"] == "t1-dtest-fp32"
        assert row["labelled_at"] == NOW
        total = row["sentiment_negative"] + row["sentiment_neutral"] + row["sentiment_positive"]
        assert abs(total - 1) < 1e-5


def test_limit_and_labels_match_classify(
    store: Store, tiny_classifier: ThreeHeadClassifier
) -> None:
    _seed(store, 5)
    assert label_pending(store, tiny_classifier, batch_size=32, limit=3) == 3
    assert label_pending(store, tiny_classifier, batch_size=32, limit=10) == 2
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(mentions.c.text, labels.c.sentiment, labels.c.complaint, labels.c.quality)
            .join(labels, labels.c.mention_id == mentions.c.id)
            .order_by(mentions.c.id)
        ).all()
    direct = tiny_classifier.classify([r.text for r in rows])
    assert [r.sentiment for r in rows] == [d.sentiment for d in direct]
    assert [r.quality for r in rows] == [d.quality for d in direct]
    assert [round(r.complaint, 5) for r in rows] == [round(d.complaint, 5) for d in direct]


def test_a_new_model_version_relabels(store: Store, tiny_classifier: ThreeHeadClassifier) -> None:
    _seed(store, 2)
    assert label_pending(store, tiny_classifier) == 2
    tiny_classifier.version = "t2-dother"
    try:
        assert label_pending(store, tiny_classifier) == 2
    finally:
        tiny_classifier.version = "t1-dtest-fp32"
    with store.engine.connect() as conn:
        versions = sorted(r[0] for r in conn.execute(select(labels.c.model_version)))
    assert versions == ["t1-dtest-fp32", "t1-dtest-fp32", "t2-dother", "t2-dother"]


def test_mention_text_joins_title_and_body() -> None:
    assert mention_text("Title", "body") == "Title\nbody"
    assert mention_text(None, "body") == "body"
    assert mention_text("  ", None) == ""


def test_scheduler_job_labels_with_the_configured_model(
    store: Store, tiny_model_dir: object, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        f'\n[nlp]\nweights = "{tiny_model_dir}"\nquantise = false\nevery = "5m"\n'
        'languages = ["en"]\nlabel_limit = 3\n'
    )
    _seed(store, 4)
    job = labelling_job(settings, store)
    assert job.every == timedelta(minutes=5)
    assert job.func() == 3
    assert job.func() == 1
    assert job.func() == 0


def test_scheduler_job_computes_the_dashboard_figures_after_labelling(
    store: Store, tiny_model_dir: object, make_settings: Callable[..., Settings]
) -> None:
    settings = make_settings(
        f'\n[nlp]\nweights = "{tiny_model_dir}"\nquantise = false\nlanguages = ["en"]\n'
    )
    page = [mention(f"m{i}", text=f"acme order {i}") for i in range(3)]
    store.save_page(page, {m.key: [Match("Acme", "brand")] for m in page})
    assert labelling_job(settings, store).func() == 3
    with store.engine.connect() as conn:
        stored = conn.execute(select(func.count(distinct(figure_days.c.key)))).scalar_one()
    assert stored >= len(FIGURES)
