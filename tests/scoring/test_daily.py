"""The figure cache (``scoring.daily`` over ``storage.daycache``): a figure is the same
whether its days were stored or computed, and every write moves the figures of its days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from config import Settings
from grapevine.dashboard.filters import Filters
from grapevine.dashboard.queries import (
    MentionQuery,
    SourceSchedule,
    communities,
    count_mentions,
    source_health,
)
from grapevine.privacy.forget import apply_retention
from nlp.classify import Labels
from nlp.labeller import label_pending
from scoring import (
    MentionFilters,
    Period,
    brand_overview,
    community_hotspots,
    complaint_behaviour,
    quality_mix,
    word_of_mouth,
)
from scoring.daily import per_day, scope_key
from scoring.warm import FIGURES, warm_figures
from storage import Store, daycache, schema
from storage.workflow import save_correction
from tests.scoring.conftest import Row, at, seed

WEEK = Period(at(10, 0), at(17, 0))
OWN = (("Acme", "brand"), ("Acme", "own"))


class _Counting:
    """A stand-in query: one row per UTC day of the window it is asked for, and a log of
    the windows it was asked for."""

    def __init__(self) -> None:
        self.asked: list[Period] = []

    def __call__(self, part: Period) -> list[list[Any]]:
        self.asked.append(part)
        rows, moment = [], part.start
        while moment < part.end:
            rows.append([moment.date().isoformat(), 1])
            moment = at(moment.day, 0) + timedelta(days=1)
        return rows


def test_a_day_is_computed_once_until_a_write_touches_it(store: Store) -> None:
    key = scope_key("test.count", MentionFilters())
    query = _Counting()
    with store.engine.connect() as conn:
        first = per_day(conn, key, WEEK, query)
    days = [Period(at(d, 0), at(d + 1, 0)) for d in range(10, 17)]
    assert query.asked == days  # seven missing days: one query each
    with store.engine.connect() as conn:
        assert per_day(conn, key, WEEK, query) == first
    assert len(query.asked) == 7  # nothing recomputed

    with store.engine.begin() as conn:
        daycache.touch_days(conn, [date(2026, 11, 12)])
    with store.engine.connect() as conn:
        again = per_day(conn, key, WEEK, query)
    assert query.asked[7:] == [Period(at(12, 0), at(13, 0))]  # that day alone
    assert sorted(again) == sorted(first)


def test_part_days_at_the_edges_are_computed_every_time(store: Store) -> None:
    window = Period(at(10, 12), at(13, 6))
    query = _Counting()
    for _ in range(2):
        with store.engine.connect() as conn:
            rows = per_day(conn, scope_key("test.edges", MentionFilters()), window, query)
        assert sorted(r[0] for r in rows) == [
            "2026-11-10",
            "2026-11-11",
            "2026-11-12",
            "2026-11-13",
        ]
    whole = Period(at(11, 0), at(12, 0))
    assert query.asked == [
        Period(at(10, 12), at(11, 0)),
        Period(at(13, 0), at(13, 6)),
        whole,
        Period(at(12, 0), at(13, 0)),
        Period(at(10, 12), at(11, 0)),
        Period(at(13, 0), at(13, 6)),
    ]


def test_a_text_search_is_never_stored(store: Store) -> None:
    assert scope_key("test.text", MentionFilters(text="refund")) is None
    query = _Counting()
    for _ in range(2):
        with store.engine.connect() as conn:
            per_day(conn, None, WEEK, query)
    assert query.asked == [WEEK, WEEK]
    with store.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(schema.figure_days)).scalar_one()
    assert stored == 0


def test_a_write_while_a_day_is_computed_leaves_it_stale(store: Store) -> None:
    """The reader read the day's generation, then a writer committed: what the reader
    stores is marked with the old generation, so the next view computes the day again."""
    key = scope_key("test.race", MentionFilters())
    query = _Counting()

    def racing(part: Period) -> list[list[Any]]:
        rows = query(part)
        if len(query.asked) == 1:
            seed(store, [Row("late", at(11))])
        return rows

    with store.engine.connect() as conn:
        per_day(conn, key, WEEK, racing)
    with store.engine.connect() as conn:
        per_day(conn, key, WEEK, racing)
    assert query.asked[7:] == [Period(at(11, 0), at(12, 0))]


def test_a_read_only_store_still_gives_every_figure(
    store: Store, acme: Settings, tmp_path: Any
) -> None:
    seed(store, [Row("a", at(11), sentiment="positive"), Row("b", at(12), sentiment="negative")])
    from storage import open_store

    path = store.engine.url.database
    read_only = open_store(f"sqlite:///file:{path}?mode=ro&uri=true", migrate=False)
    with read_only.engine.connect() as conn:
        figure = brand_overview(conn, acme, "Acme", WEEK)
    assert figure == brand_overview(store.engine, acme, "Acme", WEEK)
    with store.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(schema.figure_days)).scalar_one()
    assert stored > 0  # only the writable store kept them
    read_only.engine.dispose()


ROWS = [
    Row("m1", at(10), sentiment="positive", author="ann", score=3),
    Row("m2", at(11), sentiment="negative", author="ann", community="hackernews"),
    Row("m3", at(12), sentiment="negative", author="bob", complaint=0.9, score=5),
    Row("m4", at(13), sentiment="positive", author="bob", quality="constructive"),
    Row("m5", at(14), sentiment="neutral", author="cid", complaint=0.8, kind="question"),
]


def _figures(store: Store, acme: Settings) -> tuple[Any, ...]:
    with store.engine.connect() as conn:
        return (
            brand_overview(conn, acme, "Acme", WEEK),
            word_of_mouth(conn, acme, "Acme", WEEK),
            complaint_behaviour(conn, acme, "Acme", WEEK),
            community_hotspots(conn, acme, "Acme", WEEK),
            quality_mix(conn, acme, "Acme", WEEK),
        )


def test_stored_days_give_the_figures_computed_ones_do(store: Store, acme: Settings) -> None:
    seed(store, ROWS)
    cold = _figures(store, acme)
    assert _figures(store, acme) == cold
    with store.engine.begin() as conn:
        daycache.clear(conn)
    assert _figures(store, acme) == cold


def test_every_write_moves_the_figures_of_its_day(store: Store, acme: Settings) -> None:
    ids = seed(store, ROWS)
    before = brand_overview(store.engine, acme, "Acme", WEEK)
    assert before.total.current == 5

    ids |= seed(store, [Row("m6", at(11), sentiment="positive")])  # into a stored day
    assert brand_overview(store.engine, acme, "Acme", WEEK).total.current == 6

    save_correction(store, ids["m2"], "ann@example.com", sentiment="positive")  # a correction
    assert brand_overview(store.engine, acme, "Acme", WEEK).nss.current == (4 - 1) / 5 * 100

    store.delete_mentions([ids["m6"]])  # forgotten, or past retention
    assert brand_overview(store.engine, acme, "Acme", WEEK).total.current == 5


class _AllPositive:
    name = "all-positive"
    version = "zz-later"  # the newest labels are the ones the figures read

    def classify(self, texts: Sequence[str]) -> list[Labels]:
        scores = {"negative": 0.0, "neutral": 0.0, "positive": 1.0}
        return [Labels("positive", scores, 0.0, "ordinary", 0.5, "en") for _ in texts]


def test_labelling_moves_the_figures_of_its_days(store: Store, acme: Settings) -> None:
    seed(store, [*ROWS, Row("u1", at(12), sentiment=None)])
    assert (
        brand_overview(store.engine, acme, "Acme", WEEK, model_version="zz-later").nss.current
        is None
    )
    assert label_pending(store, _AllPositive()) == 6
    figure = brand_overview(store.engine, acme, "Acme", WEEK, model_version="zz-later")
    assert figure.nss.current == 100.0
    assert sum(p.positive for p in figure.sentiment) == 6


def test_a_late_reply_answers_a_complaint_of_an_earlier_day(store: Store, acme: Settings) -> None:
    seed(store, ROWS)
    first = complaint_behaviour(store.engine, acme, "Acme", WEEK)
    assert (first.answered, first.unanswered_total) == (0, 2)
    spots = {h.community: h for h in community_hotspots(store.engine, acme, "Acme", WEEK)}
    assert spots["hackernews"].factors[5].value == 3.0  # 2 open complaints + 1 open question

    # three days later the brand's support answers m3 (a day whose figures are stored)
    seed(store, [Row("r1", at(15), author="acme_support", brands=OWN, parent_id="m3")])
    after = complaint_behaviour(store.engine, acme, "Acme", WEEK)
    assert (after.answered, after.unanswered_total) == (1, 1)
    assert after.median_first_reply_hours == 72.0
    spots = {h.community: h for h in community_hotspots(store.engine, acme, "Acme", WEEK)}
    assert spots["hackernews"].factors[5].value == 2.0


def test_warming_leaves_no_day_for_the_first_viewer(
    store: Store, acme: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(store, ROWS)
    assert warm_figures(store.engine, acme) == len(FIGURES)  # Globex has no mentions
    computed: list[int] = []
    monkeypatch.setattr(
        daycache, "save_days", lambda _engine, _key, entries: computed.append(len(entries))
    )
    newest = at(14).date()
    opened = Period.days(newest - timedelta(days=acme.app.default_period_days - 1), newest)
    for figure in FIGURES:
        figure(store.engine, acme, "Acme", opened)
    assert sum(computed) == 0  # every whole day of both periods was read back


def test_retention_drops_the_days_it_emptied(store: Store, acme: Settings) -> None:
    seed(store, ROWS)
    assert brand_overview(store.engine, acme, "Acme", WEEK).total.current == 5
    apply_retention(store, 3, at(16))  # everything before 13 November 12:00 goes
    with store.engine.connect() as conn:
        oldest = conn.execute(select(func.min(schema.figure_days.c.day))).scalar_one()
    assert str(oldest) >= "2026-11-13"
    assert brand_overview(store.engine, acme, "Acme", WEEK).total.current == 2  # m4, m5


def _stored_text(store: Store) -> str:
    with store.engine.connect() as conn:
        return " ".join(conn.execute(select(schema.figure_days.c.rows)).scalars())


def test_deleting_a_person_leaves_no_stored_figure_naming_them(
    store: Store, acme: Settings
) -> None:
    ids = seed(store, ROWS)
    word_of_mouth(store.engine, acme, "Acme", WEEK)
    complaint_behaviour(store.engine, acme, "Acme", WEEK)
    assert '"bob"' in _stored_text(store)
    store.delete_mentions([ids["m3"], ids["m4"]])  # what grapevine forget runs for bob
    assert '"bob"' not in _stored_text(store)
    assert '"ann"' in _stored_text(store)  # other days keep theirs


def test_stale_days_are_dropped_before_warming(store: Store, acme: Settings) -> None:
    seed(store, ROWS)
    brand_overview(store.engine, acme, "Acme", WEEK)
    with store.engine.begin() as conn:
        daycache.touch_days(conn, [date(2026, 11, 12)])
    with store.engine.begin() as conn:
        assert daycache.drop_stale(conn) > 0
    with store.engine.connect() as conn:
        days = set(conn.execute(select(schema.figure_days.c.day)).scalars())
    assert date(2026, 11, 12) not in {daycache.as_date(d) for d in days}
    assert len(days) == 13  # the other days of the week and of the week before


def test_the_mentions_and_sources_pages_follow_writes(store: Store) -> None:
    seed(store, ROWS)
    sidebar = Filters("Acme", date(2026, 11, 10), date(2026, 11, 16))
    page = MentionQuery(sidebar)

    def seen() -> tuple[int, list[str], dict[str, int]]:
        with store.engine.connect() as conn:
            every = SourceSchedule(enabled=True, every=timedelta(hours=1))
            health = source_health(conn, {"hackernews": every, "reddit": every}, at(20))
            return (
                count_mentions(conn, page),
                communities(conn, sidebar),
                {h.source: h.stored_mentions for h in health if h.stored_mentions},
            )

    assert seen() == (5, ["hackernews"], {"hackernews": 5})
    assert seen() == (5, ["hackernews"], {"hackernews": 5})  # read back
    seed(store, [Row("r1", at(11), source="reddit", community="reddit:r/acme")])
    assert seen() == (6, ["hackernews", "reddit:r/acme"], {"hackernews": 5, "reddit": 1})
    with store.engine.connect() as conn:  # a text search counts live, never stored
        assert count_mentions(conn, MentionQuery(sidebar, text="acme")) == 6
