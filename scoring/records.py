"""The typed results scoring hands to the app, the alerts and the export.

Every record is a frozen dataclass: hashable inputs (:class:`Period`, :class:`MentionFilters`)
so cached queries key on them, and immutable outputs so a figure cannot change between the
page that shows it and the alert that quotes it. An undefined figure is ``None`` (shown as
"—"), never NaN.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, get_args

__all__ = [
    "COMPLAINT_FILTERS",
    "NO_FILTERS",
    "ROLES",
    "Advocate",
    "Amplification",
    "AmplifiedMention",
    "BrandOverview",
    "ChannelSplit",
    "Comparison",
    "ComplaintBehaviour",
    "ComplaintFilter",
    "ComplaintTopic",
    "DepthMix",
    "Hotspot",
    "HotspotFactor",
    "LanguageShare",
    "MentionFilters",
    "MentionSelection",
    "Period",
    "QualityMix",
    "QueuedComplaint",
    "RatePoint",
    "SentimentPoint",
    "SourceEngagement",
    "VolumePoint",
    "WordOfMouth",
]


@dataclasses.dataclass(frozen=True, slots=True)
class Period:
    """A half-open window ``[start, end)`` in aware UTC.

    ``previous`` is the window of equal length right before it: every "versus last period"
    figure compares against it.
    """

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a period needs timezone-aware datetimes (UTC)")
        object.__setattr__(self, "start", self.start.astimezone(UTC))
        object.__setattr__(self, "end", self.end.astimezone(UTC))
        if self.end <= self.start:
            raise ValueError("a period must end after it starts")

    @classmethod
    def days(cls, first_day: date, last_day: date) -> Period:
        """Whole UTC days, both inclusive (what a date-range picker gives)."""
        start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
        end = datetime(last_day.year, last_day.month, last_day.day, tzinfo=UTC)
        return cls(start, end + timedelta(days=1))

    @classmethod
    def ending(cls, end: datetime, length: timedelta) -> Period:
        return cls(end - length, end)

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    @property
    def previous(self) -> Period:
        return Period(self.start - self.length, self.start)

    def __contains__(self, when: object) -> bool:
        return isinstance(when, datetime) and self.start <= when < self.end


#: "complaints": a label at or above the complaint threshold; "not complaints": a label below.
ComplaintFilter = Literal["any", "complaints", "not complaints"]
COMPLAINT_FILTERS: tuple[ComplaintFilter, ...] = get_args(ComplaintFilter)
#: The roles a mention can match a brand in (the ``matches`` table): its query, its category
#: query only, or one of its own accounts.
ROLES = ("brand", "category", "own")


@dataclasses.dataclass(frozen=True, slots=True)
class MentionFilters:
    """Which mentions count, beyond the brand, the period and the roles: empty means *all*.

    A mention's language is the classifier's (labels) where there is one, else the source's.
    Every word of ``text`` must appear in the title or the body (case-insensitive).
    ``sentiments``, ``qualities`` and ``complaint`` read the labels of the model version in
    use; a complaint is a label at or above ``[scoring] complaint_threshold``. The metric
    functions are given sources and languages (the sidebar's); the Mentions page, the export
    and the alerts narrow further with the rest. :class:`scoring.queries.BrandScope` turns
    them into SQL, the one place that does.
    """

    sources: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    communities: tuple[str, ...] = ()
    text: str = ""
    sentiments: tuple[str, ...] = ()
    qualities: tuple[str, ...] = ()
    complaint: ComplaintFilter = "any"

    def __post_init__(self) -> None:
        if self.complaint not in COMPLAINT_FILTERS:
            raise ValueError(
                f"complaint must be one of {', '.join(COMPLAINT_FILTERS)}, not {self.complaint!r}"
            )
        for name in ("sources", "languages", "communities", "sentiments", "qualities"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "text", " ".join(self.text.split()))

    @property
    def reads_labels(self) -> bool:
        """Whether a label filter is set (a mention without a label then never qualifies)."""
        return bool(self.sentiments or self.qualities or self.complaint != "any")


@dataclasses.dataclass(frozen=True, slots=True)
class MentionSelection:
    """ "Which mentions": the one filter object the Mentions page, the export and its command
    line share (``grapevine.export.export_arguments`` renders it as ``grapevine export``
    flags, which parse back into an equal object).

    A brand's mentions created in ``[since, until)`` (aware UTC; None: unbounded), matched in
    one of ``roles``, narrowed by ``filters``. ``model_version`` None means the newest labels
    in the store. ``complaint_threshold`` None means ``[scoring] complaint_threshold``; a
    number overrides it for this selection only. Deleted mentions are never selected.
    """

    brand: str
    since: datetime | None = None
    until: datetime | None = None
    roles: tuple[str, ...] = ("brand",)
    filters: MentionFilters = dataclasses.field(default_factory=MentionFilters)
    model_version: str | None = None
    complaint_threshold: float | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                if value.tzinfo is None:
                    raise ValueError(f"{name} must be timezone-aware")
                object.__setattr__(self, name, value.astimezone(UTC))
        if self.since and self.until and self.until <= self.since:
            raise ValueError("the period ends before it starts")
        roles = tuple(self.roles) or ("brand",)
        unknown = sorted(set(roles) - set(ROLES))
        if unknown:
            raise ValueError(f"unknown roles {unknown}; choose from {', '.join(ROLES)}")
        object.__setattr__(self, "roles", roles)
        threshold = self.complaint_threshold
        if threshold is not None and not 0.0 <= threshold <= 1.0:
            raise ValueError("the complaint threshold is a probability in [0, 1]")

    @property
    def period(self) -> Period | None:
        """The window as a :class:`Period`, or None when either end is open."""
        if self.since is None or self.until is None:
            return None
        return Period(self.since, self.until)

    def to_json(self) -> dict[str, Any]:
        """A flat JSON object (the export's datasheet records it); :meth:`from_json` reads it."""
        out: dict[str, Any] = {
            "brand": self.brand,
            "since": self.since.isoformat() if self.since is not None else None,
            "until": self.until.isoformat() if self.until is not None else None,
            "roles": list(self.roles),
        }
        for field in dataclasses.fields(MentionFilters):
            value = getattr(self.filters, field.name)
            out[field.name] = list(value) if isinstance(value, tuple) else value
        out["model_version"] = self.model_version
        out["complaint_threshold"] = self.complaint_threshold
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MentionSelection:
        def when(key: str) -> datetime | None:
            value = data.get(key)
            return None if value is None else datetime.fromisoformat(value)

        given: dict[str, Any] = {
            f.name: tuple(data[f.name]) if isinstance(data[f.name], list) else data[f.name]
            for f in dataclasses.fields(MentionFilters)
            if f.name in data
        }
        filters = MentionFilters(**given)
        threshold = data.get("complaint_threshold")
        return cls(
            brand=str(data["brand"]),
            since=when("since"),
            until=when("until"),
            roles=tuple(data.get("roles") or ("brand",)),
            filters=filters,
            model_version=data.get("model_version"),
            complaint_threshold=None if threshold is None else float(threshold),
        )


@dataclasses.dataclass(frozen=True, slots=True)
class Comparison:
    """A figure this period and last, and the change between them (None: undefined).

    For counts the change is relative, in percent (``unit='%'``); for scores that are
    already percentages or can be negative (NSS, rates) it is the difference in points
    (``unit='pts'``), since "NSS up 300 %" from 5 to 20 would mislead.
    """

    current: float | None
    previous: float | None
    change: float | None
    unit: str = "%"

    @classmethod
    def relative(cls, current: float | None, previous: float | None) -> Comparison:
        if current is None or previous is None or previous == 0:
            return cls(current, previous, None, "%")
        return cls(current, previous, (current - previous) / abs(previous) * 100.0, "%")

    @classmethod
    def points(cls, current: float | None, previous: float | None) -> Comparison:
        change = None if current is None or previous is None else current - previous
        return cls(current, previous, change, "pts")


@dataclasses.dataclass(frozen=True, slots=True)
class VolumePoint:
    """Mentions in one bucket (a UTC day, or an ISO week starting Monday)."""

    bucket: date
    count: int


@dataclasses.dataclass(frozen=True, slots=True)
class SentimentPoint:
    """One bucket's brand mentions split by sentiment label; the four add up to its volume.

    ``unlabelled`` counts mentions the classifier has not judged (under the model version
    read), so the split never silently disagrees with the volume chart beside it.
    """

    bucket: date
    negative: int
    neutral: int
    positive: int
    unlabelled: int

    @property
    def total(self) -> int:
        return self.negative + self.neutral + self.positive + self.unlabelled


@dataclasses.dataclass(frozen=True, slots=True)
class SourceEngagement:
    """Engagement on one source; never summed across sources (their counts differ in kind)."""

    source: str
    mentions: int
    engagement: int
    mean_engagement: float | None
    previous_mentions: int
    previous_engagement: int


@dataclasses.dataclass(frozen=True, slots=True)
class LanguageShare:
    language: str  # "und" where neither the classifier nor the source knows
    count: int
    share_pct: float
    previous_count: int


@dataclasses.dataclass(frozen=True, slots=True)
class BrandOverview:
    """The brand overview page: volume, NSS, share of voice, engagement, language mix."""

    brand: str
    period: Period
    model_version: str | None
    granularity: str
    volume: tuple[VolumePoint, ...]
    previous_volume: tuple[VolumePoint, ...]
    total: Comparison
    nss: Comparison
    share_of_voice: dict[str, float]  # brand and each competitor -> percent; {} if no mentions
    previous_share_of_voice: dict[str, float]
    mentions_by_brand: dict[str, int]
    engagement: tuple[SourceEngagement, ...]
    languages: tuple[LanguageShare, ...]
    sentiment: tuple[SentimentPoint, ...]  # per bucket of ``granularity``, zeros included


@dataclasses.dataclass(frozen=True, slots=True)
class Advocate:
    """An author with at least N positive (advocate) or negative (detractor) organic mentions."""

    author: str
    count: int  # polar mentions of the kind that qualifies them
    organic_mentions: int
    communities: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Amplification:
    """Engagement organic mentions received on one source, this period and last."""

    source: str
    mentions: int
    engagement: int
    mean_engagement: float | None
    previous_engagement: int
    change_pct: float | None


@dataclasses.dataclass(frozen=True, slots=True)
class AmplifiedMention:
    """An organic mention and the engagement it received (its own source's counts).

    Engagement is only comparable within a source, so the source travels with the figure.
    """

    mention_id: int
    source: str
    community: str | None
    author: str | None
    created_at: datetime
    title: str | None
    text: str
    url: str | None
    engagement: int


@dataclasses.dataclass(frozen=True, slots=True)
class WordOfMouth:
    """Peer-to-peer talk: organic volume and trend, WOM balance, advocates, amplification."""

    brand: str
    period: Period
    model_version: str | None
    organic: Comparison  # organic mention counts; change is the velocity
    velocity_pct: float | None
    daily: tuple[VolumePoint, ...]
    trend_per_day: float | None  # least-squares slope of daily organic volume
    balance: Comparison  # NSS over organic mentions
    advocates: tuple[Advocate, ...]
    detractors: tuple[Advocate, ...]
    advocate_count: int
    detractor_count: int
    amplification: tuple[Amplification, ...]
    top_amplified: tuple[AmplifiedMention, ...]  # most engaged first, ``[scoring] top_amplified``


@dataclasses.dataclass(frozen=True, slots=True)
class ChannelSplit:
    """Complaints made to the company versus to peers (DESIGN.md §3)."""

    to_company: int
    to_peers: int
    to_company_pct: float | None


@dataclasses.dataclass(frozen=True, slots=True)
class QueuedComplaint:
    """A complaint no own account has replied to, for the community manager's queue."""

    mention_id: int
    source: str
    community: str | None
    author: str | None
    created_at: datetime
    text: str
    url: str | None
    engagement: int
    complaint: float
    channel: str  # "company" or "peers"


@dataclasses.dataclass(frozen=True, slots=True)
class RatePoint:
    """Complaints, the rate's denominator and the rate in one bucket (None: no denominator)."""

    bucket: date
    complaints: int
    organic: int  # labelled organic mentions, or all of them (``complaint_rate_denominator``)
    rate_pct: float | None


@dataclasses.dataclass(frozen=True, slots=True)
class ComplaintBehaviour:
    brand: str
    period: Period
    model_version: str | None
    complaints: Comparison
    rate_pct: Comparison  # complaints / organic mentions x 100
    channel: ChannelSplit
    answered: int
    response_rate_pct: float | None
    median_first_reply_hours: float | None
    unanswered: tuple[QueuedComplaint, ...]
    unanswered_total: int
    granularity: str
    rate_series: tuple[RatePoint, ...]  # per bucket of ``granularity``, zeros included


@dataclasses.dataclass(frozen=True, slots=True)
class ComplaintTopic:
    """A cluster of complaint texts, named by its most distinctive terms (c-TF-IDF)."""

    topic_id: int
    terms: tuple[str, ...]
    size: int
    share_pct: float
    examples: tuple[int, ...]  # mention ids closest to the cluster centre


@dataclasses.dataclass(frozen=True, slots=True)
class QualityMix:
    """Counts per quality label for one community (or the brand as a whole: ``scope='*'``)."""

    scope: str
    counts: dict[str, int]
    shares_pct: dict[str, float]
    mean_score: float | None
    quality_weighted_engagement: float | None  # per community only (one source)


@dataclasses.dataclass(frozen=True, slots=True)
class DepthMix:
    """Mentions per Ghuneim engagement-depth level (low, medium, high, highest)."""

    counts: dict[str, int]
    shares_pct: dict[str, float]


@dataclasses.dataclass(frozen=True, slots=True)
class HotspotFactor:
    """One factor of a community's hotspot score: raw value, normalised [0, 1], weighted."""

    name: str
    value: float | None
    normalised: float | None
    contribution: float


@dataclasses.dataclass(frozen=True, slots=True)
class Hotspot:
    community: str
    score: float
    factors: tuple[HotspotFactor, ...]
    top_factors: tuple[str, ...]
    recommendation: str  # "join", "already present" or "watch"
    mentions: int
    brand_mentions: int
    competitor_mentions: int
    category_mentions: int


#: The default: every source, every language.
NO_FILTERS = MentionFilters()
