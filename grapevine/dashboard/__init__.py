"""The Streamlit dashboard's pages, charts and cached reads of the store.

``app.py`` at the repository root is only the entry point: it lays out the navigation and
the sidebar and hands each page a :class:`~grapevine.dashboard.filters.Filters`. Every
figure on a page comes from :mod:`scoring` (so a number is the same in the app, the alerts
and the export); this package only reads the store, caches the reads, and draws.
"""
