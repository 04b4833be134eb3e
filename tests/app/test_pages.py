"""Overview, Word of mouth, Complaints and Communities on the seeded store.

Each figure is checked twice: against the value worked out by hand in :mod:`tests.app.seed`
and, where the page shows a scoring record, against a direct call of the scoring function,
so the page can neither compute its own figure nor lose one on the way.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

import scoring
from config import Settings
from grapevine.dashboard import scores
from grapevine.dashboard.filters import Filters
from storage import open_store
from tests.app import seed
from tests.app.test_mentions_sources import open_page

FILTERS = Filters("Acme", seed.FIRST_DAY, seed.LAST_DAY)


def metric(at: AppTest, label: str) -> str:
    found = [m for m in at.metric if m.label == label]
    assert found, [m.label for m in at.metric]
    return str(found[0].value)


def delta(at: AppTest, label: str) -> str | None:
    return next(m.delta for m in at.metric if m.label == label)


@pytest.mark.usefixtures("seeded")
def test_overview_shows_volume_nss_and_share_of_voice() -> None:
    at = open_page("overview")
    assert at.caption[0].value.startswith("Acme · 21 Oct 2026 – 19 Nov 2026 (30 days)")
    assert metric(at, "Mentions") == str(seed.ACME_VOLUME)
    assert delta(at, "Mentions") == "+400 %"  # 10 against 2
    assert metric(at, "Net sentiment score") == seed.ACME_NSS
    assert metric(at, "Share of voice") == seed.ACME_SOV
    assert len(at.get("vega_lite_chart")) == 4  # sentiment, SoV, sources, languages


def test_overview_figures_are_scoring_figures(seeded: Settings) -> None:
    store = open_store(seeded.store.database_url, migrate=False)
    direct = scoring.brand_overview(
        store.engine, seeded, "Acme", scoring.Period.days(seed.FIRST_DAY, seed.LAST_DAY)
    )
    assert direct.total.current == seed.ACME_VOLUME
    at = open_page("overview")
    assert metric(at, "Net sentiment score") == f"{direct.nss.current:,.0f}"
    days = scores.sentiment_by_day(seeded.store.database_url, FILTERS)
    assert sum(n for _d, _s, n in days) == direct.total.current
    store.engine.dispose()


@pytest.mark.usefixtures("seeded")
def test_a_sidebar_change_reaches_the_page() -> None:
    at = open_page("overview")
    at.selectbox(key="brand").select("Globex").run()
    assert not at.exception
    assert metric(at, "Mentions") == str(seed.GLOBEX_VOLUME)
    at.multiselect(key="sources").select("reddit").run()
    assert metric(at, "Mentions") == "2"  # r2 and g2


@pytest.mark.usefixtures("seeded")
def test_word_of_mouth_counts_organic_talk_and_names_advocates() -> None:
    at = open_page("word_of_mouth")
    assert metric(at, "Organic mentions") == str(seed.ACME_ORGANIC)
    assert metric(at, "WOM balance") == seed.ACME_NSS  # the own reply was neutral
    assert metric(at, "Advocates") == "1"
    assert metric(at, "Detractors") == "1"
    tables = [d.value for d in at.dataframe]
    assert list(tables[0]["Author"]) == ["alice"]
    assert list(tables[1]["Author"]) == ["bob"]
    amplified = tables[-1]
    assert "acme_support" not in set(amplified["Author"])  # organic only
    assert amplified["Engagement"].is_monotonic_decreasing


@pytest.mark.usefixtures("seeded")
def test_complaints_show_rate_response_and_the_unanswered_queue() -> None:
    at = open_page("complaints")
    assert metric(at, "Complaints") == str(seed.ACME_COMPLAINTS)
    assert metric(at, "Complaint rate") == seed.ACME_COMPLAINT_RATE
    assert metric(at, "Response rate") == "33 %"
    queue = at.dataframe[0].value
    assert sorted(queue["Author"]) == sorted(seed.ACME_UNANSWERED)
    assert set(queue["Channel"]) == {"to the company", "to peers"}  # r/acme is Acme's own


def test_weekly_complaint_rate_adds_up_to_the_period_figure(seeded: Settings) -> None:
    url = seeded.store.database_url
    weeks = scores.complaints_by_week(url, "k", seeded, FILTERS)
    direct = scoring.complaint_behaviour(
        open_store(url, migrate=False).engine,
        seeded,
        "Acme",
        scoring.Period.days(seed.FIRST_DAY, seed.LAST_DAY),
    )
    assert sum(n for _w, n, _t, _r in weeks) == direct.complaints.current
    total = sum(t for _w, _n, t, _r in weeks)
    assert scoring.complaint_rate(seed.ACME_COMPLAINTS, total) == direct.rate_pct.current


@pytest.mark.usefixtures("seeded")
def test_communities_rank_hotspots_with_their_recommendation() -> None:
    at = open_page("communities")
    table = at.dataframe[0].value
    assert len(table) >= 1
    assert table["Score"].is_monotonic_decreasing
    assert set(table["Recommendation"]) <= {"join", "already present", "watch"}
    assert any("Recommendation:" in m.value for m in at.markdown)


def test_communities_show_the_scoring_ranking(seeded: Settings) -> None:
    store = open_store(seeded.store.database_url, migrate=False)
    direct = scoring.community_hotspots(
        store.engine, seeded, "Acme", scoring.Period.days(seed.FIRST_DAY, seed.LAST_DAY)
    )
    store.engine.dispose()
    at = open_page("communities")
    table = at.dataframe[0].value
    assert list(table["Community"]) == [h.community for h in direct]
    assert list(table["Score"]) == pytest.approx([h.score for h in direct])


@pytest.mark.slow
@pytest.mark.usefixtures("seeded")
def test_complaint_topics_come_with_example_mentions() -> None:
    at = open_page("complaints")
    at.toggle(key="complaint_topics").set_value(True).run()
    assert not at.exception, at.exception
    assert at.expander, "no topic shown"
    texts = {t.value for t in at.text}
    assert texts & {
        "acme broke after a week, I want a refund",
        "acme is the worst",
        "Acme machine leaks water, help?",
    }
