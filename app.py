"""Grapevine's dashboard: ``streamlit run app.py``.

Layout only. The sidebar (brand, period, sources, languages) and each page live in
:mod:`grapevine.dashboard`; every figure comes from :mod:`scoring`; the app never writes
to the store, runs a collector or loads a model.
"""

from __future__ import annotations

import streamlit as st

from grapevine.dashboard.sidebar import render_sidebar

st.set_page_config(page_title="Grapevine", page_icon=":material/forum:", layout="wide")

_PAGES = "grapevine/dashboard/pages"

page = st.navigation(
    [
        st.Page(
            f"{_PAGES}/overview.py",
            title="Overview",
            url_path="overview",
            icon=":material/monitoring:",
            default=True,
        ),
        st.Page(
            f"{_PAGES}/word_of_mouth.py",
            title="Word of mouth",
            url_path="word-of-mouth",
            icon=":material/forum:",
        ),
        st.Page(
            f"{_PAGES}/complaints.py",
            title="Complaints",
            url_path="complaints",
            icon=":material/report:",
        ),
        st.Page(
            f"{_PAGES}/communities.py",
            title="Communities",
            url_path="communities",
            icon=":material/groups:",
        ),
        st.Page(
            f"{_PAGES}/mentions.py", title="Mentions", url_path="mentions", icon=":material/search:"
        ),
        st.Page(
            f"{_PAGES}/sources.py",
            title="Sources",
            url_path="sources",
            icon=":material/monitor_heart:",
        ),
        st.Page(
            f"{_PAGES}/alerts.py",
            title="Alerts",
            url_path="alerts",
            icon=":material/notifications:",
        ),
    ]
)
render_sidebar()
page.run()
