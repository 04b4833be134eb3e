"""The dashboard side of the workflow (AppTest): links reproduce views, the Mentions page
lists an alert's mentions and filters by triage, the complaint queue's order."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from config import Settings
from storage import Store, workflow
from tests.app.conftest import APP
from tests.app.test_mentions_sources import _count_line
from tests.workflow.conftest import ids_by_external


def _open(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    if page != "overview":
        at.switch_page(f"grapevine/dashboard/pages/{page}.py").run()
        assert not at.exception, at.exception
    return at


@pytest.mark.usefixtures("seeded")
def test_the_brand_in_the_url_picks_the_brand_and_is_written_back() -> None:
    at = _open("overview", brand="globex", period="90d")
    assert at.sidebar.selectbox(key="brand").value == "Globex"
    assert at.sidebar.selectbox(key="period").value == "Last 90 days"
    assert at.query_params["brand"] == "Globex"


@pytest.mark.usefixtures("seeded")
def test_an_alert_link_lists_exactly_its_mentions(store: Store, ids: dict[str, int]) -> None:
    at = _open(
        "mentions",
        brand="Acme",
        ids=f"{ids['c3']},{ids['c4']}",
        **{"from": "2026-10-21", "to": "2026-11-19"},
    )
    assert _count_line(at).startswith("**2** mentions")
    assert any("named by a link" in i.value for i in at.info)


@pytest.mark.usefixtures("seeded")
def test_triage_shows_in_the_list_and_filters_it(store: Store, ids: dict[str, int]) -> None:
    workflow.update_triage(store, [ids["c3"]], "ana", status="done", assignee="ben")
    at = _open("mentions", brand="Acme", status="done")
    assert _count_line(at).startswith("**1** mentions")
    table = at.dataframe[0].value
    assert (table.iloc[0]["Status"], table.iloc[0]["Assigned"]) == ("done", "ben")


@pytest.mark.usefixtures("seeded")
def test_the_complaint_queue_puts_open_complaints_first(
    seeded: Settings, store: Store, ids: dict[str, int]
) -> None:
    workflow.update_triage(store, [ids["c3"]], "ana", status="done")
    at = _open("complaints", brand="Acme")
    queue = next(d.value for d in at.dataframe if "Status" in d.value.columns)
    statuses = list(queue["Status"])
    assert statuses[-1] == "done"
    assert set(statuses[:-1]) == {"new"}


@pytest.mark.usefixtures("seeded")
def test_the_model_page_reports_agreement_with_counts(store: Store, ids: dict[str, int]) -> None:
    empty = _open("model")
    assert any("Nobody has reviewed a label yet" in i.value for i in empty.info)
    workflow.save_correction(store, ids["c1"], "ana", sentiment="positive")
    workflow.save_correction(store, ids["c3"], "ana", sentiment="neutral")
    st.cache_data.clear()  # as the dashboard does after a change made on it
    at = _open("model")
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Reviewed mentions"] == "2"
    assert tiles["Sentiment agreement"] == "50 %"
    by_label = at.dataframe[0].value
    assert sorted(zip(by_label["Group"], by_label["Reviewed"], strict=True)) == [
        ("neutral", 1),
        ("positive", 1),
    ]


def _signed_in(store: Store, name: str, role: str) -> AppTest:
    """The app with ``name`` (a local account with ``role``) signed in to this session."""
    from datetime import UTC, datetime, timedelta

    from grapevine.dashboard.auth import _LocalSession
    from grapevine.privacy.accounts import User

    store.put_user(name, "not-a-real-hash", role)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["grapevine_session"] = _LocalSession(
        User(name, role, "local"),  # type: ignore[arg-type]
        datetime.now(UTC) + timedelta(hours=1),
    )
    at.query_params["brand"] = "Acme"
    at.run()
    assert not at.exception, at.exception
    at.switch_page("grapevine/dashboard/pages/mentions.py").run()
    assert not at.exception, at.exception
    return at


@pytest.mark.usefixtures("seeded")
def test_viewers_read_the_triage_and_only_editors_get_the_controls(store: Store) -> None:
    viewer = _signed_in(store, "vic", "viewer")
    assert "Status" in viewer.dataframe[0].value.columns
    assert not [e for e in viewer.expander if e.label.startswith("Bulk triage")]
    editor = _signed_in(store, "eda", "editor")
    assert [e for e in editor.expander if e.label.startswith("Bulk triage")]


@pytest.mark.usefixtures("seeded")
def test_a_bulk_action_applies_to_every_filtered_mention(store: Store) -> None:
    at = _open("mentions", brand="Acme", q="acme broke")
    at.selectbox(key="mentions_bulk_status").select("in progress")
    at.text_input(key="mentions_bulk_assignee").input("ben")
    at.text_input(key="mentions_bulk_add").input("refund, urgent")
    next(b for b in at.button if b.label == "Apply to all selected").click()
    at.run()
    assert not at.exception, at.exception
    assert any("Updated 1 of 1 mentions" in s.value for s in at.success)
    with store.engine.connect() as conn:
        (record,) = workflow.triage_of(conn, list(ids_by_external(store).values())).values()
    assert (record.status, record.assignee, record.tags, record.updated_by) == (
        "in progress",
        "ben",
        ("refund", "urgent"),
        "local",
    )
