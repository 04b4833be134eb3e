"""App Store customer reviews (XML RSS). The bundled pages follow the structure of a real
feed (``../shared/recordings/appstore``, no licence stated) with reviews written for
these tests: same namespaces, two ``<content>`` elements, vote counts, ``rel="last"``."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import pytest

from collectors.appstore import AppStore, AppStoreOptions, entry_to_mention, parse_feed
from collectors.base import Search
from collectors.errors import ConfigurationError
from collectors.replay import RECORDINGS
from tests.collectors.helpers import Faults, session

REC = RECORDINGS / "appstore"
APP = {"apps": [{"id": "1463803563", "countries": ["us"]}]}


def _entries(name: str = "customerreviews_page1.xml") -> tuple[list[ET.Element], int | None]:
    return parse_feed(httpx.Response(200, content=(REC / name).read_bytes()))


def test_review_keeps_rating_title_version_and_votes() -> None:
    entries, last = _entries()
    assert last == 2
    assert len(entries) == 4
    m = entry_to_mention(entries[0], "1463803563", "us")
    assert m is not None
    assert (m.kind.value, m.community, m.rating, m.title) == (
        "review",
        "appstore:1463803563",
        2,
        "Stuck at pickup",
    )
    assert m.helpful_votes == 3
    assert m.raw["voteCount"] == 4
    assert m.raw["version"] == "4.12.0"
    assert m.created_at.isoformat() == "2026-11-23T04:14:05+00:00"  # -07:00 converted to UTC
    assert m.text.startswith("Waymo sent the car")
    assert "<table" not in m.text


def test_the_app_description_entry_of_older_feeds_is_not_a_review() -> None:
    entry = ET.fromstring(
        '<entry xmlns="http://www.w3.org/2005/Atom" xmlns:im="http://itunes.apple.com/rss">'
        "<updated>2020-08-12T08:00:37-07:00</updated><id>1463803563</id>"
        "<im:name>Waymo One</im:name></entry>"
    )
    assert entry_to_mention(entry, "1463803563", "us") is None


def test_sweeps_to_the_last_page_then_stops_at_the_newest_stored_review() -> None:
    collector = AppStore.from_config(APP)
    transport = Faults(AppStore.replay_transport(AppStore.default_base_url))
    pages = list(collector.collect(session(transport, "appstore"), Search(["waymo"]), None))
    assert [len(p.mentions) for p in pages] == [4, 2]
    assert [r.url.path.split("/")[4] for r in transport.requests] == ["page=1", "page=2"]
    again = Faults(AppStore.replay_transport(AppStore.default_base_url))
    resumed = list(
        collector.collect(session(again, "appstore"), Search(["waymo"]), pages[-1].cursor)
    )
    assert sum(len(p.mentions) for p in resumed) == 0
    assert len(again.requests) == 1


def test_options_validate_app_ids() -> None:
    assert AppStoreOptions.model_validate(APP).apps[0].countries == ["us"]
    with pytest.raises(ConfigurationError, match=r"sources\.appstore\.apps"):
        AppStore.from_config({"apps": [{"id": "not-a-number"}]})
