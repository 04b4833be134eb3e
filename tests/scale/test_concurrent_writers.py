"""Real processes on one store: two ``collect --once --replay`` and two ``label`` at once,
on SQLite and PostgreSQL — no failed run, no duplicate, every mention labelled once."""

from __future__ import annotations

import threading
from pathlib import Path

from storage import Store, open_store
from tests.scale.conftest import EXAMPLE_CONFIG
from tests.scale.processes import grapevine, store_facts


def test_two_collectors_then_two_labellers_at_once(
    any_url: str, tmp_path: Path, tiny_model_dir: Path
) -> None:
    open_store(any_url).engine.dispose()  # created once, as `grapevine init` would
    env = {
        "GRAPEVINE_DATABASE_URL": any_url,
        "GRAPEVINE_CONFIG": str(EXAMPLE_CONFIG),
        "GRAPEVINE_NLP__WEIGHTS": str(tiny_model_dir),
        "GRAPEVINE_NLP__QUANTISE": "false",
        "GRAPEVINE_NLP__MAX_LENGTH": "12",
        "GRAPEVINE_NLP__BATCH_SIZE": "4",  # pages of 32: the labellers interleave
    }
    collectors = [
        grapevine("collect", "--once", "--replay", env=env, log=tmp_path / f"collect{i}.log")
        for i in range(2)
    ]
    for i, proc in enumerate(collectors):
        assert proc.wait(timeout=240) == 0, (tmp_path / f"collect{i}.log").read_text()
    facts = store_facts(any_url)
    statuses = {r["status"] for r in facts["runs"]}
    assert statuses <= {"ok", "degraded"}, [r["message"] for r in facts["runs"]]
    assert len(facts["runs"]) == 2 * 27  # 9 sources x 3 tracked names, by each process
    assert facts["mentions"] == facts["distinct_mentions"] > 0
    assert len({r["worker"] for r in facts["runs"]}) == 2

    labellers = [grapevine("label", env=env, log=tmp_path / f"label{i}.log") for i in range(2)]
    for i, proc in enumerate(labellers):
        assert proc.wait(timeout=240) == 0, (tmp_path / f"label{i}.log").read_text()
    facts = store_facts(any_url)
    assert facts["unlabelled"] == 0
    assert facts["labels"] == facts["distinct_labels"] == facts["mentions"]


def test_labellers_claim_batches_and_never_label_twice(any_url: str, tiny_model_dir: Path) -> None:
    """Four labelling threads, each with its own connection pool, on one store."""
    from nlp.classify import ThreeHeadClassifier
    from nlp.labeller import label_pending
    from storage import Match
    from tests.foundation.helpers import mention

    store = open_store(any_url)
    page = [mention(str(i), text=f"acme order {i} never arrived") for i in range(300)]
    store.save_page(page, {m.key: [Match("Acme")] for m in page})
    classifier = ThreeHeadClassifier(tiny_model_dir, batch_size=4, quantised=False)
    counts: list[int] = []
    barrier = threading.Barrier(4)

    def label() -> None:
        own = Store(open_store(any_url, migrate=False).engine)
        barrier.wait()
        counts.append(label_pending(own, classifier, batch_size=4))
        own.engine.dispose()

    threads = [threading.Thread(target=label) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    facts = store_facts(any_url)
    assert sum(counts) == 300  # each label written once, by exactly one labeller
    assert facts["labels"] == facts["distinct_labels"] == 300
    assert facts["unlabelled"] == 0
    store.engine.dispose()
