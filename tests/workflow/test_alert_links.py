"""Alerts lead somewhere: each payload links to the Mentions view of what fired it; the
hotspot rule stays quiet without a baseline; keyword rules speak the query language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from config import Settings
from core.query import Query
from grapevine.alerts import list_alerts, run_alert_check
from storage import open_store
from tests.app.seed import CONFIG_EXTRA, NEWEST, seed
from tests.workflow.conftest import ids_by_external

RULES = """
[alerts]
dashboard_url = "https://grapevine.example/"

[[alerts.rules]]
brand = "Acme"
kind = "keyword"
name = "refunds"
query = 'refund* OR "water leak"'
lookback = "30d"

[[alerts.rules]]
brand = "Acme"
kind = "negative_swing"
nss_drop = 1
min_polar = 1

[[alerts.rules]]
brand = "Acme"
kind = "new_hotspot"
compare_to = "90d"
"""


def test_every_payload_links_to_the_mentions_that_fired_it(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(CONFIG_EXTRA + RULES)
    store = open_store(settings.store.database_url)
    seed(store, settings)
    now = NEWEST + timedelta(hours=1)
    summary = run_alert_check(store, settings, now=now)
    fired = {f.rule for f in summary.fired}
    quiet = {q.rule: q.reason for q in summary.quiet}
    assert "refunds" in fired
    # nothing ranked 90 days earlier: every community would be "new", so no alert
    assert quiet["new_hotspot"] == "no baseline"
    links = {a.rule: a.payload["link"] for a in list_alerts(store, limit=10)}
    url = urlsplit(links["refunds"])
    params = parse_qs(url.query)
    assert (url.scheme, url.netloc, url.path) == ("https", "grapevine.example", "/mentions")
    assert params["brand"] == ["Acme"]
    assert params["ids"] == [str(ids_by_external(store)["c3"])]
    assert params["to"] == [f"{now:%Y-%m-%d}"]
    if "negative_swing" in links:
        swing = parse_qs(urlsplit(links["negative_swing"]).query)
        assert swing["sentiment"] == ["negative"]
    store.engine.dispose()


def test_keyword_rules_match_word_forms_phrases_and_proximity() -> None:
    assert Query.parse("crash*").matches("The app keeps crashing")
    assert not Query.parse("crash").matches("The app keeps crashing")
    assert Query.parse('"water leak"').matches("a Water  leak again")
    assert Query.parse("battery NEAR/3 drain*").matches("the battery is draining fast")
