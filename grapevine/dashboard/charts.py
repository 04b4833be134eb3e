"""Altair charts with one palette, sized for a laptop screen.

Sentiment is always red (negative), grey (neutral), green (positive), in that order, on
every chart; the brand is always the first colour of the series palette and competitors
follow. Every builder takes a tidy DataFrame and returns a chart; none reads the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

__all__ = [
    "RECOMMENDATION_COLORS",
    "SENTIMENT_COLORS",
    "UNLABELLED_COLOR",
    "bars",
    "hotspot_scatter",
    "lines",
    "sentiment_area",
    "sentiment_scale",
]

SENTIMENT_COLORS = {"negative": "#d62728", "neutral": "#9e9e9e", "positive": "#2ca02c"}
SERIES_COLORS = ["#4c78a8", "#f58518", "#72b7b2", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac"]
RECOMMENDATION_COLORS = {"join": "#2ca02c", "already present": "#4c78a8", "watch": "#9e9e9e"}
#: Mentions the classifier has not judged yet: stacked on top, pale, so volume stays whole.
UNLABELLED_COLOR = "#e0e0e0"
HEIGHT = 260


def sentiment_scale() -> alt.Scale:
    return alt.Scale(domain=list(SENTIMENT_COLORS), range=list(SENTIMENT_COLORS.values()))


def sentiment_area(frame: pd.DataFrame, x: str = "period", y: str = "mentions") -> alt.Chart:
    """Mentions per period stacked by sentiment (columns ``x``, ``sentiment``, ``y``).

    ``sentiment`` may also be ``"unlabelled"`` (drawn last, pale), so the stack adds up to
    the volume.
    """
    colors = {**SENTIMENT_COLORS, "unlabelled": UNLABELLED_COLOR}
    order = {name: i for i, name in enumerate(colors)}
    data = frame.assign(_order=frame["sentiment"].map(order))
    chart: alt.Chart = (
        alt.Chart(data)
        .mark_area(opacity=0.85)
        .encode(
            x=alt.X(f"{x}:T", title=None),
            y=alt.Y(f"{y}:Q", title="Mentions", stack="zero"),
            color=alt.Color(
                "sentiment:N",
                scale=alt.Scale(domain=list(colors), range=list(colors.values())),
                title="Sentiment",
            ),
            order=alt.Order("_order:Q"),
            tooltip=[
                alt.Tooltip(f"{x}:T", title="Period"),
                "sentiment:N",
                alt.Tooltip(f"{y}:Q", title="Mentions"),
            ],
        )
        .properties(height=HEIGHT)
    )
    return chart


def lines(
    frame: pd.DataFrame,
    *,
    x: str = "period",
    y: str,
    series: str | None = None,
    y_title: str,
    y_format: str = ",.0f",
    series_order: Sequence[str] | None = None,
) -> alt.Chart:
    """One line per ``series`` (or a single line) over time, with points for sparse data."""
    color: Any
    tooltip: list[Any]
    if series is None:
        color = alt.value(SERIES_COLORS[0])
        tooltip = [
            alt.Tooltip(f"{x}:T", title="Period"),
            alt.Tooltip(f"{y}:Q", title=y_title, format=y_format),
        ]
    else:
        domain = list(series_order) if series_order else sorted(frame[series].unique())
        color = alt.Color(
            f"{series}:N",
            scale=alt.Scale(domain=domain, range=SERIES_COLORS[: max(len(domain), 1)]),
            title=None,
        )
        tooltip = [
            alt.Tooltip(f"{x}:T", title="Period"),
            f"{series}:N",
            alt.Tooltip(f"{y}:Q", title=y_title, format=y_format),
        ]
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{x}:T", title=None),
            y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=y_format)),
            color=color,
            tooltip=tooltip,
        )
        .properties(height=HEIGHT)
    )
    return chart


def bars(
    frame: pd.DataFrame,
    *,
    category: str,
    value: str,
    value_title: str,
    value_format: str = ",.0f",
    color_by_sentiment: bool = False,
    sort: bool = True,
) -> alt.Chart:
    """Horizontal bars, largest first (a mix, a ranking, or factor contributions)."""
    color: Any = (
        alt.Color(f"{category}:N", scale=sentiment_scale(), legend=None)
        if color_by_sentiment
        else alt.value(SERIES_COLORS[0])
    )
    rows = max(len(frame), 1)
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y(f"{category}:N", title=None, sort="-x" if sort else None),
            x=alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=value_format)),
            color=color,
            tooltip=[
                f"{category}:N",
                alt.Tooltip(f"{value}:Q", title=value_title, format=value_format),
            ],
        )
        .properties(height=min(max(36 * rows + 30, 120), 420))
    )
    return chart


def hotspot_scatter(
    frame: pd.DataFrame,
    *,
    x: str = "relevance",
    y: str = "nss",
    size: str = "mentions",
    label: str = "label",
    name: str = "community",
    color: str = "recommendation",
) -> alt.Chart:
    """Communities by relevance (x) against sentiment (y), sized by volume.

    ``label`` is the text drawn beside a point (empty for most, so labels stay legible);
    ``name`` is what the tooltip shows for every point.
    """
    domain = list(RECOMMENDATION_COLORS)
    base = alt.Chart(frame).encode(
        x=alt.X(f"{x}:Q", title="Relevance (normalised volume)"),
        y=alt.Y(f"{y}:Q", title="Net sentiment score", scale=alt.Scale(domain=[-100, 100])),
    )
    points = base.mark_circle(opacity=0.75).encode(
        size=alt.Size(
            f"{size}:Q",
            title="Mentions",
            scale=alt.Scale(range=[60, 1200]),
            legend=alt.Legend(orient="bottom"),
        ),
        color=alt.Color(
            f"{color}:N",
            scale=alt.Scale(domain=domain, range=list(RECOMMENDATION_COLORS.values())),
            title="Recommendation",
            legend=alt.Legend(orient="bottom"),
        ),
        tooltip=[
            f"{label}:N",
            f"{color}:N",
            alt.Tooltip(f"{size}:Q", title="Mentions"),
            alt.Tooltip(f"{x}:Q", format=".2f"),
            alt.Tooltip(f"{y}:Q", format=".0f"),
        ],
    )
    labels = base.mark_text(align="left", dx=8, fontSize=11).encode(text=f"{label}:N")
    chart: alt.Chart = (points + labels).properties(height=360)
    return chart
