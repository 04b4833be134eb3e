"""Scoring: the figures users decide with, computed one way for the app, alerts and export.

DESIGN.md §3 has the definitions; ``docs/metrics.md`` has each formula, its edge cases and a
worked example. Two layers:

- **Pure formulas** (:mod:`scoring.metrics`): numbers in, a number out; ``None`` where a
  figure is undefined (shown "—"), never NaN::

      net_sentiment_score(positive: int, negative: int) -> float | None      # [-100, 100]
      share_of_voice(counts: Mapping[str, int]) -> dict[str, float]          # sums to 100
      complaint_rate(complaints: int, organic: int) -> float | None          # percent
      percent_change(current, previous) -> float | None                      # velocity
      linear_trend(values) -> float | None; median(values) -> float | None
      engagement(counts, fields) -> int; growth(current, previous, smoothing) -> float
      normalise(values, method, log_scale=) -> list[float | None]
      hotspot_score(normalised, weights) -> (score, contributions)
      recommendation(score, present, join_score) -> "join" | "already present" | "watch"
      complaint_channel(community, own_communities, addressed, replies_to_own) -> str
      first_replies(complaints, replies) -> dict[key, datetime]

- **Store queries** (aggregations run in the database with SQLAlchemy Core, SQLite and
  PostgreSQL alike) returning frozen records from :mod:`scoring.records`. Every one takes
  ``(bind, settings, brand, period, *, filters=MentionFilters(), model_version=None,
  scoring=None)`` where ``bind`` is an ``Engine`` or ``Connection``, ``settings`` the
  :class:`config.Settings` (brands, competitors, own accounts, ``[scoring]``), ``period`` a
  half-open aware-UTC :class:`Period` (the previous period of equal length is compared
  automatically), ``model_version=None`` means the newest model version in ``labels``, and
  ``scoring`` overrides the ``[scoring]`` section. Deleted mentions never count::

      brand_overview(...,  granularity="day"|"week") -> BrandOverview  # + sentiment/bucket
      word_of_mouth(...) -> WordOfMouth                                 # + top_amplified
      complaint_behaviour(..., granularity="week"|"day") -> ComplaintBehaviour  # + rate_series
      complaint_topics(..., embed=None) -> tuple[ComplaintTopic, ...]   # loads MiniLM offline
      quality_mix(..., by_community=True) -> tuple[QualityMix, ...]     # scope '*' = brand
      engagement_depth(...) -> DepthMix
      community_hotspots(..., limit=None) -> tuple[Hotspot, ...]        # best first
      resolve_model_version(conn, model_version) -> str | None

- **Which mentions** (:mod:`scoring.queries`): one builder for every face. A
  :class:`MentionSelection` (brand, ``since``/``until``, roles, :class:`MentionFilters`,
  model version, complaint-threshold override) is what the Mentions page shows, what
  ``grapevine export`` writes and what its flags spell; :class:`BrandScope` turns it (or a
  metric's brand, period and filters) into SQL, per match (``.select``) or per mention
  (``.mentions``); the complaint threshold is ``[scoring] complaint_threshold`` unless the
  selection overrides it::

      selection_scope(conn, selection, scoring) -> BrandScope
      BrandScope.of(selection, model_version, scoring).mentions(*columns) -> Select
"""

from __future__ import annotations

from config.scoring import HotspotWeights, ScoringSettings, TopicSettings, scoring_settings
from scoring.complaints import complaint_behaviour, complaint_channel, first_replies
from scoring.hotspots import community_hotspots
from scoring.metrics import (
    complaint_rate,
    engagement,
    growth,
    hotspot_score,
    linear_trend,
    median,
    net_sentiment_score,
    normalise,
    percent_change,
    ratio,
    recommendation,
    share_of_voice,
    shares,
)
from scoring.overview import brand_overview
from scoring.quality import engagement_depth, quality_mix
from scoring.queries import BrandScope, resolve_model_version, selection_scope
from scoring.records import (
    COMPLAINT_FILTERS,
    NO_FILTERS,
    ROLES,
    Advocate,
    Amplification,
    AmplifiedMention,
    BrandOverview,
    ChannelSplit,
    Comparison,
    ComplaintBehaviour,
    ComplaintFilter,
    ComplaintTopic,
    DepthMix,
    Hotspot,
    HotspotFactor,
    LanguageShare,
    MentionFilters,
    MentionSelection,
    Period,
    QualityMix,
    QueuedComplaint,
    RatePoint,
    SentimentPoint,
    SourceEngagement,
    VolumePoint,
    WordOfMouth,
)
from scoring.topics import c_tf_idf_terms, complaint_topics, name_topics
from scoring.wom import word_of_mouth

__all__ = [
    "COMPLAINT_FILTERS",
    "NO_FILTERS",
    "ROLES",
    "Advocate",
    "Amplification",
    "AmplifiedMention",
    "BrandOverview",
    "BrandScope",
    "ChannelSplit",
    "Comparison",
    "ComplaintBehaviour",
    "ComplaintFilter",
    "ComplaintTopic",
    "DepthMix",
    "Hotspot",
    "HotspotFactor",
    "HotspotWeights",
    "LanguageShare",
    "MentionFilters",
    "MentionSelection",
    "Period",
    "QualityMix",
    "QueuedComplaint",
    "RatePoint",
    "ScoringSettings",
    "SentimentPoint",
    "SourceEngagement",
    "TopicSettings",
    "VolumePoint",
    "WordOfMouth",
    "brand_overview",
    "c_tf_idf_terms",
    "community_hotspots",
    "complaint_behaviour",
    "complaint_channel",
    "complaint_rate",
    "complaint_topics",
    "engagement",
    "engagement_depth",
    "first_replies",
    "growth",
    "hotspot_score",
    "linear_trend",
    "median",
    "name_topics",
    "net_sentiment_score",
    "normalise",
    "percent_change",
    "quality_mix",
    "ratio",
    "recommendation",
    "resolve_model_version",
    "scoring_settings",
    "selection_scope",
    "share_of_voice",
    "shares",
    "word_of_mouth",
]
