"""The [scoring] section: shipped defaults load, bad values are reported by key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from config import ConfigError, Settings, load_config
from scoring import ScoringSettings, scoring_settings

REPO = Path(__file__).resolve().parents[2]


def test_shipped_config_matches_the_defaults() -> None:
    shipped = load_config(REPO / "config" / "grapevine.toml", environ={}).scoring
    assert shipped == ScoringSettings()


def test_every_setting_is_documented() -> None:
    doc = (REPO / "docs" / "metrics.md").read_text(encoding="utf-8")
    for name in ScoringSettings.model_fields:
        assert f"`{name}`" in doc, f"docs/metrics.md does not mention `{name}`"


def test_bad_values_name_the_key(make_settings: Callable[..., Settings]) -> None:
    with pytest.raises(ConfigError, match=r"scoring\.complaint_threshold"):
        make_settings("\n[scoring]\ncomplaint_threshold = 2\n")
    with pytest.raises(ConfigError, match="unknown fields"):
        scoring_settings(engagement={"reddit": ["likes"]})
    with pytest.raises(ConfigError, match="unknown hotspot factors"):
        scoring_settings(hotspot_log_scale=["volume"])


def test_engagement_per_source() -> None:
    cfg = scoring_settings(engagement={"appstore": ["helpful_votes"]})
    assert cfg.engagement_fields("appstore") == ["helpful_votes"]
    assert cfg.engagement_fields("reddit") == ["score", "comments", "answers", "helpful_votes"]
