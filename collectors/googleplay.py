"""Google Play reviews through the Play Store's ``batchexecute`` endpoint.

Google offers no public review API for apps one does not own, so this follows what
``google-play-scraper`` does: it builds the request body with the library's
``Formats.Reviews`` and reads each review with its ``ElementSpecs.Review`` paths. The
request itself goes through the shared :class:`HttpSession` rather than the library's
``urllib`` call, so retries, 429 waits, accounting and offline replay work as for every
other source (and nothing sleeps outside the injected clock). No key or account; Google
throttles by IP without documented figures, answering 429 when pushed.

Reviews come newest first (``Sort.NEWEST``) with a continuation token; each app sweeps
until it meets the newest review already stored (by id, or by time) and the mark moves
when the sweep ends (``is_sorted`` False). A developer's reply to a review is kept as its
own mention (kind ``comment``, parent = the review, author = the developer): it is the
brand answering a complaint, which the response-rate figures count.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
from google_play_scraper import Sort
from google_play_scraper.constants.element import ElementSpecs
from google_play_scraper.constants.regex import Regex
from google_play_scraper.constants.request import Formats
from pydantic import BaseModel, ConfigDict, Field

from collectors.base import Collector, Route, Search, register
from collectors.errors import MalformedPayload, SkippableRecord
from collectors.http import HttpSession
from core.mention import Cursor, Mention, MentionKind, Page

__all__ = ["GooglePlay", "GooglePlayOptions", "parse_batch", "review_to_mentions"]

_FIELDS = ("reviewId", "userName", "content", "score", "thumbsUpCount", "reviewCreatedVersion")


class GooglePlayApp(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9_.]+$", description="package name, e.g. com.example.app")
    lang: str = "en"
    country: str = "us"
    developer: str | None = Field(default=None, description="name shown on developer replies")


class GooglePlayOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    apps: list[GooglePlayApp] = Field(default_factory=list)
    count: int = Field(default=100, ge=1, le=200, description="reviews per request")


def parse_batch(response: httpx.Response) -> tuple[list[Any], str | None]:
    """Reviews and the continuation token from a ``batchexecute`` response."""
    found = Regex.REVIEWS.findall(response.text)
    try:
        envelope = json.loads(found[0])
        inner = envelope[0][2]
        payload = json.loads(inner) if inner is not None else []
    except (IndexError, TypeError, ValueError):
        raise MalformedPayload(
            f"not a batchexecute reviews response; starts with {response.text[:80]!r}",
            request=response.request,
        ) from None
    if not isinstance(payload, list):
        raise MalformedPayload(
            "batchexecute reviews payload is not a list", request=response.request
        )
    reviews = payload[0] if payload and isinstance(payload[0], list) else []
    try:
        token = payload[-2][-1]
    except (IndexError, TypeError, KeyError):
        token = None
    return reviews, token if isinstance(token, str) else None


def _epoch(value: Any) -> datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    return None


def review_to_mentions(review: Any, app: GooglePlayApp) -> list[Mention]:
    """The review, plus the developer's reply to it when there is one."""
    if not isinstance(review, list):
        raise SkippableRecord(f"googleplay {app.id}: review is not a list: {str(review)[:80]!r}")
    fields = {name: ElementSpecs.Review[name].extract_content(review) for name in _FIELDS}
    review_id = fields["reviewId"]
    created = _epoch(review[5][0]) if len(review) > 5 and isinstance(review[5], list) else None
    if not isinstance(review_id, str) or created is None:
        raise SkippableRecord(f"googleplay {app.id}: review {review_id!r} lacks an id or a date")
    score = fields["score"]
    url = f"https://play.google.com/store/apps/details?id={app.id}&reviewId={review_id}"
    raw = {**fields, "at": created.isoformat(), "app_id": app.id}
    reply = review[7] if len(review) > 7 and isinstance(review[7], list) else None
    replied = _epoch(reply[2][0]) if reply and len(reply) > 2 and reply[2] else None
    if reply is not None:
        raw.update(
            replyContent=reply[1] if len(reply) > 1 else None,
            repliedAt=replied and replied.isoformat(),
        )
    mentions = [
        Mention(
            source="googleplay",
            external_id=review_id,
            kind=MentionKind.REVIEW,
            created_at=created,
            text=str(fields["content"] or ""),
            url=url,
            community=f"googleplay:{app.id}",
            author=fields["userName"] if isinstance(fields["userName"], str) else None,
            thread_id=review_id,
            rating=score if isinstance(score, int) else None,
            helpful_votes=fields["thumbsUpCount"]
            if isinstance(fields["thumbsUpCount"], int)
            else None,
            language=app.lang,
            raw=raw,
        )
    ]
    if reply is not None and replied is not None and isinstance(reply[1], str):
        developer = reply[0] if isinstance(reply[0], str) else app.developer
        mentions.append(
            Mention(
                source="googleplay",
                external_id=f"{review_id}:reply",
                kind=MentionKind.COMMENT,
                created_at=replied,
                text=reply[1],
                url=url,
                community=f"googleplay:{app.id}",
                author=developer,
                parent_id=review_id,
                thread_id=review_id,
                language=app.lang,
                raw={
                    "reviewId": review_id,
                    "replyContent": reply[1],
                    "repliedAt": replied.isoformat(),
                },
            )
        )
    return mentions


@register
class GooglePlay(Collector):
    name = "googleplay"
    default_base_url = "https://play.google.com"
    is_sorted = False
    terms_of_use = (
        "Google Play reviews read from the public store pages (as google-play-scraper does); "
        "no official API covers other developers' apps, and Google Play's Terms of Service apply."
    )
    Options = GooglePlayOptions

    options: GooglePlayOptions

    def collect(self, http: HttpSession, search: Search, cursor: Cursor | None) -> Iterator[Page]:
        state: dict[str, Any] = copy.deepcopy(cursor) if cursor else {}
        marks: dict[str, Any] = state.setdefault("apps", {})
        for app in self.options.apps:
            key = f"{app.id}/{app.lang}/{app.country}"
            mark = marks.setdefault(key, {"id": None, "at": None})
            yield from self._sweep(http, app, mark, state)

    def _sweep(
        self, http: HttpSession, app: GooglePlayApp, mark: dict[str, Any], state: Cursor
    ) -> Iterator[Page]:
        last_id, since = mark.get("id"), mark.get("at")
        newest: tuple[str, float] | None = None
        token: str | None = None
        while True:
            body = Formats.Reviews.build_body(
                app.id, Sort.NEWEST.value, self.options.count, "null", "null", token
            )
            reviews, token = http.fetch_parsed(
                "POST",
                "/_/PlayStoreUi/data/batchexecute",
                parse_batch,
                params={"hl": app.lang, "gl": app.country},
                content=body,
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
            mentions: list[Mention] = []
            problems: list[str] = []
            reached = False
            for review in reviews:
                try:
                    found = review_to_mentions(review, app)
                except SkippableRecord as exc:
                    problems.append(str(exc))
                    continue
                first = found[0]
                stamp = first.created_at.timestamp()
                if first.external_id == last_id or (since is not None and stamp < since):
                    reached = True
                    break
                if newest is None or stamp > newest[1]:
                    newest = (first.external_id, stamp)
                mentions.extend(found)
            done = reached or token is None or not reviews
            if done and newest is not None:
                mark.update(id=newest[0], at=newest[1])
            yield Page(mentions, copy.deepcopy(state), skipped=len(problems), errors=problems)
            if done:
                return

    @classmethod
    def replay_routes(cls) -> list[Route]:
        def next_page(request: httpx.Request) -> bool:
            return b"gp-page-2" in request.content

        js = (("content-type", "application/json; charset=utf-8"),)
        path = "/_/PlayStoreUi/data/batchexecute"
        return [
            Route(path, "reviews_page2.txt", method="POST", when=next_page, headers=js),
            Route(path, "reviews_page1.txt", method="POST", headers=js),
        ]
