"""Setting up a process that collects: settings with the command's flags, the store, which
sources replay their bundled recordings, and the engine that runs the jobs.

Shared by ``grapevine collect`` and ``grapevine run``. Each source's host is probed once,
here, when a command starts — never at import time.
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from collectors import REGISTRY
from config import Settings
from grapevine.demo.provenance import replay_note
from grapevine.engine import Engine
from grapevine.runtime import console, load_settings, open_settings_store, setup_logging
from storage import Store

__all__ = ["prepare", "replay_sources", "stop_on_signals"]


def _reachable(url: str, timeout: float = 2.0) -> bool:
    """Can we open a TCP connection to the API's host? Asked once per source per command."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        return False
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def replay_sources(settings: Settings, sources: Iterable[str], mode: str) -> set[str]:
    """Which sources to replay from bundled recordings: all (always), none (never), or
    those whose API host cannot be reached (auto)."""
    names = list(sources)
    if mode == "always":
        return set(names)
    if mode == "never":
        return set()
    offline = set()
    for name in names:
        cls = REGISTRY[name]
        source = settings.sources.get(name)
        base = (source.base_url if source else None) or cls.default_base_url
        if not _reachable(base):
            offline.add(name)
    return offline


def _announce_replay(replayed: set[str], all_sources: Sequence[str]) -> None:
    """Say that bundled files stand in for the APIs, and what those files are: "recorded"
    only for the sources whose files are recorded responses (see each PROVENANCE.md)."""
    if not replayed:
        return
    what = replay_note(replayed)
    if set(all_sources) <= replayed:
        console.print(
            "[bold yellow]Offline:[/] replaying the bundled API recordings and fixtures "
            f"instead of calling the live APIs ({what})."
        )
    else:
        console.print(
            f"[yellow]Unreachable, replaying the bundled files for:[/] {', '.join(sorted(replayed))} "
            f"({what})."
        )


def prepare(
    config: Path | None,
    database_url: str | None,
    replay: bool | None,
    verbose: bool,
    sources: Sequence[str] | None,
) -> tuple[Settings, Store, Engine]:
    """What ``collect`` and ``run`` share: settings with the flags applied, the store (runs a
    killed process left open marked interrupted), and an engine that replays the sources it
    should — each source's host is probed once, here, never at import time."""
    setup_logging(verbose)
    mode = None if replay is None else ("always" if replay else "never")
    settings = load_settings(config, database_url, replay=mode)
    store = open_settings_store(settings)
    store.close_abandoned_runs()
    names = list(sources) if sources else list(settings.enabled_sources())
    known = [n for n in names if n in REGISTRY]
    replayed = replay_sources(settings, known, settings.collect.replay)
    _announce_replay(replayed, known)
    return settings, store, Engine(store, settings, replay=replayed)


def stop_on_signals(engine: Engine) -> None:
    """SIGINT/SIGTERM: finish the page being committed, then stop (nothing half-written)."""

    def stop(signum: int, _frame: object) -> None:
        engine.stop.set()  # first: the collecting thread checks it between pages
        console.print(f"[yellow]{signal.Signals(signum).name}: stopping after the current page…[/]")

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
