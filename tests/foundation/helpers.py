"""Builders for foundation tests: mentions and Algolia-format HN pages."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from core.mention import Mention, MentionKind


def mention(external_id: str, text: str = "acme is great", **fields: Any) -> Mention:
    values: dict[str, Any] = {
        "source": "hackernews",
        "external_id": external_id,
        "kind": MentionKind.COMMENT,
        "created_at": datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
        "text": text,
        "community": "hackernews",
        "author": "someone",
    }
    values.update(fields)
    return Mention(**values)


def hn_hit(object_id: int, created: int, text: str = "acme rocks", **extra: Any) -> dict[str, Any]:
    """A comment hit in the exact shape of the recorded Algolia responses."""
    hit: dict[str, Any] = {
        "created_at": datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "title": None,
        "url": None,
        "author": f"user{object_id}",
        "points": None,
        "story_text": None,
        "comment_text": text,
        "num_comments": None,
        "story_id": 1000,
        "story_title": "Ask HN: coffee gear?",
        "story_url": None,
        "parent_id": 1000,
        "created_at_i": created,
        "_tags": ["comment", f"author_user{object_id}", "story_1000"],
        "objectID": str(object_id),
    }
    hit.update(extra)
    return hit


def hn_page(hits: list[dict[str, Any]], per_page: int) -> dict[str, Any]:
    return {
        "hits": hits,
        "nbHits": len(hits),
        "page": 0,
        "nbPages": 1,
        "hitsPerPage": per_page,
        "exhaustiveNbHits": True,
        "query": "",
        "params": "",
        "processingTimeMS": 1,
    }


class FakeAlgolia:
    """Serves a fixed set of hits the way Algolia does: newest first, numericFilters honoured.

    ``failures`` maps a request number (1-based) to a response to send instead.
    """

    def __init__(
        self,
        hits: list[dict[str, Any]],
        failures: dict[int, Callable[[httpx.Request], httpx.Response]] | None = None,
    ) -> None:
        self.hits = sorted(hits, key=lambda h: h["created_at_i"], reverse=True)
        self.failures = failures or {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        n = len(self.requests)
        if n in self.failures:
            return self.failures[n](request)
        per_page = int(request.url.params.get("hitsPerPage", "20"))
        page = int(request.url.params.get("page", "0"))
        selected = self.hits
        for flt in filter(None, request.url.params.get("numericFilters", "").split(",")):
            for op in ("<=", ">=", "<", ">"):
                if op in flt:
                    value = int(flt.split(op)[1])
                    selected = [
                        h
                        for h in selected
                        if "created_at_i" in h and _compare(h["created_at_i"], op, value)
                    ]
                    break
        return httpx.Response(
            200, json=hn_page(selected[page * per_page : (page + 1) * per_page], per_page)
        )


def _compare(a: int, op: str, b: int) -> bool:
    return {"<=": a <= b, ">=": a >= b, "<": a < b, ">": a > b}[op]


def dumps(obj: Any) -> bytes:
    return json.dumps(obj).encode()


class LoopbackAlgolia:
    """FakeAlgolia behind a real HTTP server on 127.0.0.1, for subprocess tests.

    ``block_on`` (a request number) makes that request wait until ``release`` is set, after
    signalling ``reached``: the test can then kill or signal the process mid-collection.
    """

    def __init__(self, hits: list[dict[str, Any]], block_on: int | None = None) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.fake = FakeAlgolia(hits)
        self.block_on = block_on
        self.reached = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                request = httpx.Request("GET", f"http://127.0.0.1{self.path}")
                response = outer.fake(request)
                if outer.block_on is not None and len(outer.fake.requests) == outer.block_on:
                    outer.reached.set()
                    outer.release.wait(timeout=60)
                body = response.content
                try:
                    self.send_response(response.status_code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client was killed

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/v1"

    def __enter__(self) -> LoopbackAlgolia:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def loopback_config(tmp_path: Any, base_url: str, every: str = "30m") -> Any:
    """A one-brand, one-term config pointing Hacker News at a loopback server."""
    path = tmp_path / "grapevine.toml"
    path.write_text(
        f'[store]\ndatabase_url = "sqlite:///{tmp_path / "grapevine.db"}"\n'
        '[collect]\nreplay = "never"\nmax_retries = 1\n'
        '[[brands]]\nname = "Acme"\nquery = "acme"\n'
        f'[sources.hackernews]\nevery = "{every}"\nbase_url = "{base_url}"\nhits_per_page = 2\n'
        "max_pages = 100\n",
        encoding="utf-8",
    )
    return path
