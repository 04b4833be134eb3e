"""Reddit through praw: brand searches and new comments in configured subreddits.

Reddit's Data API needs an OAuth app (``script`` or read-only): ``REDDIT_CLIENT_ID``,
``REDDIT_CLIENT_SECRET`` and a descriptive ``REDDIT_USER_AGENT`` come from the
environment; without them the source stops with a :class:`ConfigurationError` saying so.
Free use is capped at 100 queries per minute per client id, announced in ``x-ratelimit-*``
headers. In replay the bundled praw cassettes answer and no credentials are needed.

praw does the OAuth dance and token refresh; its HTTP goes through the shared
:class:`HttpSession` by way of a small ``requests``-compatible bridge
(:class:`RequestsBridge`), so retries, 429 waits, accounting and replay are the same as
for every other source. prawcore's own rate limiter is swapped for one that waits through
the session's injected sleep (:class:`SessionRateLimiter`): nothing here sleeps on its own.

Streams, each with a ``before`` fullname as its cursor:

- ``search``: the brand's terms in ``r/all`` and in each configured subreddit (``sort=new``);
- ``comments``: every new comment in the configured subreddits (re-checked locally).

A first run takes the newest page; later runs walk *forward* with ``before=<newest seen>``,
so each page's cursor can be committed (``is_sorted``). If the anchor post was deleted
Reddit answers ``before`` with nothing; the stream then reads the newest page and keeps
what is newer than the anchor's time. Deleted or removed items are stored as deleted.
"""

from __future__ import annotations

import copy
import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import praw
import prawcore
import requests
from prawcore.const import NANOSECONDS
from prawcore.rate_limit import RateLimiter
from pydantic import BaseModel, ConfigDict, Field
from requests.structures import CaseInsensitiveDict

from collectors.base import Collector, Search, register
from collectors.cassette import cassette_transport
from collectors.errors import (
    CollectorError,
    ConfigurationError,
    FatalError,
    MalformedPayload,
    SkippableRecord,
)
from collectors.http import HttpSession, decode_json
from collectors.window import round_robin
from config.secrets import get_secret
from core.mention import Cursor, Mention, MentionKind, Page

__all__ = [
    "Reddit",
    "RedditOptions",
    "RequestsBridge",
    "SessionRateLimiter",
    "build_reddit",
    "thing_to_mention",
]

_GONE = {"[deleted]", "[removed]"}


class RedditOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    subreddits: list[str] = Field(default_factory=list, description="names without r/")
    search_all: bool = Field(default=True, description="also search the terms in r/all")
    comments: bool = Field(default=True, description="new comments in the subreddits")
    limit: int = Field(default=100, ge=1, le=100)
    reddit_url: str = "https://www.reddit.com"


def _json_checked(response: httpx.Response) -> httpx.Response:
    """Reddit answers JSON; an HTML body with a 200 is an error page, retried as such."""
    if response.status_code == 200 and response.content:
        decode_json(response)
    return response


class RequestsBridge:
    """Just enough of ``requests.Session`` for prawcore, sending through an HttpSession."""

    def __init__(self, http: HttpSession) -> None:
        self.http = http
        self.headers: dict[str, str] = {}

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        data: Any = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        allow_redirects: bool = True,
        **_ignored: Any,  # timeout, files: the client's own settings apply
    ) -> requests.Response:
        kwargs: dict[str, Any] = {
            "params": params,
            "headers": {**self.headers, **(headers or {})},
            "follow_redirects": allow_redirects,
        }
        if data:
            kwargs["data"] = dict(data)
        if json is not None:
            kwargs["json"] = json
        if auth is not None:
            kwargs["auth"] = auth
        response = self.http.fetch_parsed(method.upper(), url, _json_checked, **kwargs)
        converted = requests.Response()
        converted.status_code = response.status_code
        converted.headers = CaseInsensitiveDict(dict(response.headers.items()))
        converted.raw = io.BytesIO(response.content)
        converted.encoding = response.encoding or "utf-8"
        converted.url = str(response.url)
        converted.reason = response.reason_phrase
        return converted

    def close(self) -> None:
        """The engine owns the client; nothing to close here."""


class SessionRateLimiter(RateLimiter):
    """prawcore's limiter, waiting through the session (injected sleep, counted waits)."""

    def __init__(self, http: HttpSession, *, window_size: int) -> None:
        super().__init__(window_size=window_size)
        self.http = http

    def delay(self) -> None:
        if self.next_request_timestamp_ns is None:
            return
        seconds = (self.next_request_timestamp_ns - time.monotonic_ns()) / NANOSECONDS
        self.next_request_timestamp_ns = None
        self.http.wait(seconds, "Reddit's x-ratelimit budget")


def build_reddit(http: HttpSession, reddit_url: str = "https://www.reddit.com") -> praw.Reddit:
    """A read-only praw ``Reddit`` whose HTTP goes through ``http``."""
    client_id = get_secret("REDDIT_CLIENT_ID")
    client_secret = get_secret("REDDIT_CLIENT_SECRET")
    user_agent = get_secret("REDDIT_USER_AGENT")
    if client_id is None or client_secret is None:
        if not http.replay:
            raise ConfigurationError(
                "reddit needs REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET (and REDDIT_USER_AGENT) "
                "in the environment: create a 'script' app at https://www.reddit.com/prefs/apps"
            )
        ids = ("replay", "replay")  # the cassettes answer; nothing is sent anywhere
    else:
        ids = (client_id.get_secret_value(), client_secret.get_secret_value())
    agent = user_agent.get_secret_value() if user_agent else "grapevine-monitor/0.1 (by grapevine)"
    reddit = praw.Reddit(
        client_id=ids[0],
        client_secret=ids[1],
        user_agent=agent,
        oauth_url=str(http.client.base_url).rstrip("/"),
        reddit_url=reddit_url,
        check_for_updates=False,
        check_for_async=False,
        requestor_kwargs={"session": RequestsBridge(http)},
    )
    limiter = SessionRateLimiter(http, window_size=reddit.config.window_size)
    cores: list[Any] = [reddit._read_only_core, reddit._core]
    for core in cores:
        if core is not None:  # _core is unset until praw authorises
            core._rate_limiter = limiter
    return reddit


def thing_to_mention(thing: Any) -> Mention:
    """Map a listing child (``t3`` submission or ``t1`` comment) to a Mention."""
    if not isinstance(thing, dict) or not isinstance(thing.get("data"), dict):
        raise SkippableRecord(f"reddit: listing child is not a thing: {str(thing)[:80]!r}")
    kind, data = thing.get("kind"), thing["data"]
    name, created = data.get("name"), data.get("created_utc")
    if kind not in ("t1", "t3") or not isinstance(name, str):
        raise SkippableRecord(f"reddit: unexpected thing {kind!r} {name!r}")
    if not isinstance(created, int | float) or isinstance(created, bool):
        raise SkippableRecord(f"reddit: {name} has no created_utc")
    is_comment = kind == "t1"
    body = data.get("body") if is_comment else data.get("selftext")
    author = data.get("author")
    deleted = (
        author in _GONE
        or body in _GONE
        or bool(data.get("removed_by_category"))
        or data.get("removed") is True
    )
    title = data.get("link_title") if is_comment else data.get("title")
    text = "" if body in _GONE else str(body or "")
    if not is_comment and not text and isinstance(title, str) and not deleted:
        text = title
    subreddit = data.get("subreddit")

    def count(field: str) -> int | None:
        value = data.get(field)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    permalink = data.get("permalink")
    return Mention(
        source="reddit",
        external_id=name,
        kind=MentionKind.COMMENT if is_comment else MentionKind.POST,
        created_at=datetime.fromtimestamp(created, UTC),
        text=text,
        title=title if isinstance(title, str) else None,
        url=f"https://www.reddit.com{permalink}" if isinstance(permalink, str) else None,
        community=f"reddit:r/{subreddit}" if isinstance(subreddit, str) else None,
        author=None if author in _GONE or not isinstance(author, str) else author,
        parent_id=data.get("parent_id") if is_comment else None,
        thread_id=data.get("link_id") if is_comment else name,
        score=count("score"),
        comments=None if is_comment else count("num_comments"),
        deleted=deleted,
        raw=data,
    )


@register
class Reddit(Collector):
    name = "reddit"
    default_base_url = "https://oauth.reddit.com"
    is_sorted = True  # later pages walk forward in time with ``before``
    plans_pages = True
    terms_of_use = (
        "Reddit Data API (OAuth app required); Reddit's Developer Terms and Data API Terms "
        "apply: no commercial use without an agreement, honour deletions, attribute Reddit."
    )
    Options = RedditOptions

    options: RedditOptions

    def collect(self, http: HttpSession, search: Search, cursor: Cursor | None) -> Iterator[Page]:
        reddit = build_reddit(http, self.options.reddit_url)
        state: dict[str, Any] = copy.deepcopy(cursor) if cursor else {}
        marks: dict[str, Any] = state.setdefault("streams", {})
        base = {"limit": self.options.limit, "raw_json": 1}
        streams: list[tuple[str, str, dict[str, Any]]] = []
        for term in search.terms:
            query = f'"{term}"' if " " in term else term
            if self.options.search_all:
                streams.append((f"search:all:{term}", "r/all/search/", {"q": query, "sort": "new"}))
            for sub in self.options.subreddits:
                streams.append(
                    (
                        f"search:{sub}:{term}",
                        f"r/{sub}/search/",
                        {"q": query, "sort": "new", "restrict_sr": "on"},
                    )
                )
        if self.options.comments:
            for sub in self.options.subreddits:
                streams.append((f"comments:{sub}", f"r/{sub}/comments/", {}))
        seen: set[str] = set()  # a post found by two streams is yielded once per run
        walks = [
            self._walk(
                reddit,
                path,
                {**base, **params},
                marks.setdefault(key, {"before": None, "at": None, "at_ids": []}),
                state,
                seen,
            )
            for key, path, params in streams
        ]
        # Round-robin within max_pages: every stream's page before any second page.
        yield from round_robin(walks, search.page_budget)

    def _walk(
        self,
        reddit: praw.Reddit,
        path: str,
        params: dict[str, Any],
        mark: dict[str, Any],
        state: Cursor,
        seen: set[str],
    ) -> Iterator[Page]:
        fell_back = False
        while True:
            anchor = mark.get("before")
            query = {**params, "before": anchor} if anchor and not fell_back else params
            listing = _call(reddit, path, query)
            children, more = listing
            mentions, problems = _read(children)
            # Reddit's ``before`` pages hold what is newer than the anchor, many items may
            # share its second, and an API (or a replay) may over-return: keep what is
            # newer than the mark's second, or in it but not yet among its ids.
            since = mark.get("at")
            known = {i for i in [*(mark.get("at_ids") or ()), anchor] if isinstance(i, str)}
            fresh = [
                m
                for m in mentions
                if since is None
                or m.created_at.timestamp() > since
                or (m.created_at.timestamp() == since and m.external_id not in known)
            ]
            if fresh:
                newest = max(fresh, key=lambda m: m.created_at)
                top = newest.created_at.timestamp()
                at_top = {m.external_id for m in fresh if m.created_at.timestamp() == top}
                if top == since:
                    at_top |= known
                mark.update(before=newest.external_id, at=top, at_ids=sorted(at_top))
            unseen = [m for m in fresh if m.external_id not in seen]
            seen.update(m.external_id for m in unseen)
            yield Page(unseen, copy.deepcopy(state), skipped=len(problems), errors=problems)
            if anchor and not children and not fell_back:
                fell_back = True  # the anchor may be gone: read the newest page once
                continue
            if not anchor or fell_back or not fresh or not more:
                return

    @classmethod
    def replay_transport(cls, base_url: str) -> httpx.BaseTransport:
        return cassette_transport(
            "reddit",
            ["TestSubreddit.test_search.json", "TestSubredditListings.test_comments.json"],
            aliases={
                "/r/*/search": "/r/all/search",
                "/r/*/comments": "/r/askreddit/comments",
            },
        )


def _read(children: list[Any]) -> tuple[list[Mention], list[str]]:
    mentions: list[Mention] = []
    problems: list[str] = []
    for child in children:
        try:
            mentions.append(thing_to_mention(child))
        except SkippableRecord as exc:
            problems.append(str(exc))
    return mentions, problems


def _call(reddit: praw.Reddit, path: str, params: dict[str, Any]) -> tuple[list[Any], bool]:
    """One listing request: its children and whether Reddit says there are newer ones."""
    try:
        payload = reddit.request(method="GET", path=path, params=params)
    except prawcore.exceptions.RequestException as exc:
        original = exc.original_exception
        if isinstance(original, CollectorError):
            raise original from None
        raise FatalError(f"reddit request failed: {type(original).__name__}") from None
    except prawcore.exceptions.OAuthException as exc:
        raise ConfigurationError(f"reddit refused the app credentials: {exc.error}") from None
    except prawcore.exceptions.ResponseException as exc:
        raise FatalError(
            f"reddit answered {exc.response.status_code} for /{path}: {type(exc).__name__}"
        ) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise MalformedPayload(f"reddit /{path}: expected a Listing")
    data = payload["data"]
    children = data.get("children")
    if not isinstance(children, list):
        raise MalformedPayload(f"reddit /{path}: the Listing has no children")
    return children, bool(data.get("before"))
