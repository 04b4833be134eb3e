"""Which mentions an export holds: the brand's, in the period, narrowed by the filters,
never a deleted one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from grapevine.dashboard.filters import Filters
from grapevine.dashboard.queries import MentionQuery
from grapevine.export import ExportFilters, export_bundle, parse_when
from tests.export.conftest import T0, Seeded, selection


def exported(seeded: Seeded, **filters: Any) -> set[str]:
    bundle = export_bundle(seeded.store, selection(**filters), "jsonl")
    import json

    by_id = {v: k for k, v in seeded.ids.items()}
    return {by_id[json.loads(line)["mention_id"]] for line in bundle.data.splitlines()}


BRAND = {
    "hn1",
    "hn2",
    "r1",
    "m1",
    "se1",
    "at://did:plc:grace123/app.bsky.feed.post/bs1",
    "own1",
    "old1",
}


def test_default_is_the_brands_mentions_without_deleted_or_other_brands(seeded: Seeded) -> None:
    got = exported(seeded)
    assert got == BRAND
    assert "del1" not in got
    assert "glx1" not in got
    assert "cat1" not in got


def test_roles_choose_category_and_own(seeded: Seeded) -> None:
    assert exported(seeded, roles=("category",)) == {"cat1"}
    assert exported(seeded, roles=("own",)) == {"own1"}
    assert exported(seeded, roles=("brand", "category")) == BRAND | {"cat1"}


def test_period_is_inclusive_start_exclusive_end(seeded: Seeded) -> None:
    got = exported(seeded, since=T0, until=T0 + timedelta(days=2))
    assert got == {"hn1", "hn2"}
    assert exported(seeded, since=T0 + timedelta(days=6)) == {"own1"}  # del1 is deleted


def test_sources_languages_communities_and_text(seeded: Seeded) -> None:
    assert exported(seeded, sources=("reddit", "mastodon")) == {"r1", "m1"}
    # Language: the classifier's if labelled, else what the source declared.
    assert exported(seeded, languages=("ru",)) == {"hn1"}
    assert exported(seeded, communities=("reddit:r/acme",)) == {"r1"}
    assert exported(seeded, text="BSKY") == {"at://did:plc:grace123/app.bsky.feed.post/bs1"}


def test_label_filters_use_the_current_model(seeded: Seeded) -> None:
    assert exported(seeded, sentiments=("negative",)) == {"hn2", "r1"}
    assert exported(seeded, complaint="complaints") == {"hn2", "r1"}
    assert exported(seeded, complaint="complaints", complaint_threshold=0.8) == {"hn2"}
    assert exported(seeded, qualities=("constructive",)) == {"hn1", "own1"}
    # The older model called hn1 a negative, toxic complaint.
    assert exported(seeded, model_version="v1", sentiments=("negative",)) == {"hn1"}


def test_parse_when() -> None:
    assert parse_when("2026-03-01") == datetime(2026, 3, 1, tzinfo=UTC)
    assert parse_when("2026-03-01", end=True) == datetime(2026, 3, 2, tzinfo=UTC)
    assert parse_when("2026-03-01T10:30") == datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
    assert parse_when("2026-03-01T10:30+02:00") == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    assert parse_when("2026-03-01T10:30Z", end=True) == datetime(2026, 3, 1, 10, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="yesterday"):
        parse_when("yesterday")


def test_filters_refuse_naive_or_backwards_periods() -> None:
    with pytest.raises(ValueError, match="timezone"):
        ExportFilters(brand="Acme", since=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="ends before"):
        ExportFilters(brand="Acme", since=T0, until=T0)


def test_from_the_apps_mention_query(seeded: Seeded) -> None:
    query = MentionQuery(
        filters=Filters("Acme", date(2026, 3, 1), date(2026, 3, 3), sources=("hackernews",)),
        sentiments=("negative",),
    )
    filters = query.selection
    assert filters.since == T0.replace(hour=0)
    assert filters.until == datetime(2026, 3, 4, tzinfo=UTC)
    assert filters.filters.sources == ("hackernews",)
    assert export_bundle(seeded.store, filters, "jsonl").datasheet.tally.rows == 1
    assert exported(
        seeded,
        since=filters.since,
        until=filters.until,
        sources=filters.filters.sources,
        sentiments=filters.filters.sentiments,
    ) == {"hn2"}
