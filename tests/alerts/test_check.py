"""Rules against seeded stores: known spikes, swings, unanswered complaints, keyword hits
and hotspots; cooldowns, items never alerted twice, no-data cases, and the daily digest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from config import Settings
from core.mention import MentionKind
from grapevine.alerts import list_alerts, run_alert_check
from grapevine.alerts.channels.render import example_line
from storage import Store, schema

from .conftest import NOW, Seeder

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)

SPIKE = """
[[alerts.rules]]
brand = "Acme"
kind = "volume_spike"
k = 3
min_mentions = 10
cooldown = "24h"
"""


def _quiet(summary: object) -> dict[str, str]:
    return {q.rule: q.reason for q in summary.quiet}  # type: ignore[attr-defined]


def _baseline(seeder: Seeder, per_day: list[int]) -> None:
    """``per_day[i]`` mentions in the 24 h window ending ``i + 1`` days before NOW."""
    for i, n in enumerate(per_day):
        end = NOW - DAY * (i + 1)
        seeder.many(n, start=end - DAY + HOUR, span=DAY - 2 * HOUR)


def test_volume_spike_fires_once_then_cools_down(
    store: Store, seeder: Seeder, alert_settings: Callable[..., Settings]
) -> None:
    settings = alert_settings(SPIKE)
    _baseline(seeder, [5, 4, 6, 5, 4, 6, 5])
    seeder.many(30, start=NOW - DAY + HOUR, span=DAY - 2 * HOUR, score=3)
    seeder.mention(at=NOW - 3 * HOUR, text="acme grinder everyone is talking", score=99)
    seeder.many(12, start=NOW - DAY + HOUR, span=HOUR, brand="Globex", text="globex")

    summary = run_alert_check(store, settings, now=NOW)

    [fired] = summary.fired
    assert (fired.brand, fired.rule, fired.title) == (
        "Acme",
        "volume_spike",
        "Acme: mention volume spike",
    )
    [alert] = list_alerts(store)
    p = alert.payload
    assert p["data"]["current"] == 31
    assert p["data"]["baseline"] == [5, 4, 6, 5, 4, 6, 5]
    assert p["data"]["mean"] == pytest.approx(5.0)
    assert p["figure"]["value"].startswith("31 (")
    assert len(p["examples"]) == 3
    assert p["examples"][0]["text"] == "acme grinder everyone is talking"  # most engaged first
    assert p["link"] == "http://grapevine.test/mentions?brand=Acme&from=2026-11-22&to=2026-11-23"
    assert sorted(d.channel for d in alert.deliveries) == ["hook", "mail", "slack"]
    assert {d.status for d in alert.deliveries} == {"pending"}

    again = run_alert_check(store, settings, now=NOW + HOUR)
    assert again.fired == ()
    assert _quiet(again) == {"volume_spike": "cooldown"}
    assert len(list_alerts(store)) == 1


def test_steady_volume_does_not_spike(
    store: Store, seeder: Seeder, alert_settings: Callable[..., Settings]
) -> None:
    settings = alert_settings(SPIKE)
    _baseline(seeder, [10, 12, 8, 10, 11, 9, 10])
    seeder.many(13, start=NOW - DAY + HOUR, span=DAY - 2 * HOUR)  # threshold is 13.59
    summary = run_alert_check(store, settings, now=NOW)
    assert summary.fired == ()
    assert _quiet(summary) == {"volume_spike": "below threshold"}


ALL_RULES = (
    SPIKE
    + """
[[alerts.rules]]
brand = "Acme"
kind = "negative_swing"

[[alerts.rules]]
brand = "Acme"
kind = "unanswered_complaint"

[[alerts.rules]]
brand = "Acme"
kind = "keyword"
query = "recall OR lawsuit"

[[alerts.rules]]
brand = "Acme"
kind = "new_hotspot"
"""
)


def test_no_data_fires_nothing(store: Store, alert_settings: Callable[..., Settings]) -> None:
    summary = run_alert_check(store, alert_settings(ALL_RULES), now=NOW)
    assert summary.fired == ()
    assert set(_quiet(summary).values()) == {"no data"}
    assert len(_quiet(summary)) == 5
    assert list_alerts(store) == []


SWING = """
[[alerts.rules]]
brand = "Acme"
kind = "negative_swing"
nss_drop = 25
negative_share_rise = 15
min_polar = 10
channels = ["slack"]
"""


def test_negative_swing_fires_with_negative_examples(
    store: Store, seeder: Seeder, alert_settings: Callable[..., Settings]
) -> None:
    settings = alert_settings(SWING)
    week = NOW - 8 * DAY + HOUR
    seeder.many(20, start=week, span=6 * DAY, sentiment="positive")
    seeder.many(5, start=week, span=6 * DAY, sentiment="negative")
    seeder.many(5, start=week, span=6 * DAY, sentiment="neutral")
    seeder.many(2, start=NOW - 20 * HOUR, span=10 * HOUR, sentiment="positive")
    seeder.many(
        10,
        start=NOW - 20 * HOUR,
        span=10 * HOUR,
        sentiment="negative",
        text="acme broke again",
        community="reddit:espresso",
        source="reddit",
    )
    seeder.many(20, start=NOW - 20 * HOUR, span=10 * HOUR)  # unlabelled: not counted

    assert len(run_alert_check(store, settings, now=NOW).fired) == 1
    [alert] = list_alerts(store)
    data = alert.payload["data"]
    assert data["baseline_nss"] == pytest.approx(60.0)  # (20 - 5) / 25 × 100
    assert data["nss"] == pytest.approx(-200 / 3)  # (2 - 10) / 12 × 100
    assert data["negative_share"] == pytest.approx(250 / 3)  # 10 / 12
    assert data["baseline_negative_share"] == pytest.approx(500 / 30)  # 5 / 30
    assert data["reasons"] == ["nss", "negative_share"]
    assert data["model_version"] == "v1"
    assert alert.payload["figure"]["value"] == "-67 (was +60)"
    assert {e["text"] for e in alert.payload["examples"]} == {"acme broke again"}
    # each example says where it lives by the name people know (the id stays beside it)
    assert {(e["community"], e["community_name"]) for e in alert.payload["examples"]} == {
        ("reddit:espresso", "r/espresso")
    }
    assert example_line(alert.payload["examples"][0]).startswith("r/espresso · ")
    assert [d.channel for d in alert.deliveries] == ["slack"]


def test_stable_sentiment_does_not_swing(
    store: Store, seeder: Seeder, alert_settings: Callable[..., Settings]
) -> None:
    settings = alert_settings(SWING)
    seeder.many(20, start=NOW - 8 * DAY, span=6 * DAY, sentiment="positive")
    seeder.many(5, start=NOW - 8 * DAY, span=6 * DAY, sentiment="negative")
    seeder.many(8, start=NOW - 20 * HOUR, span=10 * HOUR, sentiment="positive")
    seeder.many(2, start=NOW - 20 * HOUR, span=10 * HOUR, sentiment="negative")
    summary = run_alert_check(store, settings, now=NOW)
    assert _quiet(summary) == {"negative_swing": "below threshold"}


COMPLAINTS = """
[[alerts.rules]]
brand = "Acme"
kind = "unanswered_complaint"
min_engagement = 5
answer_within = "4h"
lookback = "3d"
cooldown = "1h"
"""


def test_unanswered_complaints_alert_once_each(
    store: Store, seeder: Seeder, alert_settings: Callable[..., Settings]
) -> None:
    settings = alert_settings(COMPLAINTS)
    c: dict[str, Any] = {"sentiment": "negative", "complaint": 0.9}
    waiting = seeder.mention(
        at=NOW - 6 * HOUR, text="acme charged me twice", score=8, comments=4, external_id="a", **c
    )
    seeder.mention(at=NOW - 6 * HOUR, text="acme lost my order", score=20, external_id="b", **c)
    seeder.mention(  # the brand answered b
        at=NOW - 5 * HOUR,
        text="Sorry! DM us your order number.",
        role="own",
        author="acme_support",
        parent_id="b",
        thread_id="b",
    )
    seeder.mention(at=NOW - HOUR, text="acme app crashes", score=50, **c)  # still has time
    seeder.mention(at=NOW - 6 * HOUR, text="acme meh", score=1, **c)  # too little engagement
    seeder.mention(  # not a complaint
        at=NOW - 6 * HOUR, text="acme is ok", score=50, sentiment="neutral", complaint=0.2
    )
    seeder.mention(  # the brand's own post is never a complaint about itself
        at=NOW - 6 * HOUR,
        text="acme status update",
        author="acme_support",
        score=50,
        extra_roles=("own",),
        **c,
    )
    seeder.mention(at=NOW - 5 * DAY, text="acme old problem", score=50, **c)  # beyond lookback

    [fired] = run_alert_check(store, settings, now=NOW).fired
    assert fired.title == "Acme: 1 complaint needs an answer"
    [alert] = list_alerts(store)
    assert alert.payload["subjects"] == [str(waiting)]
    [row] = alert.payload["data"]["complaints"]
    assert (row["mention_id"], row["engagement"], row["waiting_hours"]) == (waiting, 12, 6.0)
    assert alert.payload["examples"][0]["text"] == "acme charged me twice"

    # four hours later the young one is overdue too; the first is not alerted again
    later = NOW + 4 * HOUR
    [second] = run_alert_check(store, settings, now=later).fired
    assert second.title == "Acme: 1 complaint needs an answer"
    assert list_alerts(store)[0].payload["examples"][0]["text"] == "acme app crashes"

    third = run_alert_check(store, settings, now=later + 2 * HOUR)
    assert third.fired == ()
    assert _quiet(third) == {"unanswered_complaint": "below threshold"}


KEYWORD = """
[[alerts.rules]]
brand = "Acme"
kind = "keyword"
name = "legal"
query = 'recall OR lawsuit OR "class action"'
lookback = "24h"
cooldown = "1h"
"""


def test_keyword_matches_each_mention_once(
    store: Store, seeder: Seeder, alert_settings: Callable[..., Settings]
) -> None:
    settings = alert_settings(KEYWORD)
    hit = seeder.mention(at=NOW - 2 * HOUR, text="Acme announces a RECALL of grinders")
    seeder.mention(at=NOW - HOUR, text="acme grinders are fine")
    seeder.mention(at=NOW - HOUR, text="globex recall", brand="Globex")  # another brand
    seeder.mention(at=NOW - 2 * DAY, text="acme lawsuit rumours")  # outside the window

    [fired] = run_alert_check(store, settings, now=NOW).fired
    assert fired.rule == "legal"
    [alert] = list_alerts(store)
    assert alert.payload["subjects"] == [str(hit)]
    assert alert.payload["figure"] == {"label": "Matching mentions", "value": "1"}

    assert _quiet(run_alert_check(store, settings, now=NOW + 10 * 60 * timedelta(seconds=1))) == {
        "legal": "cooldown"
    }
    second_hit = seeder.mention(at=NOW + 30 * timedelta(minutes=1), text="acme class action filed")
    [again] = run_alert_check(store, settings, now=NOW + HOUR).fired
    assert list_alerts(store)[0].payload["subjects"] == [str(second_hit)]
    assert again.alert_id != fired.alert_id
    assert _quiet(run_alert_check(store, settings, now=NOW + 3 * HOUR)) == {
        "legal": "below threshold"
    }


HOTSPOT = """
[[alerts.rules]]
brand = "Acme"
kind = "new_hotspot"
top_n = 1
window = "7d"
compare_to = "1d"
"""


def test_new_hotspot_fires_when_a_community_enters_the_top_n(
    store: Store, seeder: Seeder, alert_settings: Callable[..., Settings]
) -> None:
    settings = alert_settings(HOTSPOT)
    seeder.many(5, start=NOW - 6 * DAY, span=4 * DAY, community="forum:old", source="forum")
    # a burst of espresso talk in the last half day, where Acme is absent
    seeder.many(
        25,
        start=NOW - 12 * HOUR,
        span=10 * HOUR,
        community="reddit:r/espresso",
        source="reddit",
        role="category",
        text="best espresso grinder?",
        comments=5,
        kind=MentionKind.POST,
    )
    [fired] = run_alert_check(store, settings, now=NOW).fired
    assert fired.title == "Acme: new hotspot r/espresso"  # the name people know it by
    [alert] = list_alerts(store)
    assert alert.payload["subjects"] == ["reddit:r/espresso"]  # ids stay in the data
    assert alert.payload["data"]["communities"][0]["name"] == "r/espresso"
    assert alert.payload["data"]["communities"][0]["rank"] == 1

    # a week's cooldown: the same community does not fire again
    assert _quiet(run_alert_check(store, settings, now=NOW + DAY)) == {"new_hotspot": "cooldown"}


DIGEST = """
[alerts.digest]
channels = ["mail"]
hour = 8
"""


def test_daily_digest_once_a_day_from_its_hour(
    store: Store, seeder: Seeder, alert_settings: Callable[..., Settings]
) -> None:
    settings = alert_settings(SPIKE, extra=DIGEST)
    _baseline(seeder, [1, 1, 1, 1, 1, 1, 1])
    seeder.many(
        12, start=NOW - DAY + HOUR, span=DAY - 2 * HOUR, sentiment="positive", complaint=0.0
    )

    first = run_alert_check(store, settings, now=NOW)
    assert first.digest_id is not None
    assert run_alert_check(store, settings, now=NOW + HOUR).digest_id is None
    next_morning = NOW.replace(hour=7) + DAY
    assert run_alert_check(store, settings, now=next_morning).digest_id is None
    assert run_alert_check(store, settings, now=next_morning + HOUR).digest_id is not None

    with store.engine.connect() as conn:
        n = conn.execute(
            select(func.count()).select_from(schema.alerts).where(schema.alerts.c.rule == "digest")
        ).scalar_one()
    assert n == 2
    digest = next(a for a in list_alerts(store) if a.id == first.digest_id)
    assert [d.channel for d in digest.deliveries] == ["mail"]
    acme = next(b for b in digest.payload["brands"] if b["brand"] == "Acme")
    assert acme["mentions"] == 12
    assert acme["nss"] == pytest.approx(100.0)
    # the digest fired in the same check as the spike and lists it
    assert [a["rule"] for a in digest.payload["alerts"]] == ["volume_spike"]


def test_the_brands_own_posts_never_count_as_sentiment(seeder: Seeder, store: Store) -> None:
    """The negative-swing rule reads organic sentiment only: a brand's own apologies are
    answers, not customers' mood (DESIGN.md §2)."""
    from grapevine.alerts.queries import sentiment_counts
    from scoring import Period

    from .conftest import VERSION

    start = NOW - timedelta(hours=12)
    seeder.many(3, start=start, span=timedelta(hours=6), sentiment="positive")
    seeder.many(4, start=start, span=timedelta(hours=6), sentiment="negative", extra_roles=("own",))
    with store.engine.connect() as conn:
        counts = sentiment_counts(conn, "Acme", Period.ending(NOW, timedelta(days=1)), VERSION)
    assert (counts.positive, counts.negative) == (3, 0)


def test_a_negative_swing_shows_no_own_post_as_an_example(seeder: Seeder, store: Store) -> None:
    """The swing's examples are the negative mentions it counted: organic ones only, so a
    brand's own apology (labelled negative, and the most engaged) is never shown as one."""
    from grapevine.alerts.queries import examples
    from scoring import Period, ScoringSettings

    from .conftest import VERSION

    start = NOW - timedelta(hours=12)
    customer = seeder.mention(at=start, sentiment="negative", score=2)
    seeder.mention(
        at=start + HOUR, sentiment="negative", score=90, author="acme_support", extra_roles=("own",)
    )
    window = Period.ending(NOW, timedelta(days=1))
    with store.engine.connect() as conn:
        shown = examples(
            conn, "Acme", window, ScoringSettings(), limit=5, version=VERSION, sentiment="negative"
        )
        everything = examples(conn, "Acme", window, ScoringSettings(), limit=5)
    assert [e.mention_id for e in shown] == [customer]
    assert len(everything) == 2  # a volume spike's examples are every brand mention
