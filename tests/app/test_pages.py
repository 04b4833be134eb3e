"""Overview, Word of mouth, Complaints and Communities on the seeded store.

Each figure is checked twice: against the value worked out by hand in :mod:`tests.app.seed`
and, where the page shows a scoring record, against a direct call of the scoring function,
so the page can neither compute its own figure nor lose one on the way.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

import scoring
from config import Settings
from grapevine.dashboard.pages.mentions import safe_link
from scoring.communities import display_name
from storage import open_store
from tests.app import seed
from tests.app.test_mentions_sources import open_page

PERIOD = scoring.Period.days(seed.FIRST_DAY, seed.LAST_DAY)


def metric(at: AppTest, label: str) -> str:
    found = [m for m in at.metric if m.label == label]
    assert found, [m.label for m in at.metric]
    return str(found[0].value)


def delta(at: AppTest, label: str) -> str | None:
    return next(m.delta for m in at.metric if m.label == label)


def chart_data(at: AppTest, index: int) -> pd.DataFrame:
    """The rows a page handed to its ``index``-th chart (Arrow IPC inside the proto)."""
    proto = at.get("vega_lite_chart")[index].proto
    (dataset,) = proto.datasets
    frame: pd.DataFrame = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
    return frame


@pytest.mark.usefixtures("seeded")
def test_overview_shows_volume_nss_and_share_of_voice() -> None:
    at = open_page("overview")
    shown = at.caption[0].value.replace("\\", "")  # Markdown escapes are not what one reads
    assert shown.startswith("Acme · 21 Oct 2026 – 19 Nov 2026 (30 days)")
    assert metric(at, "Mentions") == str(seed.ACME_VOLUME)
    assert delta(at, "Mentions") == "+400 %"  # 10 against 2
    assert metric(at, "Net sentiment score") == seed.ACME_NSS
    assert metric(at, "Share of voice") == seed.ACME_SOV
    assert len(at.get("vega_lite_chart")) == 4  # sentiment, SoV, sources, languages


def test_overview_figures_are_scoring_figures(seeded: Settings) -> None:
    store = open_store(seeded.store.database_url, migrate=False)
    direct = scoring.brand_overview(store.engine, seeded, "Acme", PERIOD)
    store.engine.dispose()
    assert direct.total.current == seed.ACME_VOLUME
    at = open_page("overview")
    assert metric(at, "Net sentiment score") == f"{direct.nss.current:,.0f}"
    # the sentiment chart draws the record's split, day by day, and adds up to the organic
    # volume: the brand's own reply is an answer, never sentiment (docs/nlp.md "Genre rules")
    shown = chart_data(at, 0)
    expected = {
        (p.bucket, name): getattr(p, name)
        for p in direct.sentiment
        for name in ("negative", "neutral", "positive")
    }
    assert {
        (t.date(), str(s)): int(n)
        for t, s, n in zip(shown["period"], shown["sentiment"], shown["mentions"], strict=True)
    } == expected
    assert int(shown["mentions"].sum()) == seed.ACME_ORGANIC  # every seeded mention is labelled
    assert metric(at, "Net sentiment score") == seed.ACME_NSS  # as word of mouth's balance


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
    amplified = next(t for t in tables if "Link" in t.columns)
    assert "acme_support" not in set(amplified["Author"])  # organic only
    assert amplified["Engagement"].is_monotonic_decreasing


def test_most_amplified_are_the_scoring_list(seeded: Settings) -> None:
    store = open_store(seeded.store.database_url, migrate=False)
    direct = scoring.word_of_mouth(store.engine, seeded, "Acme", PERIOD)
    store.engine.dispose()
    assert direct.top_amplified, "the seeded period has organic mentions"
    tables = [d.value for d in open_page("word_of_mouth").dataframe]
    amplified = next(t for t in tables if "Link" in t.columns)
    assert list(amplified["Engagement"]) == [m.engagement for m in direct.top_amplified]
    assert list(amplified["Author"]) == [m.author or "—" for m in direct.top_amplified]
    # links go through the page's safe_link: the seeded javascript: URL is dropped
    links = [safe_link(m.url) for m in direct.top_amplified]
    assert [u if isinstance(u, str) else None for u in amplified["Link"]] == links
    assert None in links


@pytest.mark.usefixtures("seeded")
def test_complaints_show_rate_response_and_the_unanswered_queue() -> None:
    at = open_page("complaints")
    assert metric(at, "Complaints") == str(seed.ACME_COMPLAINTS)
    assert metric(at, "Complaint rate") == seed.ACME_COMPLAINT_RATE
    assert metric(at, "Response rate") == "33 %"
    queue = next(d.value for d in at.dataframe if "Channel" in d.value.columns)
    assert sorted(queue["Author"]) == sorted(seed.ACME_UNANSWERED)
    assert set(queue["Channel"]) == {"to the company", "to peers"}  # r/acme is Acme's own


def test_weekly_complaint_rate_is_the_scoring_series(seeded: Settings) -> None:
    store = open_store(seeded.store.database_url, migrate=False)
    direct = scoring.complaint_behaviour(store.engine, seeded, "Acme", PERIOD)
    store.engine.dispose()
    weeks = direct.rate_series
    assert direct.granularity == "week"
    assert sum(w.complaints for w in weeks) == direct.complaints.current == seed.ACME_COMPLAINTS
    total = sum(w.organic for w in weeks)
    assert scoring.complaint_rate(seed.ACME_COMPLAINTS, total) == direct.rate_pct.current
    # the page plots the weeks that have a rate, with the record's values
    shown = chart_data(open_page("complaints"), 0)
    plotted = [w for w in weeks if w.rate_pct is not None]
    assert [t.date() for t in shown["period"]] == [w.bucket for w in plotted]
    assert list(shown["rate"]) == pytest.approx([w.rate_pct for w in plotted])


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
    # communities by the names people use (r/espresso, Hacker News), in scoring's order
    assert list(table["Community"]) == [display_name(h.community) for h in direct]
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
