"""Only recordings are called "recorded": the table agrees with every PROVENANCE.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from collectors import REGISTRY
from grapevine.demo.provenance import (
    PARTLY_RECORDED,
    RECORDED,
    SCHEMA_WRITTEN,
    describe,
    replay_note,
)

RECORDINGS = Path(__file__).resolve().parents[2] / "collectors" / "recordings"


@pytest.mark.parametrize("source", sorted(RECORDED | SCHEMA_WRITTEN | PARTLY_RECORDED))
def test_the_table_says_what_provenance_says(source: str) -> None:
    text = (RECORDINGS / source / "PROVENANCE.md").read_text(encoding="utf-8")
    head = text.split("\n\n", 2)[1]  # the paragraph after the title
    says_not = "**Not recordings" in head or "**Not a recording" in head
    if source in SCHEMA_WRITTEN:
        assert says_not
    else:
        assert not says_not
    if source in PARTLY_RECORDED:
        assert "not a recording" in text.lower()


def test_every_source_with_recordings_is_classified() -> None:
    folders = {p.name for p in RECORDINGS.iterdir() if (p / "PROVENANCE.md").exists()}
    assert folders == RECORDED | SCHEMA_WRITTEN | PARTLY_RECORDED
    assert folders <= set(REGISTRY)


def test_wording() -> None:
    assert describe("reddit") == "recorded API responses"
    assert describe("appstore") == "written from the documented schema"
    note = replay_note(["rss", "hackernews"])
    assert note == (
        "recorded API responses for hackernews; written from the documented schema for rss"
    )
