"""Small values every section of the configuration uses: the error type and intervals."""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["ConfigError", "parse_interval"]

_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)\s*$")
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


class ConfigError(ValueError):
    """The configuration cannot be used; the message lists every problem found."""


def parse_interval(value: str | int | float) -> timedelta:
    """``"90s"``, ``"15m"``, ``"2h"``, ``"1d"`` or a number of seconds."""
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        m = _INTERVAL.match(value)
        if m is None:
            raise ValueError(
                f"expected an interval such as '90s', '15m', '2h' or '1d', got {value!r}"
            )
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    if seconds <= 0:
        raise ValueError("an interval must be positive")
    return timedelta(seconds=seconds)
