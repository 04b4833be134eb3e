"""Stack Exchange API 2.3: questions from ``/search/advanced`` on configured sites.

Keyless use gets 300 requests a day per IP; a free app key (``STACKEXCHANGE_KEY`` in the
environment) raises that to 10,000. The API has two limits of its own, both in the JSON
body rather than in headers:

- ``backoff``: seconds to wait before calling the same method again, on any response.
  It is handed to :meth:`HttpSession.defer`, so the next request waits (and is counted).
- ``quota_remaining``: when it reaches 0 the day's quota is spent; the page in hand is
  yielded, then :class:`QuotaExhausted` stops the run until the quota resets at midnight
  UTC. Error bodies (``error_id``/``error_name``) are mapped by :func:`classify_error`.

Results are newest first; each (site, term) keeps a sweep window (``fromdate``/``todate``)
so every page's cursor can be committed (see :mod:`collectors.window`).
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from collectors.base import Collector, Route, Search, register
from collectors.errors import (
    CollectorError,
    ConfigurationError,
    MalformedPayload,
    QuotaExhausted,
    RateLimited,
    RetriableError,
    SkippableRecord,
)
from collectors.http import HttpSession, expect_mapping
from collectors.text import html_to_text
from collectors.window import new_window, sweep_step
from config.secrets import get_secret
from grapevine.mention import Cursor, Mention, MentionKind, Page

__all__ = ["StackExchange", "StackExchangeOptions", "classify_error", "question_to_mention"]

_AVAILABLE_IN = re.compile(r"available in (\d+) seconds")


class StackExchangeOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sites: list[str] = Field(default_factory=lambda: ["stackoverflow"], min_length=1)
    pagesize: int = Field(default=100, ge=1, le=100)
    filter: str = "withbody"  # a built-in filter that adds the question body


def classify_error(response: httpx.Response) -> CollectorError | None:
    """Read Stack Exchange's error body (``error_id``, ``error_name``, ``error_message``)."""
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or "error_id" not in body:
        return None
    name = str(body.get("error_name", ""))
    message = f"Stack Exchange {name}: {body.get('error_message', '')}"
    request = response.request
    if name == "throttle_violation":
        found = _AVAILABLE_IN.search(str(body.get("error_message", "")))
        seconds = float(found.group(1)) if found else None
        if seconds is not None and seconds > 3600:
            return QuotaExhausted(message, resets_in=seconds, request=request)
        return RateLimited(message, retry_after=seconds, request=request)
    if name in {"internal_error", "temporarily_unavailable"}:
        return RetriableError(message, request=request)
    if name in {"bad_parameter", "no_method", "key_required", "access_token_required"}:
        return ConfigurationError(message, request=request)
    return None  # the status mapping decides


def question_to_mention(item: Any, site: str) -> Mention:
    """Map one question of a ``/search/advanced`` response to a Mention."""
    if not isinstance(item, dict):
        raise SkippableRecord(f"{site}: item is not an object: {str(item)[:80]!r}")
    question_id, created = item.get("question_id"), item.get("creation_date")
    if not isinstance(question_id, int) or not isinstance(created, int):
        raise SkippableRecord(f"{site}: question {question_id!r} lacks question_id/creation_date")
    owner = item["owner"] if isinstance(item.get("owner"), dict) else {}
    title = html.unescape(str(item.get("title") or "")) or None
    text = html_to_text(item.get("body") if isinstance(item.get("body"), str) else None)

    def count(name: str) -> int | None:
        value = item.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    author = owner.get("display_name")
    return Mention(
        source="stackexchange",
        external_id=f"{site}:{question_id}",
        kind=MentionKind.QUESTION,
        created_at=datetime.fromtimestamp(created, UTC),
        text=text or title or "",
        title=title,
        url=item.get("link") if isinstance(item.get("link"), str) else None,
        community=f"stackexchange:{site}",
        author=html.unescape(author) if isinstance(author, str) else None,
        thread_id=f"{site}:{question_id}",
        score=count("score"),
        answers=count("answer_count"),
        comments=count("comment_count"),
        raw=item,
    )


def _midnight_after(now: datetime) -> float:
    tomorrow = (now.astimezone(UTC) + timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return (tomorrow - now).total_seconds()


@register
class StackExchange(Collector):
    name = "stackexchange"
    default_base_url = "https://api.stackexchange.com/2.3"
    is_sorted = True  # newest first, but every cursor is a resumable window
    terms_of_use = (
        "Stack Exchange API (api.stackexchange.com); content is user-contributed under "
        "CC BY-SA, and reuse must attribute the author and link the post."
    )
    Options = StackExchangeOptions

    options: StackExchangeOptions

    def collect(self, http: HttpSession, search: Search, cursor: Cursor | None) -> Iterator[Page]:
        state: dict[str, Any] = copy.deepcopy(cursor) if cursor else {}
        windows: dict[str, dict[str, Any]] = state.setdefault("windows", {})
        key = get_secret("STACKEXCHANGE_KEY")
        for site in self.options.sites:
            for term in search.terms:
                window = windows.setdefault(f"{site}|{term}", new_window())
                yield from self._sweep(http, site, term, window, state, key)

    def _sweep(
        self,
        http: HttpSession,
        site: str,
        term: str,
        window: dict[str, Any],
        state: Cursor,
        key: Any,
    ) -> Iterator[Page]:
        while True:
            params: dict[str, Any] = {
                "order": "desc",
                "sort": "creation",
                "q": term,
                "site": site,
                "pagesize": self.options.pagesize,
                "page": int(window.get("page") or 0) + 1,
                "filter": self.options.filter,
            }
            if window.get("since") is not None:
                params["fromdate"] = int(window["since"]) + 1
            if window.get("until") is not None:
                params["todate"] = int(window["until"])
            if key is not None:
                params["key"] = key.get_secret_value()
            payload = expect_mapping(
                http.get_json("/search/advanced", params, classify=classify_error),
                "search/advanced",
            )
            items = payload.get("items")
            if not isinstance(items, list):
                raise MalformedPayload("search/advanced: the body has no 'items' list")
            if isinstance(payload.get("backoff"), int | float):
                http.defer(float(payload["backoff"]))
            mentions: list[Mention] = []
            problems: list[str] = []
            for item in items:
                try:
                    mentions.append(question_to_mention(item, site))
                except SkippableRecord as exc:
                    problems.append(str(exc))
            stamps = [(m.external_id, m.created_at.timestamp()) for m in mentions]
            fresh, done = sweep_step(window, stamps, bool(payload.get("has_more")))
            kept = [m for m in mentions if m.external_id in fresh]
            yield Page(kept, copy.deepcopy(state), skipped=len(problems), errors=problems)
            if payload.get("quota_remaining") == 0:
                raise QuotaExhausted(
                    "Stack Exchange daily quota spent (quota_remaining = 0); "
                    "collection resumes after it resets at midnight UTC",
                    resets_in=_midnight_after(http.clock()),
                )
            if done:
                return

    @classmethod
    def replay_routes(cls) -> list[Route]:
        def first_page(request: httpx.Request) -> bool:
            return request.url.params.get("page") == "1" and "todate" not in request.url.params

        def second_page(request: httpx.Request) -> bool:
            return "todate" in request.url.params

        return [
            Route("/search/advanced", "search_advanced_page1.json", when=first_page),
            Route("/search/advanced", "search_advanced_page2.json", when=second_page),
            Route("/search/advanced", "search_advanced_empty.json"),
        ]
