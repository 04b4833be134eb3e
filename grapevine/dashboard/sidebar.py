"""The sidebar every page shares: brand, period, sources, languages.

It also decides whether there is anything to show at all. A missing or broken
configuration, a store that was never created, or a configuration without brands each
get a sentence saying what to do, instead of a traceback or a blank chart.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import streamlit as st

from config import ConfigError, Settings, load_config, redact
from config.app import AppSettings
from grapevine.dashboard import auth, cached, links
from grapevine.dashboard.filters import Filters, default_period
from grapevine.demo.marker import DataOrigin, data_origin
from grapevine.demo.provenance import replay_note
from storage import database_url_for_display

__all__ = ["Context", "current_context", "render_sidebar", "require_filters", "store_origin"]

_CONTEXT_KEY = "grapevine_context"

_PERIODS: dict[str, int | None] = {
    "Last 7 days": 7,
    "Last 30 days": 30,
    "Last 90 days": 90,
    "Last 365 days": 365,
    "Custom": None,
}


@dataclasses.dataclass(frozen=True)
class Context:
    """What a page needs: the configuration, where the store is, and the sidebar's choice.

    ``filters`` is None when nothing can be filtered yet (no brands configured); pages that
    need a brand call :func:`require_filters`, the Sources page does not.
    """

    settings: Settings
    app: AppSettings
    url: str
    filters: Filters | None

    @property
    def display_url(self) -> str:
        """The database URL with its password masked: the only form the app ever shows."""
        return database_url_for_display(self.url)


def _period_choice(default_days: int) -> str:
    for label, days in _PERIODS.items():
        if days == default_days:
            return label
    return "Custom"


def _period(url: str, brand: str, default_days: int) -> tuple[date, date]:
    today = datetime.now(UTC).date()
    newest = cached.newest_mention_day(url, brand)
    labels = list(_PERIODS)
    choice = st.sidebar.selectbox(
        "Period",
        labels,
        index=labels.index(_period_choice(default_days)),
        key="period",
        help="Periods end on the day of the brand's newest mention (normally today).",
    )
    days = _PERIODS[choice] or default_days
    first, last = default_period(newest, today, days)
    if _PERIODS[choice] is None:
        picked = st.sidebar.date_input("From – to", value=(first, last), key="custom_period")
        chosen = [d for d in (picked if isinstance(picked, tuple) else (picked,)) if d]
        if chosen:  # while a range is being picked, only its first day is set
            first, last = chosen[0], chosen[-1]
    return first, last


def render_sidebar() -> Context:
    """Draw the sidebar and return the page context; stops the script with an explanation
    when the configuration or the store cannot be used yet."""
    try:
        settings = load_config()
        app = settings.app
    except ConfigError as exc:
        st.error("Grapevine cannot read its configuration.")
        st.code(redact(str(exc)), language=None)
        st.info(
            "Fix the file named above (or point GRAPEVINE_CONFIG at another one) and "
            "reload the page."
        )
        st.stop()
    url = settings.store.database_url
    if not cached.store_ready(url):
        st.info(
            f"The store at `{database_url_for_display(url)}` has no data yet. Run "
            "`grapevine init` and then `grapevine collect` (or `grapevine run` to keep "
            "collecting), or `grapevine demo` for a demo store, then reload this page."
        )
        st.stop()
    st.sidebar.caption(f"Store: `{database_url_for_display(url)}`")
    auth.render_account(st.sidebar)  # who is signed in, and the logout button
    _origin_banner(url)
    if not settings.brands and not settings.competitors:
        return _remember(Context(settings, app, url, None))
    names = [b.name for b in settings.tracked]
    links.read_sidebar(_PERIODS, names, sorted(settings.sources))  # ?brand=…&period=… in
    brand = st.sidebar.selectbox(
        "Brand",
        names,
        key="brand",
        help="Brands first, then competitors (configured in config/grapevine.toml).",
    )
    first, last = _period(url, brand, app.default_period_days)
    sources = st.sidebar.multiselect(
        "Sources",
        sorted(settings.sources),
        key="sources",
        placeholder="All sources",
        help="Leave empty for every source.",
    )
    scope = Filters(brand, first, last, tuple(sources))
    chosen = [x for x in st.session_state.get("languages", []) if isinstance(x, str)]
    options = cached.languages(url, scope)
    languages = st.sidebar.multiselect(
        "Languages",
        options + [x for x in chosen if x not in options],  # a choice never vanishes
        key="languages",
        placeholder="All languages",
        help="Languages of the brand's mentions in the period. Leave empty for all.",
    )
    filters = Filters(brand, first, last, tuple(sources), tuple(languages))
    links.write_sidebar(_PERIODS)  # and back out, so the address reproduces the view
    return _remember(Context(settings, app, url, filters))


@st.cache_data(ttl=timedelta(seconds=60), show_spinner=False)
def store_origin(url: str) -> DataOrigin | None:
    """Whether the store holds the demo or replayed recordings (None: live data)."""
    with cached.engine(url).connect() as conn:
        return data_origin(conn)


def _origin_banner(url: str) -> None:
    """On every page while it is true: the figures come from the demo or from replayed
    files, not from live collection (and which files are recorded responses)."""
    origin = store_origin(url)
    if origin is None:
        return
    files = replay_note(origin.replayed)
    if origin.kind == "demo":
        built = f" (built {origin.built_at:%d %b %Y %H:%M} UTC)" if origin.built_at else ""
        st.warning(
            f"**Demo data**{built}: a generated month of mentions for the configured brands, "
            "written for the demo and labelled by the shipped classifier"
            + (f", plus the bundled replay files ({files})" if files else "")
            + ". Live collection (`grapevine collect` online) replaces this banner.",
            icon=":material/science:",
        )
    elif origin.kind == "replay":
        st.warning(
            f"**Replayed recordings**: nothing has been collected live yet. These mentions "
            f"come from the bundled replay files ({files}). Online, `grapevine collect` "
            "gathers live mentions.",
            icon=":material/replay:",
        )
    else:
        st.info(
            f"Replayed, their APIs being unreachable: {', '.join(origin.replayed)} ({files}).",
            icon=":material/replay:",
        )


def _remember(ctx: Context) -> Context:
    st.session_state[_CONTEXT_KEY] = ctx
    return ctx


def current_context() -> Context:
    """The context the entry point drew this rerun, for a page script to render with.

    ``app.py`` draws the sidebar before it runs the page, so the context is always set by
    then; a page file run on its own (``streamlit run grapevine/dashboard/pages/x.py``)
    draws the sidebar itself.
    """
    auth.gate()  # a page script run on its own is guarded like the app
    ctx = st.session_state.get(_CONTEXT_KEY)
    return ctx if isinstance(ctx, Context) else render_sidebar()


def require_filters(ctx: Context) -> Filters:
    """The sidebar's filters, or an explanation (and a stop) when no brand is configured."""
    if ctx.filters is None:
        where = ctx.settings.path or "config/grapevine.toml"
        st.info(
            f"No brands are configured. Add a `[[brands]]` section with a `name` and a "
            f"`query` to `{where}`, run `grapevine collect`, and reload this page."
        )
        st.stop()
    return ctx.filters
