"""Small page parts used on several pages: KPI tiles and explained empty states."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Literal

import streamlit as st

import scoring
from grapevine.dashboard import cached
from grapevine.dashboard.format import number, signed
from scoring.communities import community_names, display_name

__all__ = ["SMALL_SAMPLE", "community_namer", "empty_period", "kpi", "plain"]

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
    sample: int | None = None,
    sample_of: str = "mentions",
) -> None:
    """A tile with the figure this period and its change against the previous one.

    The change's unit comes from scoring (``%`` for counts, ``pts`` for scores and rates).
    An undefined figure shows "—" rather than 0 or NaN. ``sample``: how many mentions the
    figure rests on; below :data:`SMALL_SAMPLE` the tile says so ("from 2 mentions"), so
    that −100 from two mentions is not read as a verdict.
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
    if sample is not None and comparison.current is not None and sample < SMALL_SAMPLE:
        where.caption(f"{label} from {sample:,} {sample_of}: a small sample.")


#: Below this many mentions a rate or score gets a sample-size caveat.
SMALL_SAMPLE = 30


@st.cache_data(ttl=timedelta(minutes=5), show_spinner=False)
def community_labels(url: str, sources_key: str) -> dict[str, str]:
    """Display names of the store's communities (see :mod:`scoring.communities`);
    ``sources_key`` is the sources' options as JSON, so the cache follows the config."""
    with cached.engine(url).connect() as conn:
        return community_names(conn, json.loads(sources_key))


def community_namer(ctx: Any) -> Callable[[str | None], str]:
    """``name(community_id)`` for the page's context: the name people use for it."""
    options = {name: dict(s.options) for name, s in ctx.settings.sources.items()}
    names = community_labels(ctx.url, json.dumps(options, sort_keys=True, default=str))
    return lambda community: display_name(community, names)


def empty_period(what: str) -> None:
    """Say why a page has nothing to show, and what would give it something."""
    st.info(
        f"No {what} for this brand in the selected period. Widen the period or clear the "
        "source and language filters in the sidebar. If the brand has no mentions at all, "
        "check its `query` in the configuration and run `grapevine collect`; if mentions "
        "have no labels yet, label them (`grapevine label`)."
    )
