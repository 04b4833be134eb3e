"""Views as links: the page's filters in the URL's query string, read in and written back.

A link reproduces a view: ``/mentions?brand=Waymo&period=30d&sources=reddit&status=new``
opens the Mentions page on Waymo's last 30 days of Reddit mentions nobody has triaged, and
an alert links to ``/mentions?brand=…&from=…&to=…&ids=…`` — the mentions that fired it.

How it works: before the widgets are drawn, a parameter whose value differs from what this
session last wrote into the URL (someone opened a link, or edited the address) is copied
into the widget's ``st.session_state`` key; after they are drawn, the widgets' values are
written back. Unknown values (a brand that is not configured, a bad date) are ignored.

The parameters (all optional): ``brand``; ``period`` (``7d``, ``30d``, ``90d``, ``365d``)
or ``from`` and ``to`` (``YYYY-MM-DD``, inclusive); ``sources`` and ``languages``
(comma-separated); and each page's own, declared with :class:`Param`.
:func:`grapevine.alerts.links.mentions_link` builds such links outside the app.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import streamlit as st

__all__ = [
    "Param",
    "csv_param",
    "read_params",
    "read_sidebar",
    "write_params",
    "write_sidebar",
]

_WRITTEN = "_links_written"


@dataclasses.dataclass(frozen=True)
class Param:
    """One query parameter bound to a widget's session-state key."""

    name: str
    key: str
    parse: Callable[[str], Any]  # the URL's text to the widget's value (None: ignore it)
    dump: Callable[[Any], str]  # the widget's value to text ("" drops the parameter)


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def csv_param(name: str, key: str, allowed: Sequence[str] | None = None) -> Param:
    """A multiselect as a comma-separated list (values outside ``allowed`` are dropped)."""

    def parse(text: str) -> list[str] | None:
        values = _split(text)
        if allowed is not None:
            by_fold = {a.casefold(): a for a in allowed}
            values = [by_fold[v.casefold()] for v in values if v.casefold() in by_fold]
        return values

    return Param(name, key, parse, lambda v: ",".join(str(x) for x in v or []))


def _written() -> dict[str, str]:
    held = st.session_state.get(_WRITTEN)
    if not isinstance(held, dict):
        held = {}
        st.session_state[_WRITTEN] = held
    return held


def read_params(params: Sequence[Param]) -> None:
    """Copy parameters that changed in the URL into the widgets' state (call before the
    widgets are drawn)."""
    written = _written()
    for p in params:
        text = st.query_params.get(p.name)
        if text is None or written.get(p.name) == text:
            continue
        try:
            value = p.parse(text)
        except (ValueError, TypeError):
            value = None
        if value is not None:
            st.session_state[p.key] = value
        written[p.name] = text


def write_params(params: Sequence[Param]) -> None:
    """Write the widgets' values into the URL (call after they are drawn)."""
    written = _written()
    for p in params:
        if p.key not in st.session_state:
            continue
        text = p.dump(st.session_state[p.key])
        if text:
            if st.query_params.get(p.name) != text:
                st.query_params[p.name] = text
        elif p.name in st.query_params:
            del st.query_params[p.name]
        written[p.name] = text


def _day(text: str) -> date:
    return date.fromisoformat(text.strip()[:10])


def _period_params(periods: Mapping[str, int | None]) -> list[Param]:
    by_days = {f"{d}d": label for label, d in periods.items() if d is not None}

    def dump_period(label: Any) -> str:
        days = periods.get(str(label))
        return f"{days}d" if days is not None else ""

    return [Param("period", "period", lambda t: by_days.get(t.strip().lower()), dump_period)]


def read_sidebar(
    periods: Mapping[str, int | None], brands: Sequence[str], sources: Sequence[str]
) -> None:
    """The sidebar's parameters into its widgets' state (``brand`` case-insensitively;
    a brand or source that is not configured is ignored)."""
    by_fold = {b.casefold(): b for b in brands}
    read_params(
        [
            Param("brand", "brand", lambda t: by_fold.get(t.strip().casefold()), str),
            *_period_params(periods),
            csv_param("sources", "sources", sources),
            csv_param("languages", "languages"),
        ]
    )
    _read_range(periods)


def _read_range(periods: Mapping[str, int | None]) -> None:
    """``from``/``to`` pick the custom period (a link to an alert's exact days)."""
    custom = next((label for label, d in periods.items() if d is None), None)
    first, last = st.query_params.get("from"), st.query_params.get("to")
    if custom is None or not first:
        return
    text = f"{first}..{last or first}"
    written = _written()
    if written.get("range") == text:
        return
    written["range"] = text
    try:
        start, end = _day(first), _day(last or first)
    except ValueError:
        return
    if end < start:
        start, end = end, start
    st.session_state["period"] = custom
    st.session_state["custom_period"] = (start, end)


def write_sidebar(periods: Mapping[str, int | None]) -> None:
    """The sidebar's widgets into the URL."""
    write_params(
        [
            Param("brand", "brand", str, lambda v: str(v or "")),
            *_period_params(periods),
            csv_param("sources", "sources"),
            csv_param("languages", "languages"),
        ]
    )
    written = _written()
    label = st.session_state.get("period")
    chosen = st.session_state.get("custom_period")
    if periods.get(str(label), 0) is None and isinstance(chosen, tuple) and chosen:
        first, last = chosen[0], chosen[-1]
        st.query_params["from"] = first.isoformat()
        st.query_params["to"] = last.isoformat()
        written["range"] = f"{first.isoformat()}..{last.isoformat()}"
    else:
        for name in ("from", "to"):
            if name in st.query_params:
                del st.query_params[name]
        written.pop("range", None)
