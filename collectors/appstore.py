"""Apple App Store customer reviews from the iTunes customer-reviews RSS feed (XML).

``/{country}/rss/customerreviews/page={n}/id={app}/sortby=mostrecent/xml`` serves 50
reviews a page and at most 10 pages (500 reviews) per app and country; no key, no
account. The XML flavour is used because the JSON one carries no review dates. Each
review keeps its rating, title, app version and vote counts (``im:voteSum`` helpful
votes of ``im:voteCount``).

Pages come newest first and the feed has no "since" filter, so each (app, country)
sweeps from page 1 until it meets a review at or before the newest one already stored,
or the feed's last page; the mark advances only when a sweep ends (``is_sorted`` is
False: the engine commits this cursor at the end of a run).
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from collectors.base import Collector, Route, Search, register
from collectors.errors import MalformedPayload, SkippableRecord
from collectors.http import HttpSession
from core.mention import Cursor, Mention, MentionKind, Page

__all__ = ["AppStore", "AppStoreOptions", "entry_to_mention", "parse_feed"]

_NS = {"a": "http://www.w3.org/2005/Atom", "im": "http://itunes.apple.com/rss"}
_MAX_PAGES = 10  # Apple serves no more than 10 pages per app and country
_LAST_PAGE = re.compile(r"page=(\d+)")


class AppStoreApp(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^\d+$")
    countries: list[str] = Field(default_factory=lambda: ["us"], min_length=1)


class AppStoreOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    apps: list[AppStoreApp] = Field(default_factory=list)


def _text(entry: ET.Element, path: str) -> str | None:
    found = entry.find(path, _NS)
    return found.text if found is not None and found.text is not None else None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def parse_feed(response: httpx.Response) -> tuple[list[ET.Element], int | None]:
    """The feed's ``<entry>`` elements and its last page number (from ``rel="last"``)."""
    try:
        root = ET.fromstring(response.content)
    except ET.ParseError as exc:
        raise MalformedPayload(
            f"customer reviews feed is not XML ({exc}); starts with {response.text[:80]!r}",
            request=response.request,
        ) from None
    if root.tag != f"{{{_NS['a']}}}feed":
        raise MalformedPayload(
            f"expected an Atom <feed>, got <{root.tag}>", request=response.request
        )
    last: int | None = None
    for link in root.findall("a:link", _NS):
        if link.get("rel") == "last":
            found = _LAST_PAGE.search(link.get("href", ""))
            last = int(found.group(1)) if found else None
    return root.findall("a:entry", _NS), last


def entry_to_mention(entry: ET.Element, app_id: str, country: str) -> Mention | None:
    """Map one review ``<entry>``; None for the app's own description entry (no rating)."""
    review_id = _text(entry, "a:id")
    rating = _int(_text(entry, "im:rating"))
    if rating is None and entry.find("im:name", _NS) is not None:
        return None  # older feeds start with an entry describing the app itself
    updated = _text(entry, "a:updated")
    if not review_id or updated is None or rating is None:
        raise SkippableRecord(f"appstore {app_id}: review {review_id!r} lacks id/updated/rating")
    try:
        created = datetime.fromisoformat(updated.strip())
    except ValueError:
        raise SkippableRecord(
            f"appstore {app_id}: review {review_id}: bad date {updated!r}"
        ) from None
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    text = ""
    for content in entry.findall("a:content", _NS):
        if content.get("type") == "text" and content.text:
            text = content.text.strip()
    title = _text(entry, "a:title")
    raw: dict[str, Any] = {
        "id": review_id,
        "updated": updated,
        "title": title,
        "content": text,
        "rating": rating,
        "version": _text(entry, "im:version"),
        "voteSum": _int(_text(entry, "im:voteSum")),
        "voteCount": _int(_text(entry, "im:voteCount")),
        "author": _text(entry, "a:author/a:name"),
        "author_uri": _text(entry, "a:author/a:uri"),
        "app_id": app_id,
        "country": country,
    }
    return Mention(
        source="appstore",
        external_id=review_id.strip(),
        kind=MentionKind.REVIEW,
        created_at=created,
        text=text or (title or ""),
        title=title,
        url=f"https://apps.apple.com/{country}/app/id{app_id}?see-all=reviews",
        community=f"appstore:{app_id}",
        author=raw["author"],
        thread_id=f"appstore:{app_id}",
        rating=rating,
        helpful_votes=raw["voteSum"],
        raw=raw,
    )


@register
class AppStore(Collector):
    name = "appstore"
    default_base_url = "https://itunes.apple.com"
    is_sorted = False
    terms_of_use = (
        "Apple App Store customer reviews via the public iTunes RSS feed; the Apple Media "
        "Services terms apply, and reviews remain their authors' content."
    )
    Options = AppStoreOptions

    options: AppStoreOptions

    def collect(self, http: HttpSession, search: Search, cursor: Cursor | None) -> Iterator[Page]:
        # Reviews are of configured apps, not of a search: the engine re-checks each one
        # against the brand and category queries.
        state: dict[str, Any] = copy.deepcopy(cursor) if cursor else {}
        marks: dict[str, Any] = state.setdefault("since", {})
        for app in self.options.apps:
            for country in app.countries:
                yield from self._sweep(http, app.id, country, marks, state)

    def _sweep(
        self, http: HttpSession, app_id: str, country: str, marks: dict[str, Any], state: Cursor
    ) -> Iterator[Page]:
        key = f"{app_id}/{country}"
        since: float | None = marks.get(key)
        newest = since
        page = 1
        while True:
            entries, last = http.fetch_parsed(
                "GET",
                f"/{country}/rss/customerreviews/page={page}/id={app_id}/sortby=mostrecent/xml",
                parse_feed,
            )
            mentions: list[Mention] = []
            problems: list[str] = []
            reached = False
            for entry in entries:
                try:
                    mention = entry_to_mention(entry, app_id, country)
                except SkippableRecord as exc:
                    problems.append(str(exc))
                    continue
                if mention is None:
                    continue
                stamp = mention.created_at.timestamp()
                if since is not None and stamp <= since:
                    reached = True
                    continue
                newest = max(newest or stamp, stamp)
                mentions.append(mention)
            done = reached or not entries or page >= min(last or _MAX_PAGES, _MAX_PAGES)
            if done:
                marks[key] = newest
            yield Page(mentions, copy.deepcopy(state), skipped=len(problems), errors=problems)
            if done:
                return
            page += 1

    @classmethod
    def replay_routes(cls) -> list[Route]:
        xml = (("content-type", "text/xml; charset=UTF-8"),)
        base = "/us/rss/customerreviews/page={}/id=1463803563/sortby=mostrecent/xml"
        return [
            Route(base.format(1), "customerreviews_page1.xml", headers=xml),
            Route(base.format(2), "customerreviews_page2.xml", headers=xml),
        ]
