"""Altair charts with one palette, sized for a laptop screen.

Sentiment is always red (negative), grey (neutral), green (positive), in that order, on
every chart; the brand is always the first colour of the series palette and competitors
follow. Every builder takes a tidy DataFrame and returns a chart; none reads the store.
"""

from __future__ import annotations

import math
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
    "spaced_labels",
    "time_axis",
    "time_unit",
]

SENTIMENT_COLORS = {"negative": "#d62728", "neutral": "#9e9e9e", "positive": "#2ca02c"}
SERIES_COLORS = ["#4c78a8", "#f58518", "#72b7b2", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac"]
RECOMMENDATION_COLORS = {"join": "#2ca02c", "already present": "#4c78a8", "watch": "#9e9e9e"}
#: Mentions the classifier has not judged yet: stacked on top, pale, so volume stays whole.
UNLABELLED_COLOR = "#e0e0e0"
HEIGHT = 260


def sentiment_scale() -> alt.Scale:
    return alt.Scale(domain=list(SENTIMENT_COLORS), range=list(SENTIMENT_COLORS.values()))


def time_unit(frame: pd.DataFrame, x: str = "period", unit: str | None = None) -> str:
    """The bucket a time chart draws: ``week`` for a weekly series or one spanning more
    than ~4 months (daily bars would be slivers), else ``day``."""
    if unit is not None:
        return unit
    if frame.empty:
        return "day"
    stamps = pd.to_datetime(frame[x])
    return "week" if (stamps.max() - stamps.min()).days > 120 else "day"


def time_axis(frame: pd.DataFrame, x: str = "period", unit: str = "day") -> alt.X:
    """A date axis whose ticks fall on the buckets (never "12 PM" between two days) and
    whose labels cannot crowd: at most about eight, on whole days, weeks or months."""
    days = 1
    if not frame.empty:
        stamps = pd.to_datetime(frame[x])
        days = max(1, (stamps.max() - stamps.min()).days + 1)
    if days > 240:
        ticks: dict[str, Any] = {"interval": "month", "step": max(1, math.ceil(days / 30 / 8))}
        fmt = "%b %Y"
    elif unit == "week" or days > 56:
        ticks = {"interval": "week", "step": max(1, math.ceil(days / 7 / 8))}
        fmt = "%d %b"
    else:
        ticks = {"interval": "day", "step": max(1, math.ceil(days / 8))}
        fmt = "%d %b"
    return alt.X(
        f"{x}:T",
        title=None,
        axis=alt.Axis(
            format=fmt, tickCount=ticks, labelOverlap="greedy", labelFlush=True, grid=False
        ),
    )


def _count_axis(title: str) -> alt.Axis:
    """Counts are whole numbers: no "0 1 1 2 2" ticks."""
    return alt.Axis(title=title, format=",d", tickMinStep=1)


def sentiment_area(
    frame: pd.DataFrame, x: str = "period", y: str = "mentions", unit: str | None = None
) -> alt.Chart:
    """Mentions per day (or week) as bars stacked by sentiment (columns ``x``,
    ``sentiment``, ``y``).

    ``sentiment`` may also be ``"unlabelled"`` (drawn last, pale), so the stack adds up to
    the volume. Bars rather than an area: a few days of data stay visible as bars instead
    of a sliver, and a long period is drawn per week so no bar is thinner than a few pixels.
    """
    colors = {**SENTIMENT_COLORS, "unlabelled": UNLABELLED_COLOR}
    order = {name: i for i, name in enumerate(colors)}
    bucket = time_unit(frame, x, unit)
    data = frame.assign(_order=frame["sentiment"].map(order))
    if bucket == "week" and not data.empty:
        data = data.assign(**{x: pd.to_datetime(data[x]).dt.to_period("W-SUN").dt.start_time})
        data = data.groupby([x, "sentiment", "_order"], as_index=False).agg(**{y: (y, "sum")})
    present = set(data["sentiment"])
    shown = [name for name in colors if name in present] or list(SENTIMENT_COLORS)
    title = "Week of" if bucket == "week" else "Day"
    # Each bar spans its bucket (a day or a week), less a small gap: never a sliver.
    span = pd.Timedelta(days=7 if bucket == "week" else 1) * 0.9
    data = data.assign(**{x: pd.to_datetime(data[x])})
    data = data.assign(_end=data[x] + span)
    chart: alt.Chart = (
        alt.Chart(data)
        .mark_bar(opacity=0.9, orient="vertical")
        .encode(
            x=time_axis(data, x, bucket),
            x2="_end:T",
            y=alt.Y(f"{y}:Q", stack="zero", axis=_count_axis("Mentions")),
            color=alt.Color(
                "sentiment:N",
                scale=alt.Scale(domain=shown, range=[colors[name] for name in shown]),
                title="Sentiment",
            ),
            order=alt.Order("_order:Q"),
            tooltip=[
                alt.Tooltip(f"{x}:T", title=title, format="%a %d %b %Y"),
                alt.Tooltip("sentiment:N", title="Sentiment"),
                alt.Tooltip(f"{y}:Q", title="Mentions", format=",d"),
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
    unit: str | None = None,
    counts: bool = False,
) -> alt.Chart:
    """One line per ``series`` (or a single line) over time, with points for sparse data.

    ``unit`` (``day`` or ``week``) is the series' bucket, so the axis ticks fall on it;
    ``counts`` makes the y axis whole numbers."""
    bucket = time_unit(frame, x, unit)
    period_title = "Week of" if bucket == "week" else "Day"
    color: Any
    tooltip: list[Any]
    if series is None:
        color = alt.value(SERIES_COLORS[0])
        tooltip = [
            alt.Tooltip(f"{x}:T", title=period_title, format="%a %d %b %Y"),
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
            alt.Tooltip(f"{x}:T", title=period_title, format="%a %d %b %Y"),
            f"{series}:N",
            alt.Tooltip(f"{y}:Q", title=y_title, format=y_format),
        ]
    chart: alt.Chart = (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=time_axis(frame, x, bucket),
            y=alt.Y(
                f"{y}:Q",
                axis=_count_axis(y_title) if counts else alt.Axis(title=y_title, format=y_format),
            ),
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
            y=alt.Y(
                f"{category}:N",
                title=None,
                sort="-x" if sort else None,
                axis=alt.Axis(labelLimit=220),
            ),
            x=alt.X(
                f"{value}:Q",
                axis=_count_axis(value_title)
                if value_format in (",.0f", ",d", "d")
                else alt.Axis(title=value_title, format=value_format),
            ),
            color=color,
            tooltip=[
                f"{category}:N",
                alt.Tooltip(f"{value}:Q", title=value_title, format=value_format),
            ],
        )
        .properties(height=min(max(36 * rows + 30, 120), 420))
    )
    return chart


def spaced_labels(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    label: str,
    min_dx: float = 0.22,
    min_dy: float = 22.0,
) -> list[str]:
    """The labels to draw, in the frame's order (its ranking): a label is kept only when
    no label kept before it sits within ``min_dx`` (relevance, 0–1) and ``min_dy`` (NSS
    points) — closer labels would overlap. The others stay in the tooltips."""
    kept: list[tuple[float, float]] = []
    out: list[str] = []
    for text, px, py in zip(frame[label], frame[x], frame[y], strict=True):
        if not text or any(abs(px - kx) < min_dx and abs(py - ky) < min_dy for kx, ky in kept):
            out.append("")
            continue
        kept.append((px, py))
        out.append(str(text))
    return out


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
    frame = frame.assign(**{label: spaced_labels(frame, x=x, y=y, label=label)})
    base = alt.Chart(frame).encode(
        x=alt.X(
            f"{x}:Q",
            title="Relevance (normalised volume)",
            scale=alt.Scale(domain=[-0.05, 1.05], nice=False),
            axis=alt.Axis(values=[0, 0.25, 0.5, 0.75, 1], format=".2f"),
        ),
        y=alt.Y(f"{y}:Q", title="Net sentiment score", scale=alt.Scale(domain=[-110, 110])),
    )
    points = base.mark_circle(opacity=0.75).encode(
        size=alt.Size(
            f"{size}:Q",
            title="Mentions",
            scale=alt.Scale(range=[60, 1200]),
            legend=alt.Legend(orient="bottom", format=",d"),
        ),
        color=alt.Color(
            f"{color}:N",
            scale=alt.Scale(domain=domain, range=list(RECOMMENDATION_COLORS.values())),
            title="Recommendation",
            legend=alt.Legend(orient="bottom"),
        ),
        tooltip=[
            alt.Tooltip(f"{name}:N", title="Community"),
            alt.Tooltip(f"{color}:N", title="Recommendation"),
            alt.Tooltip(f"{size}:Q", title="Mentions", format=",d"),
            alt.Tooltip(f"{x}:Q", title="Relevance", format=".2f"),
            alt.Tooltip(f"{y}:Q", title="Net sentiment score", format="+.0f"),
        ],
    )
    # Only the named points get a label; those on the right half are labelled to their
    # left, so no label runs off the chart. The rest are named in their tooltips.
    named = f"datum['{label}'] != ''"
    labels = alt.layer(
        base.transform_filter(f"{named} && datum['{x}'] <= 0.55").mark_text(
            align="left", dx=12, fontSize=11, limit=170
        ),
        base.transform_filter(f"{named} && datum['{x}'] > 0.55").mark_text(
            align="right", dx=-12, fontSize=11, limit=170
        ),
    ).encode(text=f"{label}:N")
    chart: alt.Chart = (points + labels).properties(height=360)
    return chart
