"""Small, pure formatting helpers shared by the pages (tested without Streamlit)."""

from __future__ import annotations

from datetime import datetime

__all__ = ["ago", "number", "signed", "span", "stamp"]


def span(seconds: float) -> str:
    """A duration as people say it: ``45 s``, ``12 min``, ``3.5 h``, ``2 d``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def ago(when: datetime | None, now: datetime) -> str:
    """``12 min ago`` / ``in 3 min`` / ``never``."""
    if when is None:
        return "never"
    delta = (now - when).total_seconds()
    return f"{span(delta)} ago" if delta >= 0 else f"in {span(-delta)}"


def signed(value: float | None, digits: int = 0, suffix: str = "") -> str | None:
    """A change with its sign (``+12``, ``-3.5 pts``) for KPI deltas; None when undefined.

    The ASCII minus is deliberate: ``st.metric`` colours a delta red when it starts with it.
    """
    if value is None:
        return None
    return f"{value:+.{digits}f}{suffix}"


def number(value: float | None, digits: int = 0, suffix: str = "") -> str:
    """A figure for a tile: thousands separated, "—" when undefined (DESIGN.md §3)."""
    if value is None:
        return "—"
    return f"{value:,.{digits}f}{suffix}"


def stamp(when: datetime | None, fmt: str = "%b %d, %H:%M UTC") -> str:
    """A time in a table cell, or "—" when there is none (never a raw ``None``)."""
    return "—" if when is None else when.strftime(fmt)
