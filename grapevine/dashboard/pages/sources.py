"""Sources: is every collector still collecting, and if not, why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import streamlit as st

from grapevine.dashboard import cached, queries
from grapevine.dashboard.format import ago, span
from grapevine.dashboard.sidebar import Context, current_context, store_origin
from grapevine.demo.provenance import describe
from grapevine.freshness import format_lag, freshness

__all__ = ["render"]

_STATUS_MARK = {
    "ok": "ok",
    "degraded": "degraded",
    "failed": "FAILED",
    "interrupted": "interrupted",
    "running": "running",
    "never run": "never run",
}


@st.cache_data(ttl=timedelta(seconds=30), show_spinner=False)
def _freshness(url: str, now: datetime) -> pd.DataFrame:
    """Per source and brand: newest mention stored, lag and backfill progress (the same
    function as ``grapevine status``); cached for seconds, like the runs above it."""
    return pd.DataFrame(
        [
            {
                "Source": f.source,
                "Brand": f.brand,
                "Newest stored": f.newest,
                "Lag": format_lag(f.lag),
                "History": f.backfill,
            }
            for f in freshness(cached.store(url), now)
        ],
        columns=["Source", "Brand", "Newest stored", "Lag", "History"],
    )


def render(ctx: Context) -> None:
    st.header("Sources")
    st.caption(
        "Health of each collector, from its runs. Every figure on this page is read from "
        f"the `runs` table of `{ctx.display_url}`, for every brand: this page ignores the "
        "sidebar's brand, period, source and language filters."
    )
    origin = store_origin(ctx.url)
    replayed = set(origin.replayed) if origin is not None else set()
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    schedule = tuple(
        (name, queries.SourceSchedule(enabled=s.enabled, every=s.every))
        for name, s in sorted(ctx.settings.sources.items())
    )
    health = cached.source_health(ctx.url, schedule, now)
    if not health:
        st.info(
            "No sources are configured and none has run. Add a `[sources.hackernews]` "
            'section (with `enabled = true` and `every = "30m"`) to '
            f"`{ctx.settings.path or 'config/grapevine.toml'}` and run `grapevine collect`."
        )
        return
    ran = [h for h in health if h.last_run is not None]
    cols = st.columns(4)
    cols[0].metric("Sources", len(health))
    cols[1].metric("New mentions (24 h)", f"{sum(h.new_last_day for h in health):,}")
    cols[2].metric("Rate-limit waits (24 h)", sum(h.rate_limit_waits_last_day for h in health))
    cols[3].metric("Failing now", sum(1 for h in ran if h.status in ("failed", "interrupted")))
    table = pd.DataFrame(
        [
            {
                "Source": h.source,
                "Status": _STATUS_MARK.get(h.status, h.status),
                "Ran": ago(h.last_run, now),
                "Next run": h.next_run,
                "Data": f"replayed: {describe(h.source)}" if h.source in replayed else "live",
                "New (last run)": h.new_last_run,
                "New (24 h)": h.new_last_day,
                "Rate-limit waits (last run)": h.rate_limit_waits_last_run,
                "Waited (24 h)": span(h.waited_seconds_last_day),
                "Last error": h.last_error or "—",
                "Every": span(h.every.total_seconds()) if h.every else "—",
                "Enabled": h.enabled,
                "Stored mentions": h.stored_mentions,
                "Last run": h.last_run,
                "Rate-limit waits (24 h)": h.rate_limit_waits_last_day,
            }
            for h in health
        ]
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "Last run": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm [UTC]"),
            "Next run": st.column_config.DatetimeColumn(format="MMM D, HH:mm [UTC]"),
            "Data": st.column_config.TextColumn(
                width="medium",
                help="Replayed sources read the bundled files: recorded API responses, or "
                "bodies written from the API's documented schema (each source's "
                "PROVENANCE.md says which).",
            ),
            "New (last run)": st.column_config.NumberColumn(format="localized"),
            "New (24 h)": st.column_config.NumberColumn(format="localized"),
            "Stored mentions": st.column_config.NumberColumn(format="localized"),
            "Last error": st.column_config.TextColumn(width="medium"),
            "Rate-limit waits (last run)": st.column_config.NumberColumn("Waits (last run)"),
            "Rate-limit waits (24 h)": st.column_config.NumberColumn("Waits (24 h)"),
        },
    )
    for h in health:
        if not h.enabled:
            continue
        if h.last_run is None:
            st.warning(f"{h.source} has never run: start `grapevine run` (the scheduler).")
        elif h.every is not None and h.next_run is not None and now > h.next_run + h.every:
            st.warning(
                f"{h.source} is overdue: its next run was due {ago(h.next_run, now)}. "
                "Is `grapevine run` (the scheduler) running?"
            )
    st.subheader("Freshness")
    st.caption(
        "Each run first asks every search term for what is new since the newest mention "
        "stored, then spends the rest of its pages on history (docs/sources.md). Lag is now "
        "minus the newest mention stored for the source and brand."
    )
    fresh = _freshness(ctx.url, now)
    if fresh.empty:
        st.info("Nothing stored yet: run `grapevine collect`.")
    else:
        st.dataframe(
            fresh,
            hide_index=True,
            width="stretch",
            column_config={
                "Newest stored": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm [UTC]"),
                "History": st.column_config.TextColumn(
                    width="medium",
                    help="History complete to a date, or how far back the backfill has reached; "
                    "— for sources that only read forward.",
                ),
            },
        )
    errors = [h for h in health if h.last_error]
    if errors:
        st.subheader("Last errors")
        for h in errors:
            when = ago(h.last_error_at, now)
            with st.expander(f"{h.source} — {when}"):
                st.text(h.last_error)


if __name__ == "__main__":
    render(current_context())
