"""Bluesky: ``app.bsky.feed.searchPosts`` with an app password.

Search needs a session: ``BLUESKY_HANDLE`` and ``BLUESKY_APP_PASSWORD`` (an app password
from Settings -> App passwords, never the account password) come from the environment.
The session's tokens are cached per handle for the life of the process (``accessJwt``
lasts about two hours), refreshed with ``refreshJwt`` when the server answers
``ExpiredToken``, and kept as :class:`~pydantic.SecretStr`: they never reach a log line,
a run message or the cursor. The PDS sends IETF ``RateLimit-*`` headers (3,000 requests
per 5 minutes), which :class:`~collectors.http.RateLimitPolicy` reads.

Results are newest first (``sort=latest``); each term keeps its sweep state on ``since``/
``until`` in the cursor: fresh posts of every term first, then history shared round-robin
(see :mod:`collectors.window`), and every page's cursor can be committed.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from collectors.base import Collector, Search, register
from collectors.cassette import cassette_transport
from collectors.errors import (
    CollectorError,
    ConfigurationError,
    FatalError,
    MalformedPayload,
    SkippableRecord,
)
from collectors.http import HttpSession, decode_json, expect_mapping
from collectors.window import Fetched, late_minutes_option, sweep
from config.secrets import get_secret
from core.mention import Cursor, Mention, MentionKind, Page

__all__ = ["Bluesky", "BlueskyOptions", "SessionCache", "post_to_mention"]


class BlueskyOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    limit: int = Field(default=100, ge=1, le=100)
    languages: list[str] = Field(default_factory=list, description="the API's lang filter")
    # a post indexed late is sorted by its (earlier) createdAt, below posts already read
    late_minutes: float = late_minutes_option(5.0)


class _TokenExpired(FatalError):
    """The access token ran out; refresh the session and send again."""


def _classify(response: httpx.Response) -> CollectorError | None:
    if response.status_code in (400, 401):
        try:
            error = response.json().get("error")
        except (ValueError, AttributeError):
            return None
        if error in ("ExpiredToken", "InvalidToken"):
            return _TokenExpired(f"Bluesky session token: {error}", request=response.request)
        if error == "AuthenticationRequired":
            return ConfigurationError(
                "Bluesky refused the session: check BLUESKY_HANDLE / BLUESKY_APP_PASSWORD",
                request=response.request,
            )
    return None


class SessionCache:
    """Access and refresh tokens per handle, shared by every job in the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[SecretStr, SecretStr]] = {}

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()

    def access(self, http: HttpSession, handle: str, password: SecretStr) -> SecretStr:
        with self._lock:
            cached = self._tokens.get(handle)
        if cached is not None:
            return cached[0]
        body = expect_mapping(
            http.fetch_parsed(
                "POST",
                "/com.atproto.server.createSession",
                decode_json,
                json={"identifier": handle, "password": password.get_secret_value()},
                classify=_classify,
            ),
            "createSession",
        )
        return self._keep(handle, body)

    def refresh(self, http: HttpSession, handle: str, password: SecretStr) -> SecretStr:
        with self._lock:
            cached = self._tokens.pop(handle, None)
        if cached is None:
            return self.access(http, handle, password)
        try:
            body = expect_mapping(
                http.fetch_parsed(
                    "POST",
                    "/com.atproto.server.refreshSession",
                    decode_json,
                    headers={"Authorization": f"Bearer {cached[1].get_secret_value()}"},
                    classify=_classify,
                ),
                "refreshSession",
            )
        except _TokenExpired:
            return self.access(http, handle, password)  # the refresh token ran out too
        return self._keep(handle, body)

    def _keep(self, handle: str, body: dict[str, Any]) -> SecretStr:
        access, refresh = body.get("accessJwt"), body.get("refreshJwt")
        if not isinstance(access, str) or not isinstance(refresh, str):
            raise MalformedPayload("Bluesky session response lacks accessJwt/refreshJwt")
        with self._lock:
            self._tokens[handle] = (SecretStr(access), SecretStr(refresh))
        return SecretStr(access)


SESSIONS = SessionCache()


def _time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError(value)
    when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _iso(epoch: float) -> str:
    return (
        datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def post_to_mention(post: Any) -> tuple[Mention, float]:
    """Map one ``postView`` to a Mention, with its sort time (the earlier of the author's
    ``createdAt`` and the relay's ``indexedAt``, as the API's ``since``/``until`` use)."""
    if not isinstance(post, dict) or not isinstance(post.get("record"), dict):
        raise SkippableRecord(f"bluesky: post is not a postView: {str(post)[:80]!r}")
    record, uri = post["record"], post.get("uri")
    try:
        created = _time(record.get("createdAt"))
        indexed = _time(post.get("indexedAt", record.get("createdAt")))
    except ValueError:
        raise SkippableRecord(f"bluesky: post {uri!r} has no readable createdAt") from None
    if not isinstance(uri, str) or not uri.startswith("at://"):
        raise SkippableRecord(f"bluesky: post lacks an at:// uri: {uri!r}")
    author = post["author"] if isinstance(post.get("author"), dict) else {}
    handle = author.get("handle") if isinstance(author.get("handle"), str) else None
    reply = record["reply"] if isinstance(record.get("reply"), dict) else {}
    parent = (reply.get("parent") or {}).get("uri") if reply else None
    root = (reply.get("root") or {}).get("uri") if reply else None
    langs = record.get("langs")

    def count(name: str) -> int | None:
        value = post.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    rkey = uri.rsplit("/", 1)[-1]
    mention = Mention(
        source="bluesky",
        external_id=uri,
        kind=MentionKind.COMMENT if parent else MentionKind.POST,
        created_at=created,
        text=str(record.get("text") or ""),
        url=f"https://bsky.app/profile/{handle or author.get('did')}/post/{rkey}",
        community="bluesky",
        author=handle,
        parent_id=parent,
        thread_id=root or uri,
        score=count("likeCount"),
        comments=count("replyCount"),
        language=langs[0]
        if isinstance(langs, list) and langs and isinstance(langs[0], str)
        else None,
        raw=post,
    )
    return mention, min(created, indexed).timestamp()


@register
class Bluesky(Collector):
    name = "bluesky"
    default_base_url = "https://bsky.social/xrpc"
    is_sorted = True  # newest first, but every cursor is a resumable window
    plans_pages = True
    terms_of_use = (
        "Bluesky posts via the AT Protocol (app.bsky.feed.searchPosts) with an app password; "
        "Bluesky's Terms of Service and Developer Guidelines apply, and deletions must be honoured."
    )
    Options = BlueskyOptions

    options: BlueskyOptions

    def collect(self, http: HttpSession, search: Search, cursor: Cursor | None) -> Iterator[Page]:
        handle = get_secret("BLUESKY_HANDLE")
        password = get_secret("BLUESKY_APP_PASSWORD")
        if (handle is None or password is None) and not http.replay:
            raise ConfigurationError(
                "bluesky needs BLUESKY_HANDLE and BLUESKY_APP_PASSWORD in the environment "
                "(an app password from Settings -> Privacy and security -> App passwords)"
            )
        state: dict[str, Any] = copy.deepcopy(cursor) if cursor else {}
        streams: dict[str, dict[str, Any]] = state.setdefault("windows", {})

        def fetch(term: str, window: dict[str, Any]) -> Fetched:
            params: dict[str, Any] = {"q": term, "sort": "latest", "limit": self.options.limit}
            if window.get("since") is not None:
                params["since"] = _iso(float(window["since"]) + 0.001)
            if window.get("until") is not None:
                params["until"] = _iso(float(window["until"]) + 0.001)  # until is exclusive
            if self.options.languages:
                params["lang"] = self.options.languages[0]
            payload = self._search(http, params, handle, password)
            posts = payload.get("posts")
            if not isinstance(posts, list):
                raise MalformedPayload("searchPosts: the body has no 'posts' list")
            mentions: list[tuple[Mention, float]] = []
            problems: list[str] = []
            for post in posts:
                try:
                    mentions.append(post_to_mention(post))
                except SkippableRecord as exc:
                    problems.append(str(exc))
            more = bool(payload.get("cursor")) and len(posts) >= self.options.limit
            return Fetched(mentions, more=more, skipped=len(problems), errors=problems)

        yield from sweep(
            list(search.terms),
            streams,
            fetch,
            snapshot=lambda: copy.deepcopy(state),
            budget=search.page_budget,
            lookback=self.options.late_minutes * 60,
        )

    def _search(
        self,
        http: HttpSession,
        params: dict[str, Any],
        handle: SecretStr | None,
        password: SecretStr | None,
    ) -> dict[str, Any]:
        path = "/app.bsky.feed.searchPosts"
        if handle is None or password is None:  # replay: the recordings need no session
            return expect_mapping(http.get_json(path, params, classify=_classify), "searchPosts")
        name = handle.get_secret_value()
        token = SESSIONS.access(http, name, password)
        try:
            return self._authorized(http, path, params, token)
        except _TokenExpired:
            token = SESSIONS.refresh(http, name, password)
            return self._authorized(http, path, params, token)

    @staticmethod
    def _authorized(
        http: HttpSession, path: str, params: dict[str, Any], token: SecretStr
    ) -> dict[str, Any]:
        auth = {"Authorization": f"Bearer {token.get_secret_value()}"}
        return expect_mapping(
            http.get_json(path, params, headers=auth, classify=_classify), "searchPosts"
        )

    @classmethod
    def replay_transport(cls, base_url: str) -> httpx.BaseTransport:
        return cassette_transport("bluesky", ["searchPosts.yml"])
