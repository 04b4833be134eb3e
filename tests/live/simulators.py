"""Loopback simulators of the Hacker News (Algolia) and Stack Exchange search APIs.

Each follows its API's documented paging and filters, over a corpus that tests grow
between runs (``publish``), so collection is tried against a service that behaves like
the live one rather than against a fixed recording:

- Algolia ``/search_by_date``: ``query``, ``tags``, ``numericFilters`` on ``created_at_i``
  (``<``, ``<=``, ``>``, ``>=``, comma = AND), ``hitsPerPage`` (<= 1,000), ``page`` (from 0),
  newest first, ``nbHits``/``nbPages``, and the 1,000-hit cap: no filter serves more than
  the first 1,000 hits, however many pages you ask for.
- Bluesky ``app.bsky.feed.searchPosts``: ``q``, ``sort=latest``, ``limit``, ``since``
  (inclusive) and ``until`` (exclusive) datetimes, and a ``cursor`` while more remain.
- Stack Exchange 2.3 ``/search/advanced``: ``q``, ``site``, ``fromdate``/``todate``
  (inclusive, epoch seconds), ``sort=creation``, ``order=desc``, ``page`` (from 1),
  ``pagesize`` (<= 100), ``has_more``, ``quota_max``/``quota_remaining`` and an optional
  ``backoff``.

Both are ``httpx.MockTransport`` handlers; :class:`LoopbackServer` puts any handler (or a
raw misbehaviour: trickling, never answering) behind a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import math
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

ALGOLIA_MAX_HITS = 1000
_FILTER = re.compile(r"^\s*created_at_i\s*(<=|>=|<|>|=)\s*(\d+)\s*$")


@dataclasses.dataclass(frozen=True)
class Post:
    """One item of a simulated corpus."""

    id: int
    created: int  # epoch seconds
    text: str
    title: str = ""


def _matches(post: Post, query: str) -> bool:
    needle = query.strip().strip('"').casefold()
    return needle in f"{post.title}\n{post.text}".casefold()


class Corpus:
    """Posts that a simulator serves; tests ``publish`` more between runs."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self._next_id = 1

    def publish(self, text: str, created: int, title: str = "") -> Post:
        post = Post(self._next_id, created, text, title)
        self._next_id += 1
        self.posts.append(post)
        return post

    def history(self, term: str, count: int, *, newest: int, step: int = 60) -> list[Post]:
        """``count`` posts naming ``term``, one every ``step`` seconds back from ``newest``."""
        return [self.publish(f"{term} post {i}", newest - i * step) for i in range(count)]

    def search(self, query: str) -> list[Post]:
        found = [p for p in self.posts if _matches(p, query)]
        return sorted(found, key=lambda p: (p.created, p.id), reverse=True)


class AlgoliaSimulator:
    """``/search_by_date`` over a :class:`Corpus`, as hn.algolia.com/api/v1 documents it."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not request.url.path.endswith("/search_by_date"):
            return httpx.Response(404, json={"message": "Not Found"}, request=request)
        params = request.url.params
        per_page = min(int(params.get("hitsPerPage", "20")), ALGOLIA_MAX_HITS)
        page = int(params.get("page", "0"))
        hits = self.corpus.search(params.get("query", ""))
        for clause in filter(None, params.get("numericFilters", "").split(",")):
            match = _FILTER.match(clause)
            if match is None:
                return httpx.Response(400, json={"message": f"bad filter {clause}"})
            op, value = match.group(1), int(match.group(2))
            hits = [h for h in hits if _compare(h.created, op, value)]
        total = len(hits)
        servable = hits[:ALGOLIA_MAX_HITS]
        pages = min(math.ceil(total / per_page), math.ceil(ALGOLIA_MAX_HITS / per_page))
        served = servable[page * per_page : (page + 1) * per_page] if page < pages else []
        body = {
            "hits": [_algolia_hit(p) for p in served],
            "nbHits": total,
            "page": page,
            "nbPages": pages,
            "hitsPerPage": per_page,
            "exhaustiveNbHits": True,
            "query": params.get("query", ""),
            "params": str(request.url.query, "ascii"),
            "processingTimeMS": 1,
        }
        return httpx.Response(200, json=body, request=request)


def _compare(a: int, op: str, b: int) -> bool:
    return {"<=": a <= b, ">=": a >= b, "<": a < b, ">": a > b, "=": a == b}[op]


def _algolia_hit(post: Post) -> dict[str, Any]:
    return {
        "created_at": datetime.fromtimestamp(post.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "title": None,
        "url": None,
        "author": f"user{post.id % 97}",
        "points": None,
        "story_text": None,
        "comment_text": post.text,
        "num_comments": None,
        "story_id": 1,
        "story_title": post.title or "Ask HN: tools?",
        "story_url": None,
        "parent_id": 1,
        "created_at_i": post.created,
        "_tags": ["comment", f"author_user{post.id % 97}", "story_1"],
        "objectID": str(post.id),
    }


class StackExchangeSimulator:
    """``/2.3/search/advanced`` over a :class:`Corpus` (one site), with a daily quota."""

    def __init__(self, corpus: Corpus, *, quota: int = 10_000, backoff: int | None = None):
        self.corpus = corpus
        self.quota_max = quota
        self.quota_remaining = quota
        self.backoff = backoff
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not request.url.path.endswith("/search/advanced"):
            return httpx.Response(
                404,
                json={"error_id": 404, "error_name": "no_method", "error_message": "no method"},
                request=request,
            )
        if self.quota_remaining <= 0:
            return httpx.Response(
                400,
                json={
                    "error_id": 502,
                    "error_name": "throttle_violation",
                    "error_message": "too many requests from this IP, more requests "
                    "available in 80000 seconds",
                },
                request=request,
            )
        self.quota_remaining -= 1
        params = request.url.params
        pagesize = min(int(params.get("pagesize", "30")), 100)
        page = int(params.get("page", "1"))
        items = self.corpus.search(params.get("q", ""))
        if "fromdate" in params:
            items = [p for p in items if p.created >= int(params["fromdate"])]
        if "todate" in params:
            items = [p for p in items if p.created <= int(params["todate"])]
        served = items[(page - 1) * pagesize : page * pagesize]
        site = params.get("site", "stackoverflow")
        body: dict[str, Any] = {
            "items": [_question(p, site) for p in served],
            "has_more": page * pagesize < len(items),
            "quota_max": self.quota_max,
            "quota_remaining": self.quota_remaining,
        }
        if self.backoff is not None:
            body["backoff"] = self.backoff
        return httpx.Response(200, json=body, request=request)


def _question(post: Post, site: str) -> dict[str, Any]:
    return {
        "tags": ["tools"],
        "owner": {"account_id": post.id, "display_name": f"user{post.id % 97}"},
        "is_answered": False,
        "view_count": 3,
        "answer_count": 0,
        "score": 1,
        "last_activity_date": post.created,
        "creation_date": post.created,
        "question_id": post.id,
        "link": f"https://{site}.com/questions/{post.id}",
        "title": post.title or post.text,
        "body": f"<p>{post.text}</p>",
    }


class BlueskySimulator:
    """``app.bsky.feed.searchPosts`` (``sort=latest``) over a :class:`Corpus`: ``q``,
    ``limit`` (<= 100), ``since`` (inclusive) and ``until`` (exclusive) as ISO datetimes,
    and an opaque ``cursor`` while more results remain."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        params = request.url.params
        limit = min(int(params.get("limit", "25")), 100)
        offset = int(params.get("cursor", "0"))
        posts = self.corpus.search(params.get("q", ""))
        if "since" in params:
            since = _iso_epoch(params["since"])
            posts = [p for p in posts if p.created >= since]
        if "until" in params:
            until = _iso_epoch(params["until"])
            posts = [p for p in posts if p.created < until]
        served = posts[offset : offset + limit]
        body: dict[str, Any] = {"posts": [_bluesky_post(p) for p in served]}
        if offset + limit < len(posts):
            body["cursor"] = str(offset + limit)
        return httpx.Response(200, json=body, request=request)


def _iso_epoch(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _bluesky_post(post: Post) -> dict[str, Any]:
    at = datetime.fromtimestamp(post.created, UTC).isoformat().replace("+00:00", "Z")
    return {
        "uri": f"at://did:plc:user{post.id % 97}/app.bsky.feed.post/{post.id}",
        "cid": f"cid{post.id}",
        "author": {"did": f"did:plc:user{post.id % 97}", "handle": f"user{post.id % 97}.bsky"},
        "record": {"$type": "app.bsky.feed.post", "text": post.text, "createdAt": at},
        "indexedAt": at,
        "likeCount": 0,
        "replyCount": 0,
    }


# --- a real loopback server --------------------------------------------------------------


class LoopbackServer:
    """A threading HTTP server on 127.0.0.1 that answers with an httpx handler or a raw
    behaviour (see :func:`trickle`, :func:`never_answer`). ``release`` ends hung answers."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response] | Raw) -> None:
        self.answer = answer
        self.release = threading.Event()
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                self.do_GET()

            def do_GET(self) -> None:
                outer.requests += 1
                try:
                    if isinstance(outer.answer, Raw):
                        outer.answer(self)
                        return
                    request = httpx.Request("GET", f"http://127.0.0.1{self.path}")
                    write_response(self, outer.answer(request))
                except OSError:
                    pass  # the client gave up

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/v1"

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        if isinstance(self.answer, Raw):
            self.answer.release.set()
        self.server.shutdown()
        self.server.server_close()


class Raw:
    """A raw behaviour: ``behave(handler, release)`` writes (or withholds) the answer."""

    def __init__(self, behave: Callable[[BaseHTTPRequestHandler, threading.Event], None]):
        self.behave = behave
        self.release = threading.Event()

    def __call__(self, handler: BaseHTTPRequestHandler) -> None:
        self.behave(handler, self.release)


def write_response(handler: BaseHTTPRequestHandler, response: httpx.Response) -> None:
    """Send an httpx response through a raw handler."""
    body = response.content
    handler.send_response(response.status_code)
    for name, value in response.headers.items():
        if name.lower() not in ("content-length", "transfer-encoding"):
            handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def trickle(every: float = 0.1, limit: float = 30.0) -> Raw:
    """Headers at once, then one byte of a JSON body every ``every`` seconds, for ever
    (up to ``limit`` seconds, or until released)."""

    def behave(handler: BaseHTTPRequestHandler, release: threading.Event) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Connection", "close")  # no length: the body ends with the socket
        handler.end_headers()
        handler.wfile.write(b'{"hits": [')
        handler.wfile.flush()
        end = time.monotonic() + limit
        while time.monotonic() < end and not release.wait(every):
            handler.wfile.write(b" ")
            handler.wfile.flush()

    return Raw(behave)


def first_page_then_trickle(newest: int, every: float, limit: float) -> tuple[Raw, threading.Event]:
    """Hacker News whose first request gets a real page (six "css" posts up to ``newest``)
    and every later one a trickle; the event is set once a request is trickling."""
    corpus = Corpus()
    corpus.history("css", 6, newest=newest)
    api = AlgoliaSimulator(corpus)
    slow = trickle(every=every, limit=limit)
    trickling = threading.Event()
    seen: list[int] = []

    def behave(handler: BaseHTTPRequestHandler, release: threading.Event) -> None:
        seen.append(1)
        if len(seen) == 1:
            write_response(handler, api(httpx.Request("GET", f"http://127.0.0.1{handler.path}")))
            return
        trickling.set()
        slow.behave(handler, release)

    return Raw(behave), trickling


def never_answer(limit: float = 30.0) -> Raw:
    """Accept the connection, read the request, and say nothing (up to ``limit`` seconds)."""

    def behave(handler: BaseHTTPRequestHandler, release: threading.Event) -> None:
        release.wait(limit)

    return Raw(behave)
