"""Alerts: what fired for the brand, and whether each channel got it (DESIGN.md §4).

A community manager who stops hearing from Grapevine must be able to tell "nothing
happened" from "the Slack webhook has been failing since Tuesday". This page shows the
newest alerts of the selected brand (and the daily digests, which cover every brand) with
each channel's delivery, failed ones first in red with their last error.

Nothing here can leak a secret: deliveries store a channel's *name*, never its URL or
password, and the error text was redacted when it was stored (and is again before it is
shown). Alert text quotes mentions, so it is shown as plain text, never as Markdown.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd
import streamlit as st

from config import redact
from grapevine.alerts import AlertRecord, DeliveryRecord
from grapevine.dashboard import cached
from grapevine.dashboard.format import ago, stamp
from grapevine.dashboard.sidebar import Context, current_context

__all__ = ["LIMIT", "figure_text", "render"]

#: How many alerts the page lists.
LIMIT = 50
#: The brand the daily digest is stored under (it covers every brand).
_DIGEST_BRAND = "*"
_STATUS_MARK = {"delivered": "delivered", "pending": "pending", "failed": "FAILED"}
_FAILED_STYLE = "background-color: rgba(255, 43, 43, 0.18); color: #b00020; font-weight: 600"


def figure_text(payload: dict[str, Any]) -> str:
    """The alert's key figure as one line (``Mentions, last 24 h: 41 (+3.2σ)``)."""
    figure = payload.get("figure")
    if not isinstance(figure, dict):
        return ""
    label, value = figure.get("label"), figure.get("value")
    if label and value is not None:
        return f"{label}: {value}"
    return str(value or label or "")


def _channels(deliveries: tuple[DeliveryRecord, ...]) -> str:
    if not deliveries:
        return "(no channels)"
    return " · ".join(f"{d.channel}: {_STATUS_MARK.get(d.status, d.status)}" for d in deliveries)


def _alert_rows(alerts: list[AlertRecord]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "#": a.id,
                "Fired": a.fired_at,
                "Brand": "all (digest)" if a.brand == _DIGEST_BRAND else a.brand,
                "Rule": a.rule,
                "Alert": str(a.payload.get("title") or ""),
                "Key figure": figure_text(a.payload),
                "Deliveries": _channels(a.deliveries),
                "Summary": str(a.payload.get("summary") or ""),
            }
            for a in alerts
        ]
    )


def _delivery_rows(alerts: list[AlertRecord]) -> pd.DataFrame:
    rows = [
        {
            "Alert #": a.id,
            "Rule": a.rule,
            "Channel": d.channel,
            "Status": _STATUS_MARK.get(d.status, d.status),
            "Attempts": d.attempts,
            "Next attempt": stamp(d.next_attempt_at if d.status == "pending" else None),
            "Delivered": stamp(d.delivered_at),
            "Last error": redact(d.last_error) if d.last_error and d.status != "delivered" else "—",
        }
        for a in alerts
        for d in a.deliveries
    ]
    order = {"FAILED": 0, "pending": 1}
    rows.sort(key=lambda r: order.get(str(r["Status"]), 2))  # stable: newest first within
    return pd.DataFrame(rows)


def _highlight_failed(row: pd.Series) -> list[str]:
    failed = row["Status"] == _STATUS_MARK["failed"]
    return [_FAILED_STYLE if failed else "" for _ in row]


def _empty_state(ctx: Context, brand: str | None) -> None:
    where = ctx.settings.path or "config/grapevine.toml"
    scope = f" for {brand}" if brand else ""
    st.info(
        f"No alerts have fired{scope} yet. Alerts are configured in the `[alerts]` section "
        f"of `{where}`: add a channel under `[alerts.channels.NAME]` (email, Slack or "
        "webhook; secrets stay in environment variables), rules per brand under "
        "`[[alerts.rules]]`, then check the channel with "
        "`grapevine alerts test --channel NAME` and the rules with `grapevine alerts check`. "
        "`grapevine run` (the scheduler) checks and delivers on its own from then on."
    )


def render(ctx: Context) -> None:
    st.header("Alerts")
    brand = ctx.filters.brand if ctx.filters is not None else None
    st.caption(
        "What the alert rules fired"
        + (f" for {brand} (and the daily digests)" if brand else "")
        + f", newest first, and how each channel's delivery went. Read from the `alerts` "
        f"tables of `{ctx.display_url}`; `grapevine alerts list` shows the same."
    )
    now = datetime.now(UTC)
    brands = (brand, _DIGEST_BRAND) if brand else None
    alerts = cached.alerts(ctx.url, brands, LIMIT)
    if not alerts:
        _empty_state(ctx, brand)
        return
    deliveries = [(a, d) for a in alerts for d in a.deliveries]
    failed = [(a, d) for a, d in deliveries if d.status == "failed"]
    retrying = [(a, d) for a, d in deliveries if d.status == "pending" and d.attempts > 0]
    cols = st.columns(4)
    cols[0].metric("Alerts", len(alerts))
    cols[1].metric("Last fired", ago(alerts[0].fired_at, now))
    cols[2].metric("Failed deliveries", len(failed))
    cols[3].metric("Retrying", len(retrying))

    if failed:
        st.subheader("Failed deliveries")
        for a, d in failed:
            tries = f"{d.attempts} attempt{'s' if d.attempts != 1 else ''}"
            st.error(
                f"Alert #{a.id} ({a.rule}, fired {ago(a.fired_at, now)}) was not delivered "
                f"to channel `{d.channel}` after {tries}. Check the channel with "
                f"`grapevine alerts test --channel {d.channel}`."
            )
            st.code(redact(d.last_error or "no error recorded"), language=None)
    for a, d in retrying:
        when = ago(d.next_attempt_at, now)
        st.warning(
            f"Alert #{a.id} ({a.rule}) to `{d.channel}` failed {d.attempts} time"
            f"{'s' if d.attempts != 1 else ''}; next attempt {when}."
        )

    st.subheader("Recent alerts")
    st.dataframe(
        _alert_rows(alerts),
        hide_index=True,
        width="stretch",
        column_config={
            "#": st.column_config.NumberColumn(width="small"),
            "Fired": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm [UTC]"),
            "Alert": st.column_config.TextColumn(width="medium"),
            "Summary": st.column_config.TextColumn(width="large"),
        },
    )
    st.subheader("Deliveries")
    table = _delivery_rows(alerts)
    if table.empty:
        st.info("These alerts had no channel to go to: set `channels` on the rules.")
        return
    st.dataframe(
        table.style.apply(_highlight_failed, axis=1),
        hide_index=True,
        width="stretch",
        column_config={
            "Last error": st.column_config.TextColumn(width="large"),
        },
    )


if __name__ == "__main__":
    render(current_context())
