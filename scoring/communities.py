"""Community display names: what people call the place a mention lives.

A community is stored as a stable id (``reddit:r/waymo``, ``appstore:1463803563``,
``stackexchange:stackoverflow``, ``mastodon:mastodon.social``); people know it by its name
(r/waymo, Waymo One, Stack Overflow, mastodon.social). The names come from, in order:

1. the store's ``meta`` entry ``community_names`` (a JSON object, id → name; ``grapevine
   demo`` writes it for its app listings, forums and publishers);
2. the configuration: an app's ``name`` in ``[sources.appstore]``/``[sources.googleplay]``
   ``apps`` (read when present; the collectors' option models must accept the key first);
3. rules per source: a subreddit as ``r/name``, Hacker News, a Stack Exchange site's own
   name, an instance's or a forum's host, a publisher's host.

The id stays what filters, exports and alerts key on; only what is shown changes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from storage import schema

__all__ = ["community_names", "display_name"]

#: Stack Exchange sites by their API name
SITES = {
    "stackoverflow": "Stack Overflow",
    "superuser": "Super User",
    "serverfault": "Server Fault",
    "askubuntu": "Ask Ubuntu",
    "android": "Android Enthusiasts",
    "apple": "Ask Different",
    "webapps": "Web Applications",
    "softwareengineering": "Software Engineering",
    "unix": "Unix & Linux",
    "security": "Information Security",
    "coffee": "Coffee",
    "diy": "Home Improvement",
}
_SOURCES = {
    "appstore": "App Store",
    "googleplay": "Google Play",
    "bluesky": "Bluesky",
    "hackernews": "Hacker News",
}


def display_name(community: str | None, names: Mapping[str, str] | None = None) -> str:
    """The name a person would use for ``community`` ("—" when there is none)."""
    if not community:
        return "—"
    if names and community in names:
        return names[community]
    source, _, place = community.partition(":")
    if not place:
        return _SOURCES.get(source, community)
    if source == "reddit":
        return place if place.startswith("r/") else f"r/{place}"
    if source == "stackexchange":
        return SITES.get(place, place.replace("-", " ").title())
    if source in ("appstore", "googleplay"):
        return f"{_SOURCES[source]} app {place}"
    if source in ("mastodon", "discourse", "rss", "news"):
        return place.removeprefix("www.")
    return community


def _configured_apps(apps: Any, source: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for app in apps if isinstance(apps, list) else []:
        if isinstance(app, Mapping) and app.get("id") and isinstance(app.get("name"), str):
            out[f"{source}:{app['id']}"] = app["name"]
    return out


def community_names(
    conn: Connection, sources: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, str]:
    """Known names: the store's ``community_names`` entry, then configured app names
    (``sources`` maps a source to its options)."""
    names: dict[str, str] = {}
    for source in ("appstore", "googleplay"):
        options = (sources or {}).get(source) or {}
        names.update(_configured_apps(options.get("apps"), source))
    value = conn.execute(
        select(schema.meta.c.value).where(schema.meta.c.key == "community_names")
    ).scalar_one_or_none()
    if value:
        try:
            stored = json.loads(value)
        except ValueError:
            stored = {}
        if isinstance(stored, dict):
            names.update({str(k): str(v) for k, v in stored.items()})
    return names
