"""Settings and engines for collecting against the loopback simulators."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from config import Settings, load_config
from grapevine.engine import Engine
from storage import Store

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
EPOCH_NOW = int(NOW.timestamp())

LIVE_CONFIG = """
[store]
database_url = "sqlite:///{db}"

[collect]
replay = "never"
max_retries = {max_retries}
request_deadline_seconds = {deadline}
timeout_seconds = {read}
max_response_mb = {max_mb}

[[brands]]
name = "Web"
query = 'css OR bootstrap'

[sources.hackernews]
base_url = "{hn_url}"
hits_per_page = {per_page}
max_pages = {max_pages}

[sources.stackexchange]
base_url = "{se_url}"
sites = ["stackoverflow"]
pagesize = {per_page}
max_pages = {max_pages}

[sources.bluesky]
base_url = "https://bsky.test/xrpc"
limit = {per_page}
max_pages = {max_pages}
"""


@pytest.fixture
def live_settings(tmp_path: Path) -> Callable[..., Settings]:
    """A one-brand config (``css OR bootstrap``, as in issue 12) for HN and Stack Exchange."""

    def make(**values: Any) -> Settings:
        fields: dict[str, Any] = {
            "db": tmp_path / "grapevine.db",
            "max_retries": 2,
            "deadline": 30,
            "read": 20,
            "max_mb": 10,
            "hn_url": "https://hn.test/api/v1",
            "se_url": "https://se.test/2.3",
            "per_page": 20,
            "max_pages": 3,
        }
        fields.update(values)
        path = tmp_path / "grapevine.toml"
        path.write_text(LIVE_CONFIG.format(**fields), encoding="utf-8")
        return load_config(path, environ={})

    return make


def engine_for(
    store: Store,
    settings: Settings,
    handlers: dict[str, Callable[[httpx.Request], httpx.Response]] | None = None,
    waits: list[float] | None = None,
    transports: dict[str, httpx.BaseTransport] | None = None,
    replay: tuple[str, ...] = ("bluesky",),  # the simulator needs no session
) -> Engine:
    all_transports: dict[str, httpx.BaseTransport] = {
        name: httpx.MockTransport(handler) for name, handler in (handlers or {}).items()
    }
    all_transports.update(transports or {})
    return Engine(
        store,
        settings,
        transports=all_transports,
        replay=replay,
        sleep=(waits if waits is not None else []).append,
        clock=lambda: NOW,
    )
