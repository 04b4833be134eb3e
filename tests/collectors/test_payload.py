"""The raw-payload cap: a runaway record keeps its identifiers, not its megabytes."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx

from collectors.payload import TRUNCATED, cap_raw
from config import Settings
from grapevine.engine import Engine, Job
from storage import Store
from tests.foundation.helpers import FakeAlgolia, hn_hit


def test_a_small_payload_is_kept_whole() -> None:
    raw = {"objectID": "1", "comment_text": "short"}
    assert cap_raw(raw, 65_536) == (raw, False)


def test_a_huge_payload_keeps_small_fields_and_says_what_was_cut() -> None:
    raw = {"objectID": "1", "points": 3, "comment_text": "x" * 500_000, "blob": ["y" * 10] * 9000}
    capped, cut = cap_raw(raw, 65_536)
    assert cut
    assert len(json.dumps(capped)) <= 65_536
    assert (capped["objectID"], capped["points"]) == ("1", 3)
    assert capped[TRUNCATED]["original_bytes"] > 500_000
    assert capped[TRUNCATED]["dropped"] == ["blob"]
    assert capped[TRUNCATED]["cut"] == ["comment_text"]
    assert capped["comment_text"].startswith("xxx")


def test_the_engine_stores_a_capped_raw_payload_and_the_text_cap(
    store: Store, make_settings: Callable[..., Settings]
) -> None:
    huge = hn_hit(1, 1_700_000_001, "acme " * 400_000)  # a 2 MB comment
    algolia = FakeAlgolia([huge])
    engine = Engine(
        store,
        make_settings(),
        transports={"hackernews": httpx.MockTransport(algolia)},
        sleep=[].append,
    )
    assert engine.run_job(Job("hackernews", "Acme")).status == "ok"
    (row,) = store.iter_mentions()
    assert len(row["text"]) == 20_000
    assert len(json.dumps(row["raw"])) <= 64 * 1024
    assert row["raw"][TRUNCATED]["cut"] == ["comment_text"]
    assert row["raw"]["objectID"] == "1"
