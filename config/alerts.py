"""The ``[alerts]`` section of ``config/grapevine.toml``, validated (DESIGN.md §4).

Rules are listed per brand under ``[[alerts.rules]]``; channels are named tables under
``[alerts.channels.NAME]``. Channel secrets (SMTP password, webhook URLs, HMAC key) are
never written in the file: a channel names the *environment variable* that holds each one,
and :func:`config.get_secret` reads it at delivery time. Names are checked to look like
environment variable names, so a pasted URL or password is refused before it is saved.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from config.values import parse_interval
from core.query import Query, QuerySyntaxError

__all__ = [
    "AlertsSettings",
    "AnyRule",
    "Channel",
    "ComplaintRule",
    "DigestSettings",
    "EmailChannel",
    "HotspotRule",
    "KeywordRule",
    "NegativeSwingRule",
    "ReportSettings",
    "Rule",
    "SlackChannel",
    "VolumeSpikeRule",
    "WebhookChannel",
]

_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def _env_name(value: str | None) -> str | None:
    if value is None:
        return None
    if not _ENV_NAME.match(value):
        raise ValueError(
            "expected the NAME of an environment variable (e.g. GRAPEVINE_SLACK_WEBHOOK_URL), "
            "not the secret itself"
        )
    return value


def _interval(value: Any) -> Any:
    return parse_interval(value) if isinstance(value, str | int | float) else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- channels ------------------------------------------------------------------------------


class _ChannelBase(_Strict):
    enabled: bool = True
    timeout_seconds: float = Field(default=10.0, gt=0, description="per delivery attempt")


class EmailChannel(_ChannelBase):
    """SMTP with STARTTLS; the password comes from the environment variable ``password_env``."""

    type: Literal["email"]
    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = Field(default=True, description="upgrade the connection before AUTH")
    username: str | None = None
    password_env: str | None = None
    sender: str = Field(min_length=3)
    to: list[str] = Field(min_length=1)

    @field_validator("password_env")
    @classmethod
    def _is_env_name(cls, value: str | None) -> str | None:
        return _env_name(value)

    @model_validator(mode="after")
    def _auth_pairs(self) -> EmailChannel:
        if (self.username is None) != (self.password_env is None):
            raise ValueError("username and password_env go together (both or neither)")
        if self.username is not None and not self.starttls:
            raise ValueError("AUTH without STARTTLS would send the password in clear text")
        return self


class SlackChannel(_ChannelBase):
    """A Slack incoming webhook; its URL is a secret, so only its variable name is here."""

    type: Literal["slack"]
    url_env: str

    @field_validator("url_env")
    @classmethod
    def _is_env_name(cls, value: str) -> str:
        return _env_name(value) or value


class WebhookChannel(_ChannelBase):
    """A generic JSON webhook signed with HMAC-SHA256 (see :mod:`grapevine.alerts.channels`)."""

    type: Literal["webhook"]
    url_env: str
    secret_env: str

    @field_validator("url_env", "secret_env")
    @classmethod
    def _is_env_name(cls, value: str) -> str:
        return _env_name(value) or value


Channel = Annotated[EmailChannel | SlackChannel | WebhookChannel, Field(discriminator="type")]


# --- rules ---------------------------------------------------------------------------------


class _RuleBase(_Strict):
    name: str | None = Field(
        default=None, description="distinguishes two rules of one kind for the same brand"
    )
    brand: str = Field(min_length=1)
    enabled: bool = True
    cooldown: timedelta = Field(default=timedelta(hours=24))
    channels: list[str] | None = Field(
        default=None, description="channel names; default: [alerts] default_channels"
    )

    @field_validator("cooldown", mode="before")
    @classmethod
    def _cooldown_interval(cls, value: Any) -> Any:
        return _interval(value)

    @property
    def rule_id(self) -> str:
        """What the ``alerts.rule`` column holds: the name, or the kind."""
        kind: str = getattr(self, "kind")  # noqa: B009 - every subclass defines it
        return self.name or kind


class VolumeSpikeRule(_RuleBase):
    """The last 24 h above the trailing 7-day mean by ``k`` standard deviations."""

    kind: Literal["volume_spike"]
    k: float = Field(default=3.0, gt=0)
    baseline_days: int = Field(default=7, ge=2, le=90)
    min_mentions: int = Field(default=10, ge=1, description="quieter days never spike")


class NegativeSwingRule(_RuleBase):
    """NSS falls, or the negative share rises, against the trailing baseline."""

    kind: Literal["negative_swing"]
    nss_drop: float | None = Field(default=25.0, gt=0, le=200, description="NSS points")
    negative_share_rise: float | None = Field(
        default=15.0, gt=0, le=100, description="percentage points"
    )
    baseline_days: int = Field(default=7, ge=1, le=90)
    min_polar: int = Field(default=10, ge=1, description="polar mentions needed in 24 h")
    model_version: str | None = Field(default=None, description="default: newest in labels")

    @model_validator(mode="after")
    def _something_to_watch(self) -> NegativeSwingRule:
        if self.nss_drop is None and self.negative_share_rise is None:
            raise ValueError("set nss_drop, negative_share_rise or both")
        return self


class ComplaintRule(_RuleBase):
    """A complaint with enough engagement that no own account has answered in time."""

    kind: Literal["unanswered_complaint"]
    cooldown: timedelta = Field(default=timedelta(hours=1))
    threshold: float | None = Field(
        default=None, ge=0, le=1, description="complaint probability; default: [scoring]"
    )
    min_engagement: int = Field(default=5, ge=0)
    answer_within: timedelta = Field(default=timedelta(hours=4))
    lookback: timedelta = Field(default=timedelta(days=3))
    model_version: str | None = None

    @field_validator("answer_within", "lookback", mode="before")
    @classmethod
    def _intervals_interval(cls, value: Any) -> Any:
        return _interval(value)


class KeywordRule(_RuleBase):
    """A boolean query (e.g. ``recall OR lawsuit OR outage``) matched a brand mention."""

    kind: Literal["keyword"]
    cooldown: timedelta = Field(default=timedelta(hours=1))
    query: str = Field(min_length=1)
    lookback: timedelta = Field(default=timedelta(hours=24))
    include_category: bool = Field(
        default=False, description="also category-only mentions, not just ones naming the brand"
    )

    @field_validator("lookback", mode="before")
    @classmethod
    def _lookback_interval(cls, value: Any) -> Any:
        return _interval(value)

    @field_validator("query")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            Query.parse(value)
        except QuerySyntaxError as exc:
            raise ValueError(f"not a valid boolean query: {exc}") from None
        return value

    @property
    def parsed_query(self) -> Query:
        return Query.parse(self.query)


class HotspotRule(_RuleBase):
    """A community enters the brand's top N hotspots (window against the previous one)."""

    kind: Literal["new_hotspot"]
    cooldown: timedelta = Field(default=timedelta(days=7))
    top_n: int = Field(default=5, ge=1, le=100)
    window: timedelta = Field(default=timedelta(days=7), description="hotspot scoring window")
    compare_to: timedelta = Field(
        default=timedelta(days=1), description="against the top N this long before now"
    )

    @field_validator("window", "compare_to", mode="before")
    @classmethod
    def _window_interval(cls, value: Any) -> Any:
        return _interval(value)


AnyRule = VolumeSpikeRule | NegativeSwingRule | ComplaintRule | KeywordRule | HotspotRule
Rule = Annotated[AnyRule, Field(discriminator="kind")]


# --- the section ---------------------------------------------------------------------------


class DigestSettings(_Strict):
    """A daily email: yesterday's alerts and each brand's figures."""

    enabled: bool = True
    channels: list[str] = Field(min_length=1, description="email channels to send it to")
    hour: int = Field(default=8, ge=0, le=23, description="UTC hour from which it is due")


class ReportSettings(_Strict):
    """``[alerts.report]``: a scheduled report per brand (``grapevine report`` on a timer),
    written as a self-contained HTML file and e-mailed to ``channels``."""

    enabled: bool = True
    every: timedelta = Field(default=timedelta(days=7), description="how often it is made")
    period: timedelta = Field(default=timedelta(days=7), description="the span it covers")
    brands: list[str] = Field(default_factory=list, description="default: every brand")
    channels: list[str] = Field(default_factory=list, description="email channels")
    out_dir: str | None = Field(default="reports", description="where the HTML files go")

    @field_validator("every", "period", mode="before")
    @classmethod
    def _intervals_interval(cls, value: Any) -> Any:
        return _interval(value)


class RetrySettings(_Strict):
    """Exponential backoff between attempts: base, 2·base, 4·base, … capped at ``max_delay``."""

    max_attempts: int = Field(default=5, ge=1, le=50)
    base_delay: timedelta = Field(default=timedelta(minutes=1))
    max_delay: timedelta = Field(default=timedelta(hours=1))
    lease: timedelta = Field(
        default=timedelta(minutes=5),
        description="a claimed delivery whose worker died is retried after this",
    )

    @field_validator("base_delay", "max_delay", "lease", mode="before")
    @classmethod
    def _intervals_interval(cls, value: Any) -> Any:
        return _interval(value)

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt."""
        factor: int = 2 ** max(attempts - 1, 0)
        delay: timedelta = min(self.base_delay * factor, self.max_delay)
        return delay


class AlertsSettings(_Strict):
    """Everything under ``[alerts]``."""

    enabled: bool = True
    every: timedelta = Field(default=timedelta(hours=1), description="rule check interval")
    deliver_every: timedelta = Field(
        default=timedelta(minutes=1), description="outbox delivery interval"
    )
    dashboard_url: str = Field(
        default="http://localhost:8501", description="the link in every message"
    )
    default_channels: list[str] = Field(default_factory=list)
    examples: int = Field(default=3, ge=0, le=10, description="example mentions per message")
    model_version: str | None = Field(
        default=None, description="labels to read; default: the newest model version in labels"
    )
    channels: dict[str, Channel] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    digest: DigestSettings | None = None
    report: ReportSettings | None = None
    retry: RetrySettings = Field(default_factory=RetrySettings)

    @field_validator("every", "deliver_every", mode="before")
    @classmethod
    def _intervals_interval(cls, value: Any) -> Any:
        return _interval(value)

    @model_validator(mode="after")
    def _names_resolve(self) -> AlertsSettings:
        known = set(self.channels)
        wanted = [("default_channels", self.default_channels)]
        wanted += [(f"rules[{i}].channels", r.channels or []) for i, r in enumerate(self.rules)]
        if self.digest is not None:
            wanted.append(("digest.channels", self.digest.channels))
            not_email = [
                c
                for c in self.digest.channels
                if c in self.channels and self.channels[c].type != "email"
            ]
            if not_email:
                raise ValueError(f"digest.channels must be email channels; not: {not_email}")
        if self.report is not None:  # the scheduled report (grapevine.workflow)
            wanted.append(("report.channels", self.report.channels))
        for where, names in wanted:
            unknown = [n for n in names if n not in known]
            if unknown:
                raise ValueError(
                    f"{where} names channels {unknown} that are not defined under "
                    f"[alerts.channels.NAME]; defined: {sorted(known)}"
                )
        ids = [(r.brand, r.rule_id) for r in self.rules]
        dupes = sorted({f"{b}/{r}" for b, r in ids if ids.count((b, r)) > 1})
        if dupes:
            raise ValueError(f"give rules of the same kind for one brand a distinct name: {dupes}")
        return self

    def channels_for(self, rule: AnyRule) -> list[str]:
        """The enabled channels a rule's alerts go to."""
        names = rule.channels if rule.channels is not None else self.default_channels
        return [n for n in names if self.channels[n].enabled]
