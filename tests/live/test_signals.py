"""Ctrl+C during a trickling request: a real ``grapevine collect`` process stops within
seconds, records the run ``stopped`` and keeps the page it committed (issue 12, finding 3)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from storage import open_store
from tests.live.conftest import EPOCH_NOW
from tests.live.simulators import (
    LoopbackServer,
    first_page_then_trickle,
)

CONFIG = """
[store]
database_url = "sqlite:///{db}"

[collect]
replay = "never"
request_deadline_seconds = 60

[[brands]]
name = "Web"
query = "css"

[sources.hackernews]
base_url = "{url}"
hits_per_page = 2
"""


def test_sigint_during_a_trickling_request_stops_the_process_within_seconds(
    tmp_path: Path,
) -> None:
    raw, trickling = first_page_then_trickle(EPOCH_NOW - 600, every=0.5, limit=60)

    with LoopbackServer(raw) as server:
        config = tmp_path / "grapevine.toml"
        config.write_text(
            CONFIG.format(db=tmp_path / "grapevine.db", url=server.url), encoding="utf-8"
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "grapevine.cli", "collect", "--once", "-c", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"},
        )
        try:
            assert trickling.wait(60), "the collector never reached the trickling request"
            time.sleep(0.6)  # a real process, a real server: let it trickle for a moment
            sent = time.monotonic()
            proc.send_signal(signal.SIGINT)
            output, _ = proc.communicate(timeout=15)
            stopped_in = time.monotonic() - sent
        finally:
            if proc.poll() is None:
                proc.kill()
    assert stopped_in < 3.0, f"took {stopped_in:.1f}s to stop"
    assert "Traceback" not in output
    store = open_store(f"sqlite:///{tmp_path / 'grapevine.db'}")
    (run,) = store.latest_runs()
    assert run["status"] == "stopped", output
    assert store.count_mentions() == 2  # the committed first page stays
