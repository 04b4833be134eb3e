"""Replay whole recorded cassettes (betamax, vcrpy, R vcr) through ``httpx``.

Some bundled recordings are cassettes rather than bare bodies: Reddit's (betamax JSON,
from praw's own tests), Mastodon's (vcrpy YAML, from Mastodon.py's) and Bluesky's (R vcr
YAML, from bskyr's). They keep the status and the headers the API really sent — the
``x-ratelimit-*`` and ``RateLimit-*`` values the rate-limit policy reads — so they are
served as recorded instead of being cut down to bodies.

An interaction is chosen by method and path (hosts are ignored: a cassette recorded on
``localhost:3000`` stands for any configured instance), then by how well its recorded
query agrees with the request's. ``aliases`` map request paths (``fnmatch`` patterns) to
a recorded path, so a search for any term or a timeline of any hashtag is answered by
the one that was recorded. Anything else gets a 404; nothing reaches the network.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import yaml

from collectors.replay import RECORDINGS

__all__ = ["Interaction", "cassette_transport", "load_cassette"]

# Headers that describe the recorded wire encoding, not the (decoded) body we serve.
_DROP = {"content-encoding", "content-length", "transfer-encoding", "connection"}


@dataclasses.dataclass(frozen=True, slots=True)
class Interaction:
    method: str
    url: httpx.URL
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def path(self) -> str:
        return _normal_path(self.url.path)


def _normal_path(path: str) -> str:
    return path.rstrip("/") or "/"


def _header_pairs(headers: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for name, value in (headers or {}).items():
        if name.lower() in _DROP:
            continue
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, str(item)))
    return tuple(pairs)


def _body(body: Any) -> bytes:
    if isinstance(body, dict):
        body = body.get("string", "")
    if isinstance(body, bytes):
        return body
    return str(body or "").encode("utf-8")


def _status(status: Any) -> int:
    if isinstance(status, dict):
        return int(status.get("code") or status.get("status_code") or 200)
    return int(status)


@cache
def load_cassette(path: Path) -> tuple[Interaction, ...]:
    """Read a betamax (``interactions`` in JSON), vcrpy (``interactions`` in YAML) or
    R vcr (``http_interactions``) cassette."""
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    records = data.get("interactions") or data.get("http_interactions") or []
    found: list[Interaction] = []
    for record in records:
        request, response = record["request"], record["response"]
        found.append(
            Interaction(
                method=str(request["method"]).upper(),
                url=httpx.URL(str(request["uri"])),
                status=_status(response.get("status", 200)),
                headers=_header_pairs(response.get("headers") or {}),
                body=_body(response.get("body")),
            )
        )
    return tuple(found)


def _agreement(recorded: httpx.URL, request: httpx.URL) -> int:
    """How well a recorded query fits the request: shared values count most, recorded
    keys the request lacks count against (a ``before=`` page is not a first page)."""
    score = 0
    for key, value in recorded.params.multi_items():
        if key not in request.params:
            score -= 2
        elif value in request.params.get_list(key):
            score += 2
        else:
            score += 1
    return score


def cassette_transport(
    source: str, cassettes: Sequence[str], aliases: Mapping[str, str] | None = None
) -> httpx.MockTransport:
    """A transport answering from ``collectors/recordings/<source>/<cassette>`` files."""
    interactions = [i for name in cassettes for i in load_cassette(RECORDINGS / source / name)]
    aliases = dict(aliases or {})

    def handler(request: httpx.Request) -> httpx.Response:
        path = _normal_path(request.url.path)
        for pattern, recorded_path in aliases.items():
            if fnmatchcase(path, pattern):
                path = recorded_path
                break
        candidates = [i for i in interactions if i.method == request.method and i.path == path]
        if not candidates:
            return httpx.Response(
                404,
                json={"error": f"no recording for {request.method} {request.url.path}"},
                request=request,
            )
        best = max(candidates, key=lambda i: _agreement(i.url, request.url))
        return httpx.Response(
            best.status, headers=list(best.headers), content=best.body, request=request
        )

    return httpx.MockTransport(handler)
