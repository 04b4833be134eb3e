"""Collectors: one module per source, each knowing its API and nothing else.

Importing this package registers every built-in source in :data:`REGISTRY`
(name -> collector class). The engine (:mod:`grapevine.engine`) runs them.
"""

from collectors import hackernews as _hackernews  # noqa: F401  (registers the source)
from collectors.base import REGISTRY, Collector, Route, Search, register
from collectors.errors import (
    CollectorError,
    ConfigurationError,
    FatalError,
    MalformedPayload,
    QuotaExhausted,
    RateLimited,
    RetriableError,
    SkippableRecord,
)
from collectors.http import HttpSession, RateLimitPolicy, RetryPolicy

__all__ = [
    "REGISTRY",
    "Collector",
    "CollectorError",
    "ConfigurationError",
    "FatalError",
    "HttpSession",
    "MalformedPayload",
    "QuotaExhausted",
    "RateLimitPolicy",
    "RateLimited",
    "RetriableError",
    "RetryPolicy",
    "Route",
    "Search",
    "SkippableRecord",
    "register",
]
