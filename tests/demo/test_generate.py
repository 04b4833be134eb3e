"""The generated month: every source, several languages, readable communities, an
outage in the last day, complaints answered by the brand's own accounts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from config import Settings
from grapevine.demo.generate import generate_month
from tests.demo.conftest import NOW


def test_a_month_of_every_source_in_several_languages(
    example_settings: Callable[..., Settings],
) -> None:
    settings = example_settings()
    month = generate_month(settings, NOW, seed=7)
    mentions = month.mentions
    assert 1000 < len(mentions) < 4000
    assert {m.source for m in mentions} == set(settings.enabled_sources())
    languages = Counter(m.language for m in mentions)
    assert {"en", "de", "fr", "es", "pt", "ja"} <= set(languages)
    assert all(NOW - timedelta(days=30) <= m.created_at < NOW for m in mentions)
    assert [m.created_at for m in mentions] == sorted(m.created_at for m in mentions)
    assert len({m.key for m in mentions}) == len(mentions)
    # readable names for the places whose ids mean nothing to a person
    assert month.community_names["appstore:1463803563"] == "Waymo One (App Store)"
    assert month.community_names["stackexchange:stackoverflow"] == "Stack Overflow"
    assert all(m.raw.get("generated_by") == "grapevine demo" for m in mentions)


def test_the_last_day_is_an_outage_for_brands_with_alert_rules(
    example_settings: Callable[..., Settings],
) -> None:
    mentions = generate_month(example_settings(), NOW, seed=7).mentions

    def per_day(brand: str) -> list[int]:
        days = Counter(
            int((NOW - m.created_at) / timedelta(days=1)) for m in mentions if brand in m.text
        )
        return [days.get(d, 0) for d in range(8)]

    for brand in ("Waymo", "Facebook"):
        last, *week = per_day(brand)
        assert last > 2.5 * (sum(week) / len(week)), (brand, last, week)
    tesla_last, *tesla_week = per_day("Tesla")  # a competitor without rules: no outage
    assert tesla_last < 2 * max(tesla_week)
    last_day = [m for m in mentions if m.created_at >= NOW - timedelta(days=1)]
    assert sum(m.raw["mood"] == "incident" for m in last_day) > 30
    assert any("outage" in m.text for m in last_day)


def test_complaints_get_replies_from_the_brands_own_accounts(
    example_settings: Callable[..., Settings],
) -> None:
    settings = example_settings()
    mentions = generate_month(settings, NOW, seed=7).mentions
    by_key = {m.external_id: m for m in mentions}
    replies = [m for m in mentions if m.raw["mood"] == "reply"]
    assert len(replies) > 20
    waymo = settings.brand("Waymo")
    for reply in replies:
        parent = by_key[reply.parent_id or ""]
        assert parent.raw["mood"] in ("complaint", "incident")
        assert (reply.source, reply.community) == (parent.source, parent.community)
        assert reply.created_at > parent.created_at
        assert waymo.is_own_account(reply.source, reply.author)


def test_the_same_seed_gives_the_same_month(example_settings: Callable[..., Settings]) -> None:
    settings = example_settings()
    first = generate_month(settings, NOW, seed=3).mentions
    again = generate_month(settings, NOW, seed=3).mentions
    assert [(m.key, m.text, m.created_at) for m in first] == [
        (m.key, m.text, m.created_at) for m in again
    ]
