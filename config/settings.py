"""Typed, validated configuration: brands, sources, store, schedules.

Precedence, highest first: CLI flags (passed to :func:`load_config` as ``overrides``),
``GRAPEVINE_*`` environment variables, then the TOML file. Secrets never live here: they
come from the environment or a ``.env`` file through :mod:`config.secrets`.

Every validation error names the file, the key and what was expected, because the person
reading it is editing that file.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from config.alerts import AlertsSettings
from config.app import AppSettings
from config.nlp import NlpSettings
from config.scoring import ScoringSettings
from config.values import ConfigError, parse_interval
from core.query import Query, QuerySyntaxError

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "Brand",
    "ConfigError",
    "Settings",
    "SourceSettings",
    "load_config",
    "parse_interval",
]

DEFAULT_CONFIG_PATH = Path("config/grapevine.toml")
_PACKAGED_CONFIG = Path(__file__).with_name("grapevine.toml")
_ENV_PREFIX = "GRAPEVINE_"
#: Keys whose wrong value may be a pasted secret: the error names the key, never the value.
_SECRETIVE = re.compile(r"channels|_env$|password|secret|token|key|url", re.IGNORECASE)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _parse_query(value: str | None) -> Query | None:
    if value is None or value.strip() == "":
        return None
    try:
        return Query.parse(value)
    except QuerySyntaxError as exc:
        raise ValueError(f"not a valid boolean query: {exc}") from None


class Brand(_Strict):
    """A brand (or competitor) to listen for."""

    name: str = Field(min_length=1)
    query: str = Field(min_length=1, description="boolean query naming the brand")
    exclude: list[str] = Field(default_factory=list, description="queries that disqualify a match")
    category_query: str | None = Field(
        default=None, description="what customers discuss without naming anyone"
    )
    competitors: list[str] = Field(default_factory=list)
    own_accounts: dict[str, list[str]] = Field(
        default_factory=dict, description="per source, the handles the brand posts from"
    )
    own_communities: list[str] = Field(
        default_factory=list, description="communities the brand runs, e.g. 'reddit:r/acme'"
    )
    languages: list[str] = Field(default_factory=list, description="ISO 639-1; empty = all")

    @field_validator("query")
    @classmethod
    def _query_parses(cls, value: str) -> str:
        parsed = _parse_query(value)
        if parsed is not None and not parsed.search_terms:
            raise ValueError(
                f"the query {value!r} has no positive term: sources need at least one word or "
                "phrase to search for (NOT alone matches everything else)"
            )
        return value

    @field_validator("category_query")
    @classmethod
    def _category_parses(cls, value: str | None) -> str | None:
        _parse_query(value)
        return value

    @field_validator("exclude")
    @classmethod
    def _exclusions_parse(cls, value: list[str]) -> list[str]:
        for item in value:
            _parse_query(item)
        return value

    @property
    def parsed_query(self) -> Query:
        q = _parse_query(self.query)
        assert q is not None
        return q

    @property
    def parsed_category(self) -> Query | None:
        return _parse_query(self.category_query)

    @property
    def parsed_exclusions(self) -> list[Query]:
        return [q for q in map(_parse_query, self.exclude) if q is not None]

    def is_own_account(self, source: str, author: str | None) -> bool:
        if author is None:
            return False
        handles = {h.casefold().lstrip("@") for h in self.own_accounts.get(source, [])}
        return author.casefold().lstrip("@") in handles


class SourceSettings(BaseModel):
    """Settings every source shares; source-specific keys are kept and checked by the
    collector's own ``Options`` model (see :mod:`collectors`)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    enabled: bool = True
    every: timedelta = Field(default=timedelta(minutes=30), description="how often to collect")
    base_url: str | None = Field(default=None, description="override for proxies and self-hosting")
    max_pages: int = Field(default=10, ge=1, le=1000, description="pages per brand per run")

    @field_validator("every", mode="before")
    @classmethod
    def _interval(cls, value: Any) -> Any:
        return parse_interval(value) if isinstance(value, str | int | float) else value

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class StoreSettings(_Strict):
    database_url: str = "sqlite:///data/grapevine.db"
    retention_days: int | None = Field(
        default=None,
        ge=1,
        description="mentions older than this many days are deleted by a daily job; "
        "unset keeps everything (docs/privacy.md)",
    )


class CollectSettings(_Strict):
    replay: Literal["auto", "always", "never"] = Field(
        default="auto", description="auto: replay bundled recordings when offline"
    )
    user_agent: str = (
        "grapevine-monitor/0.1 (social listening; +https://pypi.org/project/grapevine-monitor)"
    )
    timeout_seconds: float = Field(
        default=20.0, gt=0, description="longest silence while connecting or reading"
    )
    connect_timeout_seconds: float = Field(default=10.0, gt=0)
    request_deadline_seconds: float = Field(
        default=30.0, gt=0, description="connect + headers + whole body, per attempt"
    )
    max_response_mb: float = Field(
        default=10.0, gt=0, description="a larger response body fails the run, unread"
    )
    max_raw_kb: float = Field(
        default=64.0, gt=0, description="the stored raw payload of a mention is cut beyond this"
    )
    max_retries: int = Field(default=4, ge=0, le=10)
    max_wait_seconds: float = Field(
        default=900.0, ge=0, description="longest rate-limit wait before giving up the run"
    )


class Settings(_Strict):
    """The whole configuration, as validated from the file, environment and flags."""

    path: Path | None = None
    store: StoreSettings = Field(default_factory=StoreSettings)
    collect: CollectSettings = Field(default_factory=CollectSettings)
    brands: list[Brand] = Field(
        min_length=1, description="at least one brand: without one there is nothing to listen for"
    )
    competitors: list[Brand] = Field(default_factory=list)
    sources: dict[str, SourceSettings] = Field(default_factory=dict)
    nlp: NlpSettings = Field(default_factory=NlpSettings)
    scoring: ScoringSettings = Field(default_factory=ScoringSettings)
    alerts: AlertsSettings = Field(default_factory=AlertsSettings)
    app: AppSettings = Field(default_factory=AppSettings)

    @model_validator(mode="after")
    def _names_resolve(self) -> Settings:
        names = [b.name for b in self.tracked]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"brand and competitor names must be unique; repeated: {dupes}")
        for brand in self.brands:
            unknown = [c for c in brand.competitors if c not in names]
            if unknown:
                raise ValueError(
                    f"brand {brand.name!r} lists competitors {unknown} that are not defined "
                    "under [[competitors]] or [[brands]]"
                )
        unknown_rules = sorted({rule.brand for rule in self.alerts.rules} - set(names))
        if unknown_rules:
            raise ValueError(
                f"alerts.rules name brands {unknown_rules} that are not configured; "
                f"known: {sorted(names)}"
            )
        return self

    @property
    def tracked(self) -> list[Brand]:
        """Brands and competitors: everything the collectors search for."""
        return [*self.brands, *self.competitors]

    def brand(self, name: str) -> Brand:
        for b in self.tracked:
            if b.name.casefold() == name.casefold():
                return b
        raise ConfigError(
            f"no brand or competitor named {name!r}; known: {[b.name for b in self.tracked]}"
        )

    def enabled_sources(self) -> dict[str, SourceSettings]:
        return {name: s for name, s in self.sources.items() if s.enabled}


def _env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """``GRAPEVINE_SECTION__KEY=value`` sets ``[section] key``; ``GRAPEVINE_DATABASE_URL``
    and ``GRAPEVINE_REPLAY`` are the two everyday shortcuts.

    A value that starts with ``[`` or ``{`` is JSON: a list or a table
    (``GRAPEVINE_SOURCES__RSS__FEEDS='["https://example.com/feed.xml"]'``); anything else is
    the plain string, which the settings model converts (numbers, booleans, intervals)."""
    out: dict[str, Any] = {}
    shortcuts = {"DATABASE_URL": ("store", "database_url"), "REPLAY": ("collect", "replay")}
    for key, value in environ.items():
        if not key.startswith(_ENV_PREFIX):
            continue
        name = key[len(_ENV_PREFIX) :]
        if name in shortcuts:
            path: tuple[str, ...] = shortcuts[name]
        elif "__" in name:
            path = tuple(part.lower() for part in name.split("__"))
        else:
            continue
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = _env_value(key, value)
    return out


def _env_value(variable: str, value: str) -> Any:
    """The value of one override: JSON for a list or a table, else the string itself."""
    if not value.lstrip().startswith(("[", "{")):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{variable}: a value starting with '[' or '{{' is read as JSON (a list or a "
            f"table), and this one is not valid JSON: {exc.msg} at character {exc.pos + 1}"
        ) from None


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _format_errors(path: Path | None, exc: ValidationError, raw: Mapping[str, Any]) -> str:
    where = str(path) if path else "configuration"
    lines = [f"{where}: {exc.error_count()} problem(s) in the configuration:"]
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if loc == ("brands",) and err["type"] in {"missing", "too_short"}:
            msg = "no brand to listen for: add a [[brands]] section with a `name` and a `query`"
        got = err.get("input")
        secretive = any(_SECRETIVE.search(str(part)) for part in loc)
        shown = (
            "" if isinstance(got, dict | list) or got is None or secretive else f" (got {got!r})"
        )
        lines.append(f"  {where}: {_describe(loc)}: {msg}{shown}")
    return "\n".join(lines)


def load_config(
    path: Path | str | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read, merge and validate the configuration; raise :class:`ConfigError` on any problem."""
    env = os.environ if environ is None else environ
    if path is None:
        path = env.get("GRAPEVINE_CONFIG") or (
            DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.exists() else _PACKAGED_CONFIG
        )
    path = Path(path)
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text: {exc}") from None
    merged = _merge(_merge(raw, _env_overrides(env)), overrides or {})
    merged["path"] = path
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_format_errors(path, exc, merged)) from None
