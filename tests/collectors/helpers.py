"""Shared pieces for collector tests: the demo config, a fault-injecting transport, and
per-source ways to break one record in a real recorded body."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from collectors import REGISTRY, HttpSession
from config import Settings, load_config

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

Fault = Callable[[httpx.Request], httpx.Response]


def demo_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """The shipped config (demo brands, every source) with the store in ``tmp_path``."""
    text = (REPO / "config" / "grapevine.toml").read_text(encoding="utf-8")
    text = text.replace(
        'database_url = "sqlite:///data/grapevine.db"',
        f'database_url = "sqlite:///{tmp_path / "demo.db"}"',
    )
    path = tmp_path / "grapevine.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, overrides=overrides, environ={})


def demo_collector(name: str) -> Any:
    settings = load_config(REPO / "config" / "grapevine.toml", environ={})
    source = settings.sources.get(name)
    return REGISTRY[name].from_config(source.options if source else {})


def base_url(name: str) -> str:
    settings = load_config(REPO / "config" / "grapevine.toml", environ={})
    source = settings.sources.get(name)
    return (source.base_url if source else None) or REGISTRY[name].default_base_url


def too_many(request: httpx.Request) -> httpx.Response:
    return httpx.Response(429, headers={"Retry-After": "7"}, request=request)


def unavailable(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, request=request)


def html_page(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text="<html><body>Bad gateway</body></html>", request=request)


class Faults(httpx.BaseTransport):
    """Wraps a transport: the n-th request (1-based) gets ``faults[n]``; ``always`` answers
    every request; ``corrupt`` rewrites each body that it applies to."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        faults: dict[int, Fault] | None = None,
        *,
        always: Fault | None = None,
        corrupt: Callable[[bytes], bytes] | None = None,
    ) -> None:
        self.inner = inner
        self.faults = dict(faults or {})
        self.always = always
        self.corrupt = corrupt
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        fault = self.faults.get(len(self.requests)) or self.always
        if fault is not None:
            return fault(request)
        response = self.inner.handle_request(request)
        if self.corrupt is None:
            return response
        body = self.corrupt(response.read())
        headers = [
            (k, v) for k, v in response.headers.multi_items() if k.lower() != "content-length"
        ]
        return httpx.Response(response.status_code, headers=headers, content=body, request=request)


def session(
    transport: httpx.BaseTransport, name: str, waits: list[float] | None = None, replay: bool = True
) -> HttpSession:
    client = httpx.Client(base_url=base_url(name), transport=transport)
    return HttpSession(
        client,
        sleep=(waits if waits is not None else []).append,
        clock=lambda: NOW,
        replay=replay,
    )


# --- breaking one record of a real body, per source ----------------------------------


def _json_edit(edit: Callable[[Any], bool]) -> Callable[[bytes], bytes]:
    def corrupt(body: bytes) -> bytes:
        try:
            payload = json.loads(body)
        except ValueError:
            return body
        return json.dumps(payload).encode() if edit(payload) else body

    return corrupt


def _drop(items: Any, *path: str) -> bool:
    if not isinstance(items, list) or not items:
        return False
    target = items[0]
    for key in path[:-1]:
        target = target[key]
    target.pop(path[-1], None)
    return True


def _reddit(payload: Any) -> bool:
    data = payload.get("data") if isinstance(payload, dict) else None
    return isinstance(data, dict) and _drop(data.get("children"), "data", "created_utc")


def _mastodon(payload: Any) -> bool:
    return _drop(payload, "created_at")


def _first_regex(pattern: str, replacement: bytes) -> Callable[[bytes], bytes]:
    compiled = re.compile(pattern.encode(), re.S)
    return lambda body: compiled.sub(replacement, body, count=1)


CORRUPT: dict[str, Callable[[bytes], bytes]] = {
    "hackernews": _json_edit(
        lambda p: isinstance(p, dict) and _drop(p.get("hits"), "created_at_i")
    ),
    "stackexchange": _json_edit(
        lambda p: isinstance(p, dict) and _drop(p.get("items"), "creation_date")
    ),
    "bluesky": _json_edit(
        lambda p: isinstance(p, dict) and _drop(p.get("posts"), "record", "createdAt")
    ),
    "mastodon": _json_edit(_mastodon),
    "discourse": _json_edit(
        lambda p: (
            isinstance(p, dict)
            and (_drop(p.get("latest_posts"), "created_at") or _drop(p.get("posts"), "created_at"))
        )
    ),
    "reddit": _json_edit(_reddit),
    "appstore": _first_regex(r"<im:rating>\d</im:rating>", b""),
    "googleplay": _first_regex(r",\[\d{10},512000000\]", b",null"),
    "rss": _first_regex(r"<pubDate>[^<]*</pubDate>", b""),
}
