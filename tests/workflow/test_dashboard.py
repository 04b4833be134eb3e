"""The dashboard side of the workflow (AppTest): links reproduce views, the Mentions page
lists an alert's mentions and filters by triage, the complaint queue's order."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from config import Settings
from storage import Store, workflow
from tests.app.conftest import APP


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


def _count_line(at: AppTest) -> str:
    lines = [m.value for m in at.markdown if "mentions · showing" in m.value]
    assert lines, [m.value for m in at.markdown]
    return lines[0]


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
