"""RSS/Atom feeds and Google News search, parsed by feedparser.

Configured feeds (a brand's blog, a trade press feed) are read whole; Google News is
searched per term through its RSS endpoint (``/rss/search?q=...``). Neither needs a key.
Feeds are fetched through the shared :class:`HttpSession` (not feedparser's own
downloader) so retries, rate limits and replay work as for every source; each feed's
``ETag`` and ``Last-Modified`` go back as ``If-None-Match``/``If-Modified-Since``, and a
``304 Not Modified`` costs the publisher nothing.

Entries are keyed by their ``guid`` (``id``), else their link, so an article seen in two
feeds is stored once. Feeds are not reliably ordered, so the mark (the newest entry
date per feed) advances when a feed has been read (``is_sorted`` False).
"""

from __future__ import annotations

import calendar
import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import feedparser
import httpx
from pydantic import BaseModel, ConfigDict, Field

from collectors.base import Collector, Route, Search, register
from collectors.errors import MalformedPayload, SkippableRecord
from collectors.http import HttpSession
from collectors.text import html_to_text
from core.mention import Cursor, Mention, MentionKind, Page

__all__ = ["Feeds", "FeedsOptions", "entry_to_mention", "parse_feed"]


class FeedsOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    feeds: list[str] = Field(default_factory=list, description="RSS/Atom feed URLs to read")
    google_news: bool = Field(default=True, description="search Google News for each term")
    hl: str = "en-US"
    gl: str = "US"
    ceid: str = "US:en"


def parse_feed(response: httpx.Response) -> Any:
    """A feedparser result, or None for ``304 Not Modified``; non-feeds are malformed."""
    if response.status_code == 304:
        return None
    parsed = feedparser.parse(response.content, response_headers=dict(response.headers))
    if parsed.get("bozo") and not parsed.get("entries") and not parsed.get("version"):
        raise MalformedPayload(
            f"not an RSS/Atom feed ({parsed.get('bozo_exception')}); "
            f"starts with {response.text[:80]!r}",
            request=response.request,
        )
    return parsed


def _entry_time(entry: Any) -> datetime:
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(name)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC)
    raise SkippableRecord(f"feed entry {entry.get('id') or entry.get('link')!r} has no date")


def entry_to_mention(entry: Any, feed_url: str, news: bool) -> Mention:
    """Map one feedparser entry; ``news`` marks a Google News result (community = the
    publisher the item names, not news.google.com)."""
    key = entry.get("id") or entry.get("link")
    if not key:
        raise SkippableRecord("feed entry has neither guid nor link")
    created = _entry_time(entry)
    title = html_to_text(entry.get("title")) or None
    summary = entry.get("summary") or ""
    if entry.get("content"):
        summary = entry["content"][0].get("value") or summary
    text = html_to_text(summary)
    if news:
        source = entry.get("source") or {}
        host = httpx.URL(source.get("href") or entry.get("link") or feed_url).host
        community = f"news:{host or source.get('title') or 'google'}"
    else:
        community = f"rss:{httpx.URL(feed_url).host or feed_url}"
    author = entry.get("author")
    raw = {
        k: v
        for k, v in entry.items()
        if isinstance(v, str | int | float | bool | list | dict) and not k.endswith("_parsed")
    }
    return Mention(
        source="rss",
        external_id=str(key),
        kind=MentionKind.POST,
        created_at=created,
        text=text or (title or ""),
        title=title,
        url=entry.get("link"),
        community=community,
        author=author if isinstance(author, str) else None,
        raw=raw,
    )


@register
class Feeds(Collector):
    name = "rss"
    default_base_url = "https://news.google.com"
    is_sorted = False
    terms_of_use = (
        "RSS/Atom feeds as their publishers serve them, and Google News RSS search; "
        "headlines and excerpts belong to their publishers (link back, do not republish)."
    )
    Options = FeedsOptions

    options: FeedsOptions

    def collect(self, http: HttpSession, search: Search, cursor: Cursor | None) -> Iterator[Page]:
        state: dict[str, Any] = copy.deepcopy(cursor) if cursor else {}
        marks: dict[str, dict[str, Any]] = state.setdefault("feeds", {})
        seen: set[str] = set()  # an article in two feeds (or two searches) once per run
        for feed in self.options.feeds:
            yield self._read(http, feed, {}, marks.setdefault(feed, {}), state, seen, news=False)
        if self.options.google_news:
            for term in search.terms:
                params = {
                    "q": f'"{term}"' if " " in term else term,
                    "hl": self.options.hl,
                    "gl": self.options.gl,
                    "ceid": self.options.ceid,
                }
                key = f"news:{term}"
                mark = marks.setdefault(key, {})
                yield self._read(http, "/rss/search", params, mark, state, seen, news=True)

    def _read(
        self,
        http: HttpSession,
        url: str,
        params: dict[str, Any],
        mark: dict[str, Any],
        state: Cursor,
        seen: set[str],
        news: bool,
    ) -> Page:
        headers = {}
        if mark.get("etag"):
            headers["If-None-Match"] = str(mark["etag"])
        if mark.get("modified"):
            headers["If-Modified-Since"] = str(mark["modified"])
        response, parsed = http.fetch_parsed(
            "GET", url, lambda r: (r, parse_feed(r)), params=params, headers=headers
        )
        if parsed is None:
            return Page([], copy.deepcopy(state))  # 304: nothing new since last time
        since = mark.get("since")
        mentions: list[Mention] = []
        problems: list[str] = []
        newest = since
        for entry in parsed.get("entries", []):
            try:
                mention = entry_to_mention(entry, str(response.url), news)
            except SkippableRecord as exc:
                problems.append(str(exc))
                continue
            stamp = mention.created_at.timestamp()
            if (since is not None and stamp <= since) or mention.external_id in seen:
                continue
            seen.add(mention.external_id)
            newest = stamp if newest is None else max(newest, stamp)
            mentions.append(mention)
        mark.update(
            etag=response.headers.get("etag"),
            modified=response.headers.get("last-modified"),
            since=newest,
        )
        return Page(mentions, copy.deepcopy(state), skipped=len(problems), errors=problems)

    @classmethod
    def replay_routes(cls) -> list[Route]:
        rss = (("content-type", "application/xml; charset=utf-8"),)
        return [Route("/rss/search", "google_news_search.xml", headers=rss)]
