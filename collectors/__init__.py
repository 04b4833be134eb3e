"""Collectors: one module per source, each knowing its API and nothing else.

Importing this package registers every built-in source in :data:`REGISTRY`
(name -> collector class). The engine (:mod:`grapevine.engine`) runs them.
"""

# Importing a source module registers it (``@register``).
from collectors import appstore as _appstore  # noqa: F401
from collectors import bluesky as _bluesky  # noqa: F401
from collectors import discourse as _discourse  # noqa: F401
from collectors import googleplay as _googleplay  # noqa: F401
from collectors import hackernews as _hackernews  # noqa: F401
from collectors import mastodon as _mastodon  # noqa: F401
from collectors import reddit as _reddit  # noqa: F401
from collectors import rss as _rss  # noqa: F401
from collectors import stackexchange as _stackexchange  # noqa: F401
from collectors.base import REGISTRY, Collector, Route, Search, register
from collectors.errors import (
    CollectorError,
    ConfigurationError,
    FatalError,
    MalformedPayload,
    QuotaExhausted,
    RateLimited,
    ResponseTooLarge,
    RetriableError,
    SkippableRecord,
    Stopped,
)
from collectors.http import HttpSession, Limits, RateLimitPolicy, RetryPolicy

__all__ = [
    "REGISTRY",
    "Collector",
    "CollectorError",
    "ConfigurationError",
    "FatalError",
    "HttpSession",
    "Limits",
    "MalformedPayload",
    "QuotaExhausted",
    "RateLimitPolicy",
    "RateLimited",
    "ResponseTooLarge",
    "RetriableError",
    "RetryPolicy",
    "Route",
    "Search",
    "SkippableRecord",
    "Stopped",
    "register",
]
