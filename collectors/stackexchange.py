"""Stack Exchange API 2.3: questions from ``/search/advanced`` on configured sites.

Keyless use gets 300 requests a day per IP; a free app key (``STACKEXCHANGE_KEY`` in the
environment) raises that to 10,000. The API has two limits of its own, both in the JSON
body rather than in headers:

- ``backoff``: seconds to wait before calling the same method again, on any response.
  It is handed to :meth:`HttpSession.defer`, so the next request waits (and is counted).
- ``quota_remaining``: when it reaches 0 the day's quota is spent; the page in hand is
  yielded, then :class:`QuotaExhausted` stops the run until the quota resets at midnight
  UTC. Error bodies (``error_id``/``error_name``) are mapped by :func:`classify_error`.

Results are newest first; each (site, term) keeps its sweep state (``fromdate``/``todate``
windows) in the cursor: fresh questions of every (site, term) first, then history shared
round-robin (see :mod:`collectors.window`), and every page's cursor can be committed.
Every question is validated by type (:class:`Question`): a record whose title is a list
is skipped and counted, never stored as ``"['Waymo']"``.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

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
from collectors.window import Fetched, late_minutes_option, sweep
from config.secrets import get_secret
from core.mention import Cursor, Mention, MentionKind, Page

__all__ = [
    "Question",
    "StackExchange",
    "StackExchangeOptions",
    "classify_error",
    "question_to_mention",
]

_AVAILABLE_IN = re.compile(r"available in (\d+) seconds")


class StackExchangeOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sites: list[str] = Field(default_factory=lambda: ["stackoverflow"], min_length=1)
    pagesize: int = Field(default=100, ge=1, le=100)
    filter: str = "withbody"  # a built-in filter that adds the question body
    # the search index can list a post after newer ones, under its creation time
    late_minutes: float = late_minutes_option(5.0)


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


class _Owner(BaseModel):
    model_config = ConfigDict(extra="ignore")

    display_name: StrictStr | None = None


class Question(BaseModel):
    """The fields of a ``/search/advanced`` question that Grapevine reads, by type."""

    model_config = ConfigDict(extra="ignore")

    question_id: StrictInt
    creation_date: StrictInt
    title: StrictStr | None = None
    body: StrictStr | None = None
    link: StrictStr | None = None
    owner: _Owner | None = None
    score: StrictInt | None = None
    answer_count: StrictInt | None = None
    comment_count: StrictInt | None = None


def question_to_mention(item: Any, site: str) -> Mention:
    """Map one question of a ``/search/advanced`` response to a Mention."""
    if not isinstance(item, dict):
        raise SkippableRecord(f"{site}: item is not an object: {str(item)[:80]!r}")
    try:
        question = Question.model_validate(item)
    except ValidationError as exc:
        fields = ", ".join(
            f"{'.'.join(map(str, e['loc']))} ({e['msg']})" for e in exc.errors(include_url=False)
        )
        ident = item.get("question_id")
        if "question_id" in fields or "creation_date" in fields:
            raise SkippableRecord(
                f"{site}: question {ident!r} lacks question_id/creation_date: {fields}"
            ) from None
        raise SkippableRecord(
            f"{site}: question {ident!r} has fields of the wrong type: {fields}"
        ) from None
    title = html.unescape(question.title) if question.title else None
    text = html_to_text(question.body)
    author = question.owner.display_name if question.owner else None
    qid = question.question_id
    return Mention(
        source="stackexchange",
        external_id=f"{site}:{qid}",
        kind=MentionKind.QUESTION,
        created_at=datetime.fromtimestamp(question.creation_date, UTC),
        text=text or title or "",
        title=title,
        url=question.link,
        community=f"stackexchange:{site}",
        author=html.unescape(author) if author else None,
        thread_id=f"{site}:{qid}",
        score=question.score,
        answers=question.answer_count,
        comments=question.comment_count,
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
    plans_pages = True
    terms_of_use = (
        "Stack Exchange API (api.stackexchange.com); content is user-contributed under "
        "CC BY-SA, and reuse must attribute the author and link the post."
    )
    Options = StackExchangeOptions

    options: StackExchangeOptions

    def collect(self, http: HttpSession, search: Search, cursor: Cursor | None) -> Iterator[Page]:
        state: dict[str, Any] = copy.deepcopy(cursor) if cursor else {}
        streams: dict[str, dict[str, Any]] = state.setdefault("windows", {})
        key = get_secret("STACKEXCHANGE_KEY")

        def fetch(stream: str, window: dict[str, Any]) -> Fetched:
            site, term = stream.split("|", 1)
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
            mentions: list[tuple[Mention, float]] = []
            problems: list[str] = []
            for item in items:
                try:
                    mention = question_to_mention(item, site)
                except SkippableRecord as exc:
                    problems.append(str(exc))
                    continue
                mentions.append((mention, mention.created_at.timestamp()))
            spent = None
            if payload.get("quota_remaining") == 0:
                spent = QuotaExhausted(
                    "Stack Exchange daily quota spent (quota_remaining = 0); "
                    "collection resumes after it resets at midnight UTC",
                    resets_in=_midnight_after(http.clock()),
                )
            return Fetched(
                mentions,
                more=bool(payload.get("has_more")),
                skipped=len(problems),
                errors=problems,
                then_raise=spent,
            )

        yield from sweep(
            [f"{site}|{term}" for site in self.options.sites for term in search.terms],
            streams,
            fetch,
            snapshot=lambda: copy.deepcopy(state),
            budget=search.page_budget,
            lookback=self.options.late_minutes * 60,
        )

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
