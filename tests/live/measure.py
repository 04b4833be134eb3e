"""The figures of issue 12, measured with real ``grapevine`` processes against loopback
servers: ``.venv/bin/python -m tests.live.measure`` (about 30 s; no network).

1. Time from SIGINT to a stopped run (and to process exit) during a request that trickles
   one byte every 5 s.
2. Peak RSS of ``grapevine collect`` with a 50 MB response: the default 10 MB cap, and the
   cap raised to 64 MB (the record then stored with its text and raw payload capped).
3. Freshness lag after a run in the Algolia simulator while history is still backfilling.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx

from config import load_config
from grapevine.engine import Engine, Job
from grapevine.freshness import format_lag, freshness
from storage import open_store
from tests.live.conftest import EPOCH_NOW, LIVE_CONFIG, NOW
from tests.live.simulators import (
    AlgoliaSimulator,
    Corpus,
    LoopbackServer,
    Raw,
    first_page_then_trickle,
)

MB = 1024 * 1024
REPO = Path(__file__).resolve().parents[2]


def _config(tmp: Path, url: str, extra: str = "") -> Path:
    path = tmp / "grapevine.toml"
    path.write_text(
        f'[store]\ndatabase_url = "sqlite:///{tmp / "grapevine.db"}"\n'
        f'[collect]\nreplay = "never"\n{extra}\n'
        '[[brands]]\nname = "Web"\nquery = "css"\n'
        f'[sources.hackernews]\nbase_url = "{url}"\nhits_per_page = 2\n',
        encoding="utf-8",
    )
    return path


def _grapevine(*args: str, timed: bool = False) -> subprocess.Popen[str]:
    prefix = ["/usr/bin/time", "-f", "%M"] if timed else []
    return subprocess.Popen(
        [*prefix, sys.executable, "-m", "grapevine.cli", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"},
    )


def sigint_during_trickle() -> None:
    raw, trickling = first_page_then_trickle(EPOCH_NOW - 600, every=5.0, limit=120)

    tmp = Path(tempfile.mkdtemp())
    with LoopbackServer(raw) as server:
        proc = _grapevine("collect", "--once", "-c", str(_config(tmp, server.url)))
        assert proc.stdout is not None
        trickling.wait(120)
        time.sleep(6.0)  # a byte or two has trickled in
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        recorded = None
        for line in proc.stdout:
            if "stopped" in line and recorded is None:
                recorded = time.monotonic() - sent
        proc.wait()
        exited = time.monotonic() - sent
    (run,) = open_store(f"sqlite:///{tmp / 'grapevine.db'}").latest_runs()
    print(
        f"SIGINT during a 1-byte/5 s trickle: run recorded {run['status']!r} "
        f"{recorded or float('nan'):.2f} s after the signal; process exited after {exited:.2f} s"
    )


def peak_rss(size: int, cap_mb: int) -> None:
    hit = {
        "objectID": "1",
        "created_at_i": EPOCH_NOW - 60,
        "comment_text": "css " * (size // 4),
        "_tags": ["comment"],
        "author": "a",
        "story_title": "t",
    }
    payload = json.dumps({"hits": [hit] if size else [], "nbHits": 1}).encode()

    def behave(handler: BaseHTTPRequestHandler, release: threading.Event) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Connection", "close")  # no length: streamed to the end
        handler.end_headers()
        for start in range(0, len(payload), 65536):
            try:
                handler.wfile.write(payload[start : start + 65536])
            except OSError:
                return

    tmp = Path(tempfile.mkdtemp())
    with LoopbackServer(Raw(behave)) as server:
        config = _config(tmp, server.url, f"max_response_mb = {cap_mb}")
        _grapevine("init", "-c", str(config)).communicate()
        before = sum(f.stat().st_size for f in tmp.glob("grapevine.db*"))
        proc = _grapevine("collect", "--once", "-c", str(config), timed=True)
        _, err = proc.communicate()
        after = sum(f.stat().st_size for f in tmp.glob("grapevine.db*"))
    (run,) = open_store(f"sqlite:///{tmp / 'grapevine.db'}").latest_runs()
    rss = int(err.strip().splitlines()[-1]) / 1024
    print(
        f"{size / MB:.0f} MB response, cap {cap_mb} MB: {server.requests} request(s), "
        f"peak RSS {rss:.0f} MiB, store {before / 1024:.0f} KB -> {after / 1024:.0f} KB, "
        f"run {run['status']!r} {run['message'] or ''}"
    )


def lag_in_the_simulator() -> None:
    tmp = Path(tempfile.mkdtemp())
    corpus = Corpus()
    corpus.history("css", 3000, newest=EPOCH_NOW - 3600)
    corpus.history("bootstrap", 800, newest=EPOCH_NOW - 3600, step=300)
    api = AlgoliaSimulator(corpus)
    path = tmp / "grapevine.toml"
    path.write_text(
        LIVE_CONFIG.format(
            db=tmp / "grapevine.db",
            max_retries=2,
            deadline=30,
            read=20,
            max_mb=10,
            hn_url="https://hn.test/api/v1",
            se_url="https://se.test/2.3",
            per_page=100,
            max_pages=5,
        ),
        encoding="utf-8",
    )
    settings = load_config(path, environ={})
    store = open_store(settings.store.database_url)
    transports = {"hackernews": httpx.MockTransport(api)}
    for run in range(3):
        corpus.publish(f"css news {run}", EPOCH_NOW - 45 + run * 10)
        Engine(store, settings, transports=transports, sleep=lambda _s: None).run_job(
            Job("hackernews", "Web")
        )
        [fresh] = freshness(store, NOW, [("hackernews", "Web")])
        print(
            f"simulator run {run + 1}: newest stored {fresh.newest:%H:%M:%S}, "
            f"lag {format_lag(fresh.lag)} (the newest post was published "
            f"{EPOCH_NOW - (EPOCH_NOW - 45 + run * 10)} s before now), {fresh.backfill}"
        )


if __name__ == "__main__":
    lag_in_the_simulator()
    sigint_during_trickle()
    peak_rss(0, 10)
    peak_rss(50 * MB, 10)
    peak_rss(50 * MB, 64)
