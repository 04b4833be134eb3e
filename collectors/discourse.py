"""Discourse forums: ``/search.json`` on configured forums, ``/posts.json`` on owned ones.

Any public Discourse answers ``/search.json?q=<term> after:<date> order:latest`` without
an account (anonymous requests are limited per IP, 429 with ``Retry-After``). For forums
the brand runs itself (``latest_posts``), ``/posts.json?before=<id>`` lists every new post,
so nothing said there is missed by a search. An optional ``DISCOURSE_API_KEY`` /
``DISCOURSE_API_USERNAME`` pair lifts the anonymous limits on such a forum.

Post ids grow with time on a forum, so a stream's mark is the highest post id stored
(plus the date it was written, for ``after:``). Pages come newest first and the mark
advances when a sweep ends (``is_sorted`` False: the engine commits it with the run).
Posts deleted upstream (``deleted_at``/``user_deleted``) are stored as deleted.
"""

from __future__ import annotations

import copy
import html
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from collectors.base import Collector, Route, Search, register
from collectors.errors import MalformedPayload, SkippableRecord
from collectors.http import HttpSession, expect_mapping
from collectors.text import html_to_text
from collectors.window import round_robin
from config.secrets import get_secret
from core.mention import Cursor, Mention, MentionKind, Page

__all__ = ["Discourse", "DiscourseOptions", "post_to_mention"]


class DiscourseOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    forums: list[str] = Field(
        default_factory=list, description="forum URLs to search; empty = the source's base_url"
    )
    latest_posts: list[str] = Field(
        default_factory=list, description="forums the brand owns: read every new post"
    )
    max_search_pages: int = Field(default=5, ge=1, le=50)


def _time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError(value)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def post_to_mention(post: Any, base: str, topic: dict[str, Any] | None = None) -> Mention:
    """Map a post from ``/posts.json`` (``cooked``) or ``/search.json`` (``blurb``)."""
    host = httpx.URL(base).host or base
    if not isinstance(post, dict) or not isinstance(post.get("id"), int):
        raise SkippableRecord(f"discourse {host}: post without an id: {str(post)[:80]!r}")
    try:
        created = _time(post.get("created_at"))
    except ValueError:
        raise SkippableRecord(f"discourse {host}: post {post['id']} has no created_at") from None
    topic = topic or {}
    topic_id = post.get("topic_id")
    slug = post.get("topic_slug") or topic.get("slug") or "-"
    number = post.get("post_number")
    title = post.get("topic_title") or topic.get("title")
    if isinstance(post.get("cooked"), str):
        text = html_to_text(post["cooked"])
    else:
        text = html.unescape(str(post.get("blurb") or "")).strip()

    def count(name: str) -> int | None:
        value = post.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return Mention(
        source="discourse",
        external_id=f"{host}:{post['id']}",
        kind=MentionKind.POST if number == 1 else MentionKind.COMMENT,
        created_at=created,
        text=text,
        title=html.unescape(title) if isinstance(title, str) else None,
        url=f"{base.rstrip('/')}/t/{slug}/{topic_id}/{number}" if topic_id else None,
        community=f"discourse:{host}",
        author=post.get("username") if isinstance(post.get("username"), str) else None,
        parent_id=(
            f"{host}:{topic_id}#{post['reply_to_post_number']}"
            if post.get("reply_to_post_number")
            else None
        ),
        thread_id=f"{host}:{topic_id}" if topic_id else None,
        score=count("like_count"),
        comments=count("reply_count"),
        deleted=bool(post.get("deleted_at") or post.get("user_deleted")),
        raw=post,
    )


def _read(items: list[Any], base: str, topics: dict[int, Any]) -> tuple[list[Mention], list[str]]:
    mentions: list[Mention] = []
    problems: list[str] = []
    for item in items:
        try:
            topic_id = item.get("topic_id") if isinstance(item, dict) else None
            topic = topics.get(topic_id) if isinstance(topic_id, int) else None
            mentions.append(post_to_mention(item, base, topic))
        except SkippableRecord as exc:
            problems.append(str(exc))
    return mentions, problems


def _post_id(mention: Mention) -> int:
    return int(mention.raw["id"])


@register
class Discourse(Collector):
    name = "discourse"
    default_base_url = "https://meta.discourse.org"
    is_sorted = False
    plans_pages = True
    terms_of_use = (
        "Public Discourse forums via their JSON API; each forum sets its own terms "
        "(most follow Discourse's default ToS), and posts remain their authors'."
    )
    Options = DiscourseOptions

    options: DiscourseOptions

    def collect(self, http: HttpSession, search: Search, cursor: Cursor | None) -> Iterator[Page]:
        state: dict[str, Any] = copy.deepcopy(cursor) if cursor else {}
        marks: dict[str, Any] = state.setdefault("marks", {})
        headers = self._auth_headers()
        default = str(http.client.base_url).rstrip("/")
        pages: list[Iterator[Page]] = []
        for forum in self.options.forums or [default]:
            for term in search.terms:
                mark = marks.setdefault(f"{forum}|search:{term}", {"id": 0, "at": None})
                pages.append(self._search(http, forum, term, mark, state, headers))
        for forum in self.options.latest_posts:
            mark = marks.setdefault(f"{forum}|posts", {"id": 0, "at": None})
            pages.append(self._latest(http, forum, mark, state, headers))
        seen: set[str] = set()  # a post found by two terms (or also listed) once per run
        # Round-robin within max_pages: every term's newest page before any second page.
        for page in round_robin(pages, search.page_budget):
            unseen = [m for m in page.mentions if m.external_id not in seen]
            seen.update(m.external_id for m in unseen)
            yield Page(unseen, page.cursor, page.skipped, page.errors)

    @staticmethod
    def _auth_headers() -> dict[str, str]:
        key, user = get_secret("DISCOURSE_API_KEY"), get_secret("DISCOURSE_API_USERNAME")
        if key is None or user is None:
            return {}
        return {"Api-Key": key.get_secret_value(), "Api-Username": user.get_secret_value()}

    def _search(
        self,
        http: HttpSession,
        forum: str,
        term: str,
        mark: dict[str, Any],
        state: Cursor,
        headers: dict[str, str],
    ) -> Iterator[Page]:
        since_id = int(mark.get("id") or 0)
        query = f'"{term}" order:latest' if " " in term else f"{term} order:latest"
        if mark.get("at"):
            day = (_time(mark["at"]) - timedelta(days=1)).date().isoformat()
            query += f" after:{day}"
        top = since_id
        newest_at = mark.get("at")
        for page in range(1, self.options.max_search_pages + 1):
            payload = expect_mapping(
                http.get_json(f"{forum}/search.json", {"q": query, "page": page}, headers=headers),
                "search.json",
            )
            posts = payload.get("posts", [])
            if not isinstance(posts, list):
                raise MalformedPayload("search.json: 'posts' is not a list")
            topics = {
                t["id"]: t
                for t in payload.get("topics") or []
                if isinstance(t, dict) and isinstance(t.get("id"), int)
            }
            mentions, problems = _read(posts, forum, topics)
            fresh = [m for m in mentions if _post_id(m) > since_id]
            for m in fresh:
                if _post_id(m) > top:
                    top, newest_at = _post_id(m), m.created_at.isoformat()
            grouped = payload.get("grouped_search_result") or {}
            more = bool(isinstance(grouped, dict) and grouped.get("more_full_page_results"))
            done = not more or len(fresh) < len(mentions) or not posts
            if done or page == self.options.max_search_pages:
                mark.update(id=top, at=newest_at)
            yield Page(fresh, copy.deepcopy(state), skipped=len(problems), errors=problems)
            if done:
                return

    def _latest(
        self,
        http: HttpSession,
        forum: str,
        mark: dict[str, Any],
        state: Cursor,
        headers: dict[str, str],
    ) -> Iterator[Page]:
        since_id = int(mark.get("id") or 0)
        top, newest_at = since_id, mark.get("at")
        before: int | None = None
        while True:
            params = {"before": before} if before is not None else {}
            payload = expect_mapping(
                http.get_json(f"{forum}/posts.json", params, headers=headers), "posts.json"
            )
            posts = payload.get("latest_posts")
            if not isinstance(posts, list):
                raise MalformedPayload("posts.json: the body has no 'latest_posts' list")
            mentions, problems = _read(posts, forum, {})
            # ``before`` is inclusive as served; keep what is below it and above the mark.
            in_range = [m for m in mentions if before is None or _post_id(m) <= before]
            fresh = [m for m in in_range if _post_id(m) > since_id]
            for m in fresh:
                if _post_id(m) > top:
                    top, newest_at = _post_id(m), m.created_at.isoformat()
            done = not fresh or len(fresh) < len(in_range)
            if done:
                mark.update(id=top, at=newest_at)
            yield Page(fresh, copy.deepcopy(state), skipped=len(problems), errors=problems)
            if done:
                return
            before = min(_post_id(m) for m in fresh) - 1

    @classmethod
    def replay_routes(cls) -> list[Route]:
        def before_14(request: httpx.Request) -> bool:
            return bool(request.url.params.get("before") == "14")

        return [
            Route("/posts.json", "posts_before.json", when=before_14),
            Route("/posts.json", "posts_latest.json"),
            Route("/search.json", "search_latest.json"),
        ]
