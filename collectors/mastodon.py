"""Mastodon: hashtag timelines and status search on configured instances.

Hashtag timelines (``/api/v1/timelines/tag/:tag``) are public and need no account; status
search (``/api/v2/search?type=statuses``) needs an access token (``MASTODON_ACCESS_TOKEN``)
on most instances, so it is opt-in. Instances allow 300 requests per 5 minutes per IP or
token and send ``X-RateLimit-Reset`` as an ISO-8601 timestamp, which
:class:`~collectors.http.RateLimitPolicy` reads.

Paging walks *forward* with ``min_id``: each page holds the statuses right after the
cursor, so every page's cursor can be committed (``is_sorted``). A first run takes only
the newest page instead of crawling the timeline's history. Statuses are keyed by their
ActivityPub ``uri``, so one post seen through two instances is stored once; a reply's
``in_reply_to_id`` is local to the instance, so its parent is stored as the parent's
``uri`` too — known from the statuses already seen, else looked up once with
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
from collectors.window import round_robin
from config.secrets import get_secret
from core.mention import Cursor, Mention, MentionKind, Page

__all__ = ["Mastodon", "MastodonOptions", "hashtags_for", "status_to_mention"]

_TAG = re.compile(r"^\w+$")


class MastodonOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    instances: list[str] = Field(
        default_factory=list, description="instance URLs; empty = the source's base_url"
    )
    hashtags: list[str] = Field(default_factory=list, description="extra hashtags to follow")
    search: bool = Field(default=False, description="status search (needs an access token)")
    limit: int = Field(default=40, ge=1, le=40)


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


@register
class Mastodon(Collector):
    name = "mastodon"
    default_base_url = "https://mastodon.social"
    is_sorted = True  # pages walk forward in time with min_id
    plans_pages = True  # round-robin across tags and searches within max_pages
    terms_of_use = (
        "Public Mastodon statuses through each instance's REST API; every instance sets "
        "its own terms, and authors keep their rights (respect #nobot and deletions)."
    )
    Options = MastodonOptions

    options: MastodonOptions

    def collect(self, http: HttpSession, search: Search, cursor: Cursor | None) -> Iterator[Page]:
        state: dict[str, Any] = copy.deepcopy(cursor) if cursor else {}
        marks: dict[str, Any] = state.setdefault("min_id", {})
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
        seen: set[str] = set()  # one status can carry several followed tags
        parents = _Parents(http, headers)
        streams: list[Iterator[Page]] = []
        for instance in instances:
            base = instance.rstrip("/")
            host = httpx.URL(base).host or base
            walks: list[tuple[str, dict[str, Any], str, str | None]] = [
                (f"{base}/api/v1/timelines/tag/{tag}", {}, f"tag:{tag}", None) for tag in tags
            ]
            if self.options.search:
                walks += [
                    (
                        f"{base}/api/v2/search",
                        {"q": term, "type": "statuses", "resolve": "false"},
                        f"search:{term}",
                        "statuses",
                    )
                    for term in search.terms
                ]
            for url, params, name, list_key in walks:
                streams.append(
                    self._walk(
                        http,
                        url,
                        params,
                        f"{host}|{name}",
                        host,
                        marks,
                        state,
                        headers,
                        seen,
                        list_key=list_key,
                        parents=parents,
                        base=base,
                    )
                )
        # Every tag and search gets its page before any gets a second (round-robin).
        yield from round_robin(streams, search.page_budget)

    def _walk(
        self,
        http: HttpSession,
        url: str,
        params: dict[str, Any],
        key: str,
        host: str,
        marks: dict[str, Any],
        state: Cursor,
        headers: dict[str, str],
        seen: set[str],
        list_key: str | None,
        parents: _Parents,
        base: str,
    ) -> Iterator[Page]:
        while True:
            min_id = marks.get(key)
            query = {**params, "limit": self.options.limit}
            if min_id is not None:
                query["min_id"] = min_id
            payload = http.get_json(url, query, headers=headers)
            statuses = payload.get(list_key) if list_key and isinstance(payload, dict) else payload
            if not isinstance(statuses, list):
                raise MalformedPayload(f"mastodon {host}: expected a list of statuses at {url}")
            mentions: list[Mention] = []
            problems: list[str] = []
            newest = int(min_id) if min_id is not None else None
            for status in statuses:
                try:
                    mention = status_to_mention(status, host)
                except SkippableRecord as exc:
                    problems.append(str(exc))
                    continue
                local = int(mention.raw["id"]) if str(mention.raw["id"]).isdigit() else None
                if local is None:
                    problems.append(
                        f"mastodon {host}: status id {mention.raw['id']!r} is not numeric"
                    )
                    continue
                if min_id is not None and local <= int(min_id):
                    continue  # the API over-returned what the cursor already covers
                newest = local if newest is None else max(newest, local)
                if mention.external_id not in seen:
                    seen.add(mention.external_id)
                    mentions.append(mention)
            for mention in mentions:
                parents.remember(host, str(mention.raw["id"]), mention.external_id)
            mentions = [parents.link(m, base, host) for m in mentions]
            if newest is not None:
                marks[key] = str(newest)
            yield Page(mentions, copy.deepcopy(state), skipped=len(problems), errors=problems)
            if min_id is None or len(statuses) < self.options.limit or newest == int(min_id):
                return  # a first run takes the newest page only; a short page is the end

    @classmethod
    def replay_transport(cls, base_url: str) -> httpx.BaseTransport:
        return cassette_transport(
            "mastodon",
            ["test_hashtag_tl.yaml", "test_search.yaml"],
            aliases={"/api/v1/timelines/tag/*": "/api/v1/timelines/tag/hoot"},
        )
