"""Shared fixtures. No test reaches the network or sleeps for real.

- Sockets to anything but loopback raise (``_no_network``), so a test that forgets a mock
  fails loudly instead of hanging on a closed network.
- ``time.sleep`` is replaced by a recorder (``no_sleep``) for tests that go through code
  that would wait; the engine's own sleep is injected, so most tests never need it.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from config import Settings, load_config
from storage import Store, open_store

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and (
        host in {"localhost", "::1"} or host.startswith("127.") or self.family == socket.AF_UNIX
    ):
        return _real_connect(self, address)
    raise RuntimeError(f"test tried to reach the network: {address!r}")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Replace time.sleep; the list collects every wait asked for."""
    waits: list[float] = []
    monkeypatch.setattr("time.sleep", waits.append)
    return waits


@pytest.fixture
def fixed_clock() -> Callable[[], datetime]:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    return lambda: now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty SQLite store in a temporary directory."""
    s = open_store(f"sqlite:///{tmp_path / 'grapevine.db'}")
    yield s
    s.engine.dispose()


CONFIG_TEMPLATE = """
[store]
database_url = "sqlite:///{db}"

[collect]
replay = "never"
max_retries = 2

[[brands]]
name = "Acme"
query = 'acme OR "acme corp"'
exclude = ['"acme anvil"']
category_query = 'espresso OR grinder'
competitors = ["Globex"]
own_accounts = {{ hackernews = ["acme_support"] }}
own_communities = ["reddit:r/acme"]

[[competitors]]
name = "Globex"
query = "globex"

[sources.hackernews]
enabled = true
every = "15m"
base_url = "https://hn.test/api/v1"
hits_per_page = 2
"""


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Write a small config (Acme vs Globex, HN at a test URL) and load it.

    Extra TOML can be appended; keyword ``overrides`` behave like CLI flags.
    """

    def make(extra: str = "", **overrides: Any) -> Settings:
        path = tmp_path / "grapevine.toml"
        path.write_text(
            CONFIG_TEMPLATE.format(db=tmp_path / "grapevine.db") + extra, encoding="utf-8"
        )
        return load_config(path, overrides=overrides, environ={})

    return make
