"""Small page parts used on several pages: KPI tiles and explained empty states."""

from __future__ import annotations

import re
from typing import Any, Literal

import streamlit as st

import scoring
from grapevine.dashboard.format import number, signed

__all__ = ["empty_period", "kpi", "plain"]

#: Every ASCII punctuation mark: CommonMark lets any of them be backslash-escaped, and
#: between them they start every Markdown construct, Streamlit's ``:red[…]``, ``:icon:``
#: and ``$maths$`` directives, autolinks (``www.`` and ``http://``) and raw HTML.
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def plain(text: object) -> str:
    """``text`` for a Markdown sink (``st.caption``, ``st.markdown``, labels) that shows
    it exactly as written: someone else's words — an author, a community, a topic's
    terms — never become an image, a link or a heading. Line breaks become spaces."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", " ".join(str(text).split()))


def kpi(
    where: Any,
    label: str,
    comparison: scoring.Comparison,
    *,
    digits: int = 0,
    suffix: str = "",
    help: str | None = None,
    lower_is_better: bool = False,
) -> None:
    """A tile with the figure this period and its change against the previous one.

    The change's unit comes from scoring (``%`` for counts, ``pts`` for scores and rates).
    An undefined figure shows "—" rather than 0 or NaN.
    """
    unit = " pts" if comparison.unit == "pts" else " %"
    delta = signed(comparison.change, 0 if comparison.unit == "%" else 1, unit)
    previous = number(comparison.previous, digits, suffix)
    colour: Literal["normal", "inverse", "off"] = "inverse" if lower_is_better else "normal"
    where.metric(
        label,
        number(comparison.current, digits, suffix),
        delta=delta,
        delta_color=colour,
        help=(help + "\n\n" if help else "") + f"Previous period: {previous}",
    )


def empty_period(what: str) -> None:
    """Say why a page has nothing to show, and what would give it something."""
    st.info(
        f"No {what} for this brand in the selected period. Widen the period or clear the "
        "source and language filters in the sidebar. If the brand has no mentions at all, "
        "check its `query` in the configuration and run `grapevine collect`; if mentions "
        "have no labels yet, run the classifier (`grapevine classify`)."
    )
