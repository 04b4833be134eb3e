"""The workflow's upserts and corrected-label reads on PostgreSQL (where .ci/run starts one)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text

from config import Settings
from grapevine.dashboard.filters import Filters
from grapevine.dashboard.queries import MentionQuery
from grapevine.dashboard.worklist import TriageFilter, count_work, search_work
from scoring import Period, brand_overview
from scoring.corrections import model_agreement
from storage import Store, open_store, workflow
from tests.app.seed import CONFIG_EXTRA, FIRST_DAY, LAST_DAY, MODEL_VERSION, seed
from tests.workflow.conftest import ids_by_external

PG_URL = os.environ.get("GRAPEVINE_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(
    not PG_URL, reason="GRAPEVINE_TEST_POSTGRES_URL not set (.ci/run starts a PostgreSQL)"
)


@pytest.fixture
def pg(make_settings: Callable[..., Settings]) -> Iterator[tuple[Settings, Store]]:
    settings = make_settings(CONFIG_EXTRA, store={"database_url": PG_URL})
    store = open_store(str(PG_URL))
    with store.engine.begin() as conn:
        tables = ", ".join(
            str(t)
            for (t,) in conn.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
            if t != "alembic_version"
        )
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    seed(store, settings)
    yield settings, store
    store.engine.dispose()


def test_triage_corrections_and_their_reads_on_postgresql(pg: tuple[Settings, Store]) -> None:
    settings, store = pg
    ids = ids_by_external(store)
    period = Period.days(FIRST_DAY, LAST_DAY)
    before = brand_overview(store.engine, settings, "Acme", period).nss.current
    assert workflow.update_triage(
        store, [ids["c3"], ids["c4"]], "ana", status="done", add_tags=["x"]
    )
    assert workflow.update_triage(store, [ids["c3"]], "ana", assignee="ben") == 1
    assert workflow.save_correction(store, ids["c5"], "ana", sentiment="positive", complaint=False)
    after = brand_overview(store.engine, settings, "Acme", period).nss.current
    assert before is not None
    assert after is not None
    assert after > before
    query = MentionQuery(filters=Filters("Acme", FIRST_DAY, LAST_DAY))
    with store.engine.connect() as conn:
        done = TriageFilter(statuses=("done",), tags=("x",))
        assert count_work(conn, query, done, settings.scoring) == 2
        rows = search_work(conn, query, TriageFilter(), settings.scoring, queue_for="Acme")
        found = model_agreement(conn, MODEL_VERSION, 0.5)
    assert [r.status for r in rows][-2:] == ["done", "done"]
    assert found.overall("sentiment").reviewed == 1
