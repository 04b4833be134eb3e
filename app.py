"""Grapevine's dashboard: ``streamlit run app.py``.

Layout only. Who may read it is decided first (:mod:`grapevine.dashboard.auth`: nothing
below runs for a visitor who has not logged in where a login is required); the sidebar
(brand, period, sources, languages) and each page live in :mod:`grapevine.dashboard`;
every figure comes from :mod:`scoring`; the app never writes to the store (beyond the
login rate limit), runs a collector or loads a model.
"""

from __future__ import annotations

import streamlit as st

from grapevine.dashboard import auth
from grapevine.dashboard.sidebar import render_sidebar

st.set_page_config(page_title="Grapevine", page_icon=":material/forum:", layout="wide")

_PAGES = "grapevine/dashboard/pages"

_ADMIN_PAGES = [
    st.Page(auth.users_page, title="Users", url_path="users", icon=":material/group:"),
]

_READ_PAGES = [
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
    st.Page(f"{_PAGES}/model.py", title="Model", url_path="model", icon=":material/fact_check:"),
]

user = auth.gate(pages=[*_READ_PAGES, *_ADMIN_PAGES])
page = st.navigation([*_READ_PAGES, *(_ADMIN_PAGES if user.can("admin") else [])])
render_sidebar()
page.run()
