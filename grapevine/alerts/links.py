"""Links into the dashboard that reproduce a view (the parameters are read by
:mod:`grapevine.dashboard.links`): what alerts, digests and reports point people to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from urllib.parse import urlencode

__all__ = ["mentions_link"]

#: The most mention ids a link names (a URL stays well under every browser's limit).
MAX_LINK_IDS = 200


def mentions_link(
    dashboard_url: str,
    brand: str,
    *,
    first: date | None = None,
    last: date | None = None,
    ids: Sequence[int] = (),
    extra: Mapping[str, str] | None = None,
    page: str = "mentions",
) -> str:
    """The Mentions page on ``brand``'s mentions between the days ``first`` and ``last``
    (inclusive), only those of ``ids`` when given, narrowed by ``extra`` parameters (or
    another ``page`` of the dashboard on the same view)."""
    query: dict[str, str] = {"brand": brand}
    if first is not None:
        query["from"] = first.isoformat()
        query["to"] = (last or first).isoformat()
    if ids:
        query["ids"] = ",".join(str(i) for i in list(ids)[:MAX_LINK_IDS])
    query.update(extra or {})
    return f"{dashboard_url.rstrip('/')}/{page}?{urlencode(query, safe=',')}"
