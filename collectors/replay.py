"""Offline replay: serve bundled real API responses through the normal HTTP stack.

The offline demo (``grapevine collect --replay``, and ``make run`` without a network)
runs the real collectors against an ``httpx.MockTransport`` built from each collector's
:meth:`~collectors.base.Collector.replay_routes`. A request no route answers gets a 404,
which the collector treats like any other refusal: replay never reaches the network.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import httpx

__all__ = ["RECORDINGS", "Route", "read_recording", "replay_transport"]

RECORDINGS = Path(__file__).with_name("recordings")


@dataclasses.dataclass(frozen=True, slots=True)
class Route:
    """One recorded response the offline replay serves (a collector lists them in ``replay_routes``)."""

    path: str  # the URL path relative to the base URL, e.g. "/search_by_date"
    recording: str  # file under collectors/recordings/<source>/
    method: str = "GET"
    when: Callable[[Any], bool] | None = None  # predicate on the httpx.Request
    status: int = 200
    headers: tuple[tuple[str, str], ...] = (("content-type", "application/json; charset=utf-8"),)


@cache
def read_recording(source: str, name: str) -> bytes:
    return (RECORDINGS / source / name).read_bytes()


def replay_transport(source: str, base_url: str, routes: Sequence[Route]) -> httpx.MockTransport:
    base_path = httpx.URL(base_url).path.rstrip("/")

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        relative = path[len(base_path) :] if path.startswith(base_path) else path
        for route in routes:
            if route.method != request.method or route.path != relative:
                continue
            if route.when is not None and not route.when(request):
                continue
            return httpx.Response(
                route.status,
                headers=list(route.headers),
                content=read_recording(source, route.recording),
                request=request,
            )
        return httpx.Response(
            404, json={"error": f"no recording for {request.method} {path}"}, request=request
        )

    return httpx.MockTransport(handler)
