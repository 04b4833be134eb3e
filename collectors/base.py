"""The collector interface (DESIGN.md §1) and the registry of sources.

A collector is mostly declarative: its ``name``, its API's ``default_base_url``, whether
its pages come oldest-first (``is_sorted``: the engine may then commit the cursor with
every page) and an ``Options`` model for its own config keys. It overrides one method,
:meth:`Collector.collect`, which maps API payloads to :class:`~core.mention.Mention`
records and says where to resume. It never touches the store, never sleeps on its own
clock and never decides what "now" is: all of that comes in through the session.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from collectors.errors import ConfigurationError
from collectors.http import HttpSession
from collectors.replay import Route, replay_transport
from core.mention import Cursor, Page

__all__ = ["REGISTRY", "Collector", "NoOptions", "Route", "Search", "register"]


@dataclasses.dataclass(frozen=True, slots=True)
class Search:
    """What one job looks for: the brand query's positive terms (plus its category terms).

    Sources over-match with these; the engine re-checks every mention against the full
    boolean query before storing it.
    """

    terms: Sequence[str]
    languages: Sequence[str] = ()
    #: Pages this run may request (the source's ``max_pages``); None = no limit. Sources
    #: that plan their own paging (``plans_pages``) share it between fresh and history.
    page_budget: int | None = None


class NoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Collector(abc.ABC):
    """Base class of every source."""

    name: ClassVar[str]
    default_base_url: ClassVar[str]
    is_sorted: ClassVar[bool] = False
    #: True when :meth:`collect` spends ``Search.page_budget`` itself (fresh pages of every
    #: term first, then history); otherwise the engine stops after ``max_pages`` pages.
    plans_pages: ClassVar[bool] = False
    terms_of_use: ClassVar[str] = ""
    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, options: BaseModel | None = None) -> None:
        self.options = options if options is not None else self.Options()

    @classmethod
    def from_config(cls, options: dict[str, Any]) -> Collector:
        """Build the collector, validating its own config keys."""
        try:
            return cls(cls.Options.model_validate(options))
        except ValidationError as exc:
            problems = "; ".join(
                f"sources.{cls.name}.{'.'.join(map(str, e['loc']))}: {e['msg']}"
                for e in exc.errors(include_url=False)
            )
            raise ConfigurationError(problems) from None

    @abc.abstractmethod
    def collect(self, http: HttpSession, search: Search, cursor: Cursor | None) -> Iterator[Page]:
        """Yield pages of mentions, each with the cursor to resume after it."""

    @classmethod
    def replay_routes(cls) -> Sequence[Route]:
        """The bundled recordings that stand in for the API when offline."""
        return ()

    @classmethod
    def replay_transport(cls, base_url: str) -> httpx.BaseTransport:
        """The transport that replays this source offline: its :meth:`replay_routes` by
        default; sources whose recordings are whole cassettes (Reddit, Mastodon, Bluesky)
        serve those instead, headers and all."""
        return replay_transport(cls.name, base_url, cls.replay_routes())


REGISTRY: dict[str, type[Collector]] = {}

C = TypeVar("C", bound=type[Collector])


def register(cls: C) -> C:
    """Class decorator: make a collector available under its ``name``."""
    if cls.name in REGISTRY and REGISTRY[cls.name] is not cls:
        raise ValueError(f"two collectors named {cls.name!r}")
    REGISTRY[cls.name] = cls
    return cls
