"""Hacker News through the Algolia search API (``/search_by_date``).

Algolia returns newest first and stops at 1,000 hits per query, so the collector pages
*backwards in time* with ``numericFilters=created_at_i<=T`` (T = the oldest hit seen so
far) instead of the ``page`` parameter alone. Each term keeps its sweep state
(:mod:`collectors.window`) in the cursor: every run first asks for what is newer than the
newest stored hit of every term, then spends the rest of ``max_pages`` on history,
shared round-robin across terms. Every page can be committed with its cursor
(``is_sorted``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from collectors.base import Collector, Route, Search, register
from collectors.errors import MalformedPayload, SkippableRecord
from collectors.http import HttpSession, expect_mapping
from collectors.text import html_to_text
from collectors.window import Fetched, late_minutes_option, sweep
from core.mention import Cursor, Mention, MentionKind, Page

__all__ = ["HackerNews"]

_ITEM_URL = "https://news.ycombinator.com/item?id={}"
_ALGOLIA_MAX_HITS = 1000


class HackerNewsOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tags: list[str] = Field(default_factory=lambda: ["story", "comment"])
    hits_per_page: int = Field(default=100, ge=1, le=1000)
    # Algolia indexes an item a little after it is created, under its creation time
    late_minutes: float = late_minutes_option(5.0)


def _page_to_mentions(hits: list[Any]) -> tuple[list[Mention], list[str]]:
    mentions: list[Mention] = []
    problems: list[str] = []
    for hit in hits:
        try:
            mentions.append(hit_to_mention(hit))
        except SkippableRecord as exc:
            problems.append(str(exc))
    return mentions, problems


def hit_to_mention(hit: Any) -> Mention:
    """Map one Algolia hit (story or comment) to a Mention."""
    if not isinstance(hit, dict):
        raise SkippableRecord(f"hit is not an object: {str(hit)[:80]!r}")
    object_id = hit.get("objectID")
    epoch = hit.get("created_at_i")
    if not object_id or not isinstance(epoch, int | float) or isinstance(epoch, bool):
        raise SkippableRecord(f"hit {object_id!r} lacks objectID or created_at_i")
    tags = hit.get("_tags") or []
    is_comment = "comment" in tags or hit.get("comment_text") is not None
    title = hit.get("story_title") if is_comment else hit.get("title")
    body = hit.get("comment_text") if is_comment else hit.get("story_text")
    text = html_to_text(body if isinstance(body, str) else None)
    if not is_comment and isinstance(title, str) and not text:
        text = title
    story_id = hit.get("story_id")
    raw = {k: v for k, v in hit.items() if k != "_highlightResult"}
    return Mention(
        source="hackernews",
        external_id=str(object_id),
        kind=MentionKind.COMMENT if is_comment else MentionKind.POST,
        created_at=datetime.fromtimestamp(epoch, UTC),
        text=text,
        title=title if isinstance(title, str) else None,
        url=_ITEM_URL.format(object_id),
        community="hackernews",
        author=hit.get("author") if isinstance(hit.get("author"), str) else None,
        parent_id=str(hit["parent_id"]) if hit.get("parent_id") is not None else None,
        thread_id=str(story_id) if story_id is not None else str(object_id),
        score=hit.get("points") if isinstance(hit.get("points"), int) else None,
        comments=hit.get("num_comments") if isinstance(hit.get("num_comments"), int) else None,
        raw=raw,
    )


@register
class HackerNews(Collector):
    name = "hackernews"
    default_base_url = "https://hn.algolia.com/api/v1"
    is_sorted = True
    plans_pages = True
    terms_of_use = (
        "Hacker News content via the Algolia HN Search API (hn.algolia.com/api); "
        "Y Combinator's Hacker News terms apply to the posts and comments."
    )
    Options = HackerNewsOptions

    options: HackerNewsOptions

    def collect(self, http: HttpSession, search: Search, cursor: Cursor | None) -> Iterator[Page]:
        state: dict[str, Any] = copy.deepcopy(cursor) if cursor else {}
        streams: dict[str, dict[str, Any]] = state.setdefault("terms", {})
        per_page = self.options.hits_per_page

        def fetch(term: str, window: dict[str, Any]) -> Fetched:
            since, until = window.get("since"), window.get("until")
            filters = []
            if since is not None:
                filters.append(f"created_at_i>{int(since)}")
            if until is not None:
                filters.append(f"created_at_i<={int(until)}")
            params: dict[str, Any] = {
                "query": term,
                "tags": "(" + ",".join(self.options.tags) + ")",
                "hitsPerPage": per_page,
            }
            if filters:
                params["numericFilters"] = ",".join(filters)
            if window.get("page"):
                params["page"] = int(window["page"])
            payload = expect_mapping(http.get_json("/search_by_date", params), "search_by_date")
            hits = payload.get("hits")
            if not isinstance(hits, list):
                raise MalformedPayload("search_by_date: the body has no 'hits' list")
            mentions, problems = _page_to_mentions(hits)
            # The API may over-return and ``<=`` re-sends the boundary second: the shared
            # sweep keeps only what is new to the window.
            return Fetched(
                [(m, float(int(m.created_at.timestamp()))) for m in mentions],
                more=len(hits) >= per_page,
                skipped=len(problems),
                errors=problems,
            )

        yield from sweep(
            list(search.terms),
            streams,
            fetch,
            snapshot=lambda: copy.deepcopy(state),
            budget=search.page_budget,
            # Algolia serves at most 1,000 hits per filter; a window steps below the second.
            page_limit=max(1, _ALGOLIA_MAX_HITS // per_page),
            lookback=self.options.late_minutes * 60,
        )

    @classmethod
    def replay_routes(cls) -> list[Route]:
        def older_page(request: httpx.Request) -> bool:
            return "created_at_i<=1542316220" in request.url.params.get("numericFilters", "")

        def first_page(request: httpx.Request) -> bool:
            return "<" not in request.url.params.get("numericFilters", "")

        return [
            Route("/search_by_date", "search_by_date_page2.json", when=older_page),
            Route("/search_by_date", "search_by_date_page1.json", when=first_page),
            Route("/search_by_date", "search_by_date_empty.json"),
            Route("/items/18562744", "item.json"),
        ]
