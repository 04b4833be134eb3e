"""The ``[scoring]`` section of ``config/grapevine.toml``, validated.

DESIGN.md §3 defines the metrics; where a definition leaves a choice open (what counts as a
complaint, how engagement is counted per source, how hotspot factors are weighted) the choice
lives here, so it is visible, documented in ``docs/metrics.md`` and changeable without code.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from config.values import ConfigError

__all__ = ["DepthLevel", "HotspotWeights", "ScoringSettings", "TopicSettings", "scoring_settings"]

DepthLevel = Literal["low", "medium", "high", "highest"]

#: Ghuneim's typology mapped onto mention kinds (DESIGN.md §3): writing a post, a question,
#: a review or an answer creates content (high); a comment is commenting (medium).
#: Nothing we collect is bookmarking (low) or community building (highest) by kind alone.
_DEFAULT_DEPTH: dict[str, DepthLevel] = {
    "post": "high",
    "question": "high",
    "review": "high",
    "answer": "high",
    "comment": "medium",
}

#: DESIGN.md §3 "Engagement": Reddit score + comments; HN points (score) + comments;
#: Stack Exchange score + answers + comments; reviews: helpful votes.
_DEFAULT_ENGAGEMENT: dict[str, list[str]] = {
    "*": ["score", "comments", "answers", "helpful_votes"],
}
_ENGAGEMENT_FIELDS = {"score", "comments", "answers", "helpful_votes", "rating"}
_FACTORS = ("relevance", "growth", "depth", "quality", "nss", "opportunity", "presence")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HotspotWeights(_Strict):
    """Weight of each normalised factor in the hotspot score (any real number).

    ``presence`` is negative by default: a community where the brand already posts is less
    of a place *to join* (DESIGN.md: where the brand is absent is exactly a hotspot).
    """

    relevance: float = 1.0
    growth: float = 0.5
    depth: float = 0.5
    quality: float = 0.5
    nss: float = 0.25
    opportunity: float = 1.0
    presence: float = -0.5

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in _FACTORS}


class TopicSettings(_Strict):
    """How complaint texts are clustered into topics and how topics are named."""

    max_texts: int = Field(
        default=2000, ge=10, description="most-engaged complaints embedded per call (CPU cost)"
    )
    max_topics: int = Field(default=8, ge=1, le=50)
    min_topic_size: int = Field(default=3, ge=1, description="k <= n_texts / min_topic_size")
    top_terms: int = Field(default=5, ge=1, le=20)
    stop_words: Literal["english", "none"] = "english"
    batch_size: int = Field(default=64, ge=1)
    seed: int = 0


class ScoringSettings(_Strict):
    """Every open choice in the metric definitions; the defaults are what docs/metrics.md shows."""

    complaint_threshold: float = Field(
        default=0.5, ge=0.0, le=1.0, description="complaint probability at or above = complaint"
    )
    complaint_rate_denominator: Literal["labelled", "all"] = Field(
        default="labelled",
        description="organic mentions with a label (default) or all organic mentions",
    )
    advocate_min_mentions: int = Field(default=2, ge=1)
    top_authors: int = Field(default=20, ge=1)
    top_amplified: int = Field(
        default=10, ge=1, le=500, description="most engaged organic mentions listed (WOM)"
    )
    queue_size: int = Field(default=50, ge=1)
    engagement: dict[str, list[str]] = Field(default_factory=lambda: dict(_DEFAULT_ENGAGEMENT))
    depth_levels: dict[str, DepthLevel] = Field(default_factory=lambda: dict(_DEFAULT_DEPTH))
    hotspot_weights: HotspotWeights = Field(default_factory=HotspotWeights)
    hotspot_normalisation: Literal["minmax", "rank"] = "minmax"
    hotspot_log_scale: list[str] = Field(
        default_factory=lambda: ["relevance", "opportunity", "presence"],
        description="count-like factors compressed with log1p before normalising",
    )
    hotspot_min_mentions: int = Field(default=3, ge=1)
    hotspot_growth_smoothing: float = Field(default=1.0, ge=0.0)
    hotspot_join_score: float = Field(default=0.35, description="score at or above: join")
    hotspot_top_factors: int = Field(default=3, ge=1, le=7)
    topics: TopicSettings = Field(default_factory=TopicSettings)

    @field_validator("engagement")
    @classmethod
    def _known_fields(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for source, fields in value.items():
            unknown = sorted(set(fields) - _ENGAGEMENT_FIELDS)
            if unknown:
                raise ValueError(
                    f"engagement.{source}: unknown fields {unknown}; "
                    f"choose from {sorted(_ENGAGEMENT_FIELDS)}"
                )
        if "*" not in value:
            value = {**value, "*": list(_DEFAULT_ENGAGEMENT["*"])}
        return value

    @field_validator("hotspot_log_scale")
    @classmethod
    def _known_factors(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(_FACTORS))
        if unknown:
            raise ValueError(f"unknown hotspot factors {unknown}; choose from {list(_FACTORS)}")
        return value

    def engagement_fields(self, source: str) -> list[str]:
        """The interaction counts that make up a mention's engagement on ``source``."""
        return self.engagement.get(source, self.engagement["*"])

    def depth_level(self, kind: str) -> DepthLevel:
        return self.depth_levels.get(kind, "medium")


def scoring_settings(base: ScoringSettings | None = None, **raw: Any) -> ScoringSettings:
    """``base`` (e.g. ``settings.scoring``; else the defaults) with ``raw`` keys on top, validated — for
    callers and tests that vary one choice. Raises :class:`ConfigError` naming the key."""
    data: dict[str, Any] = base.model_dump() if base is not None else {}
    data.update(raw)
    try:
        return ScoringSettings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"scoring.{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors(include_url=False)
        )
        raise ConfigError(f"configuration: {problems}") from None
