"""Mastodon: hashtag timelines and status search on configured instances.

Hashtag timelines (``/api/v1/timelines/tag/:tag``) are public and need no account; status
search (``/api/v2/search?type=statuses``) needs an access token (``MASTODON_ACCESS_TOKEN``)
on most instances, so it is opt-in. Instances allow 300 requests per 5 minutes per IP or
token and send ``X-RateLimit-Reset`` as an ISO-8601 timestamp, which
:class:`~collectors.http.RateLimitPolicy` reads.

Timelines return newest first, so every tag (and every status search, read the same way)
is a stream of sweep windows (:mod:`collectors.window`): each run first reads what is
newer than the newest stored status (fresh first, so a busy tag never leaves the latest
posts waiting behind a backlog, as walking forward from ``min_id`` did), then spends the
rest of the page budget on what is older. A window's bounds are status ids: Mastodon ids
are snowflakes, the creation time in milliseconds shifted left by 16 bits, so an instant
maps to ids (``max_id`` for a window's top, ``since_id`` for its bottom on timelines;
search takes no ``since_id``, so its sweep ends at the first status at or below the
bottom). Every page's cursor can be committed (``is_sorted``). An instance gives a status
from another instance an id from its publication time, so a status that federates late
lands below statuses already read: each run re-reads a margin below the newest stored
status (``late_minutes``, at most ten pages) and stores what it had missed. Statuses are
keyed by their ActivityPub ``uri``, so one post seen through two instances is stored once;
a reply's ``in_reply_to_id`` is local to the instance, so its parent is stored as the
parent's ``uri`` too — known from the statuses already seen, else looked up once with
``/api/v1/statuses/:id`` (a bounded number per run) — so brand replies count as answers.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections import OrderedDict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from collectors.base import Collector, Search, register
from collectors.cassette import cassette_transport
from collectors.errors import (
    CollectorError,
    ConfigurationError,
    MalformedPayload,
    SkippableRecord,
    Stopped,
)
from collectors.http import HttpSession
from collectors.text import html_to_text
from collectors.window import Fetched, late_minutes_option, sweep
from config.secrets import get_secret
from core.mention import Cursor, Mention, MentionKind, Page

__all__ = [
    "Mastodon",
    "MastodonOptions",
    "hashtags_for",
    "id_instant",
    "ids_above",
    "ids_up_to",
    "status_to_mention",
]

_TAG = re.compile(r"^\w+$")
_SNOWFLAKE_SHIFT = 16  # a status id is (milliseconds since the epoch << 16) | sequence


def id_instant(local_id: int) -> float:
    """The instant (epoch seconds, millisecond precision) a snowflake status id encodes."""
    return (local_id >> _SNOWFLAKE_SHIFT) / 1000


def ids_above(instant: float) -> str:
    """``since_id`` for statuses created after ``instant``'s millisecond."""
    return str(((round(instant * 1000) + 1) << _SNOWFLAKE_SHIFT) - 1)


def ids_up_to(instant: float) -> str:
    """``max_id`` (exclusive) for statuses created at or before ``instant``'s millisecond."""
    return str((round(instant * 1000) + 1) << _SNOWFLAKE_SHIFT)


class MastodonOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    instances: list[str] = Field(
        default_factory=list, description="instance URLs; empty = the source's base_url"
    )
    hashtags: list[str] = Field(default_factory=list, description="extra hashtags to follow")
    search: bool = Field(default=False, description="status search (needs an access token)")
    limit: int = Field(default=40, ge=1, le=40)
    # a status from another instance gets an id from its publication time, so one that
    # federates late lands below statuses already read
    late_minutes: float = late_minutes_option(10.0)


def hashtags_for(terms: list[str] | tuple[str, ...], extra: list[str]) -> list[str]:
    """Hashtags to follow: configured ones plus every search term that can be a tag
    (``"espresso machine"`` -> ``espressomachine``)."""
    tags: list[str] = []
    for candidate in [*extra, *terms]:
        # Phrases arrive quoted from the query ('"stop and go"' -> stopandgo).
        tag = candidate.strip().strip('"').strip().lstrip("#").replace(" ", "").lower()
        if tag and _TAG.match(tag) and tag not in tags:
            tags.append(tag)
    return tags


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError(value)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def status_to_mention(status: Any, host: str, parent_uri: str | None = None) -> Mention:
    """Map one Mastodon status (as any instance serves it) to a Mention.

    ``parent_uri`` is the ActivityPub ``uri`` of the status it replies to, when known: the
    instance-local ``in_reply_to_id`` would never match a stored ``external_id``."""
    if not isinstance(status, dict):
        raise SkippableRecord(f"mastodon {host}: status is not an object: {str(status)[:80]!r}")
    uri, local_id = status.get("uri"), status.get("id")
    try:
        created = _parse_time(status.get("created_at"))
    except ValueError:
        raise SkippableRecord(f"mastodon {host}: status {local_id!r} has no created_at") from None
    if not isinstance(uri, str) or not isinstance(local_id, str):
        raise SkippableRecord(f"mastodon {host}: status lacks uri or id")
    account = status["account"] if isinstance(status.get("account"), dict) else {}
    acct = account.get("acct")
    spoiler = status.get("spoiler_text") or None

    def count(name: str) -> int | None:
        value = status.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    reply_to = status.get("in_reply_to_id")
    return Mention(
        source="mastodon",
        external_id=uri,
        kind=MentionKind.COMMENT if reply_to else MentionKind.POST,
        created_at=created,
        text=html_to_text(status.get("content") or status.get("text") or ""),
        title=spoiler if isinstance(spoiler, str) else None,
        url=status.get("url") if isinstance(status.get("url"), str) else uri,
        community=f"mastodon:{host}",
        author=acct if isinstance(acct, str) else None,
        parent_id=parent_uri if reply_to else None,
        score=count("favourites_count"),
        comments=count("replies_count"),
        language=status.get("language") if isinstance(status.get("language"), str) else None,
        raw=status,
    )


class _Parents:
    """Instance-local status ids to ActivityPub URIs: remembered from every status seen
    (bounded), and looked up at most ``lookups`` times per run."""

    def __init__(self, http: HttpSession, headers: dict[str, str], lookups: int = 50) -> None:
        self._http = http
        self._headers = headers
        self._known: OrderedDict[str, str | None] = OrderedDict()
        self._lookups = lookups

    def remember(self, host: str, local_id: str, uri: str | None) -> None:
        self._known[f"{host}|{local_id}"] = uri
        while len(self._known) > 10_000:
            self._known.popitem(last=False)

    def link(self, mention: Mention, base: str, host: str) -> Mention:
        local = mention.raw.get("in_reply_to_id")
        if not local:
            return mention
        key = f"{host}|{local}"
        if key not in self._known:
            if self._lookups <= 0:
                return mention
            self._lookups -= 1
            try:
                status = self._http.get_json(
                    f"{base}/api/v1/statuses/{local}", headers=self._headers
                )
            except Stopped:
                raise
            except CollectorError:
                status = None  # deleted, private or refused: the reply stays unlinked
            uri = status.get("uri") if isinstance(status, dict) else None
            self.remember(host, str(local), uri if isinstance(uri, str) else None)
        parent = self._known.get(key)
        return dataclasses.replace(mention, parent_id=parent) if parent else mention


@dataclasses.dataclass(frozen=True)
class _Walk:
    """One stream: a hashtag timeline or a status search on one instance."""

    host: str
    url: str
    params: dict[str, Any]
    list_key: str | None  # search answers {"statuses": [...]}, a timeline a bare list


@register
class Mastodon(Collector):
    name = "mastodon"
    default_base_url = "https://mastodon.social"
    is_sorted = True  # newest first, but every cursor is a resumable window
    plans_pages = True  # round-robin across tags and searches within max_pages
    terms_of_use = (
        "Public Mastodon statuses through each instance's REST API; every instance sets "
        "its own terms, and authors keep their rights (respect #nobot and deletions)."
    )
    Options = MastodonOptions

    options: MastodonOptions

    def collect(self, http: HttpSession, search: Search, cursor: Cursor | None) -> Iterator[Page]:
        state: dict[str, Any] = copy.deepcopy(cursor) if cursor else {}
        streams: dict[str, dict[str, Any]] = state.setdefault("windows", {})
        for key, mark in state.pop("min_id", {}).items():
            # A cursor from before the sweep windows read forward from ``min_id``: what it
            # covers is stored, so it becomes the stream's head.
            if key not in streams and str(mark).isdigit():
                streams[key] = {"head": id_instant(int(mark)), "gaps": []}
        headers: dict[str, str] = {}
        if self.options.search:
            token = get_secret("MASTODON_ACCESS_TOKEN")
            if token is None and not http.replay:
                raise ConfigurationError(
                    "sources.mastodon.search needs MASTODON_ACCESS_TOKEN in the environment "
                    "(an application token with read:search); or set search = false"
                )
            if token is not None:
                headers["Authorization"] = f"Bearer {token.get_secret_value()}"
        instances = self.options.instances or [str(http.client.base_url).rstrip("/")]
        tags = hashtags_for(list(search.terms), self.options.hashtags)
        walks: dict[str, _Walk] = {}
        instance_of: dict[str, tuple[str, str]] = {}  # a mention's community: (base, host)
        for instance in instances:
            base = instance.rstrip("/")
            host = httpx.URL(base).host or base
            instance_of[f"mastodon:{host}"] = (base, host)
            for tag in tags:
                url = f"{base}/api/v1/timelines/tag/{tag}"
                walks[f"{host}|tag:{tag}"] = _Walk(host, url, {}, None)
            if self.options.search:
                for term in search.terms:
                    query = {"q": term, "type": "statuses", "resolve": "false"}
                    url = f"{base}/api/v2/search"
                    walks[f"{host}|search:{term}"] = _Walk(host, url, query, "statuses")
        parents = _Parents(http, headers)

        def fetch(key: str, window: dict[str, Any]) -> Fetched:
            walk = walks[key]
            query: dict[str, Any] = {**walk.params, "limit": self.options.limit}
            if window.get("until") is not None:
                query["max_id"] = ids_up_to(float(window["until"]))
            if window.get("since") is not None and walk.list_key is None:
                query["since_id"] = ids_above(float(window["since"]))
            payload = http.get_json(walk.url, query, headers=headers)
            listed = (
                payload.get(walk.list_key)
                if walk.list_key and isinstance(payload, dict)
                else payload
            )
            if not isinstance(listed, list):
                raise MalformedPayload(
                    f"mastodon {walk.host}: expected a list of statuses at {walk.url}"
                )
            taken: list[tuple[Mention, float]] = []
            problems: list[str] = []
            for status in listed:
                try:
                    mention = status_to_mention(status, walk.host)
                except SkippableRecord as exc:
                    problems.append(str(exc))
                    continue
                local = str(mention.raw["id"])
                if not local.isdigit():
                    problems.append(f"mastodon {walk.host}: status id {local!r} is not numeric")
                    continue
                parents.remember(walk.host, local, mention.external_id)
                taken.append((mention, id_instant(int(local))))
            more = len(listed) >= self.options.limit
            return Fetched(taken, more=more, skipped=len(problems), errors=problems)

        seen: set[str] = set()  # one status can carry several followed tags
        for page in sweep(
            list(walks),
            streams,
            fetch,
            snapshot=lambda: copy.deepcopy(state),
            budget=search.page_budget,
            # Paging inside one crowded millisecond has no API parameter: after a page
            # that all falls on it, the window steps below it.
            page_limit=1,
            step=0.001,
            lookback=self.options.late_minutes * 60,
        ):
            mentions = []
            for mention in page.mentions:
                if mention.external_id not in seen:
                    seen.add(mention.external_id)
                    mentions.append(parents.link(mention, *instance_of[mention.community or ""]))
            yield dataclasses.replace(page, mentions=mentions)

    @classmethod
    def replay_transport(cls, base_url: str) -> httpx.BaseTransport:
        return cassette_transport(
            "mastodon",
            ["test_hashtag_tl.yaml", "test_search.yaml"],
            aliases={"/api/v1/timelines/tag/*": "/api/v1/timelines/tag/hoot"},
        )
