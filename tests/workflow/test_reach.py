"""Author reach: followers where the source reports them, else engagement received."""

from __future__ import annotations

import pytest

from config import Settings
from scoring import Period
from scoring.reach import author_reach, followers_in
from storage import Store, workflow
from tests.app.seed import FIRST_DAY, LAST_DAY
from tests.workflow.test_dashboard import _open

PERIOD = Period.days(FIRST_DAY, LAST_DAY)


def test_followers_come_from_the_payload_where_the_source_reports_them() -> None:
    assert followers_in("mastodon", {"account": {"followers_count": 1234}}) == 1234
    assert followers_in("mastodon", {"account": {}}) is None
    assert followers_in("mastodon", {"account": {"followers_count": -1}}) is None
    assert followers_in("hackernews", {"account": {"followers_count": 5}}) is None


def test_advocates_and_detractors_are_ranked_by_reach(seeded: Settings, store: Store) -> None:
    leaders = author_reach(store.engine, seeded, "Acme", PERIOD)
    advocates = {(r.author, r.basis) for r in leaders.advocates}
    detractors = {r.author: r for r in leaders.detractors}
    assert ("alice", "engagement") in advocates
    assert "bob" in detractors
    assert detractors["bob"].negative == 2
    reaches = [r.reach for r in leaders.advocates]
    assert reaches == sorted(reaches, reverse=True)


def test_a_corrected_label_moves_an_author_between_the_lists(
    seeded: Settings, store: Store, ids: dict[str, int]
) -> None:
    workflow.save_correction(store, ids["c3"], "ana", sentiment="positive")
    workflow.save_correction(store, ids["c4"], "ana", sentiment="positive")
    leaders = author_reach(store.engine, seeded, "Acme", PERIOD)
    assert "bob" in {r.author for r in leaders.advocates}
    assert "bob" not in {r.author for r in leaders.detractors}


@pytest.mark.usefixtures("seeded")
def test_the_word_of_mouth_page_shows_who_amplifies() -> None:
    at = _open("word_of_mouth", brand="Acme")
    assert "Who amplifies" in [s.value for s in at.subheader]
