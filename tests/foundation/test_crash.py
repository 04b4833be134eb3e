"""Real processes: SIGKILL mid-collection loses nothing and duplicates nothing; SIGTERM
stops the scheduler after the batch in flight is committed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from storage import open_store
from storage.schema import mentions
from tests.foundation.helpers import LoopbackAlgolia, hn_hit, loopback_config

HITS = [hn_hit(i, 1_700_000_000 + i, f"acme comment {i}") for i in range(1, 13)]


def _grapevine(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    return subprocess.Popen(
        [sys.executable, "-m", "grapevine.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def _ids(db: Path) -> list[str]:
    store = open_store(f"sqlite:///{db}")
    with store.engine.connect() as conn:
        ids = list(conn.execute(select(mentions.c.external_id)).scalars())
        assert conn.execute(select(func.count()).select_from(mentions)).scalar() == len(set(ids))
    store.engine.dispose()
    return ids


def test_sigkill_mid_collection_then_rerun_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    with LoopbackAlgolia(HITS, block_on=4) as server:
        config = loopback_config(tmp_path, server.url)
        proc = _grapevine("collect", "--once", "-c", str(config))
        assert server.reached.wait(timeout=120), "the collector never reached page 4"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.stdout is not None
        proc.stdout.close()
        assert proc.returncode == -signal.SIGKILL
        committed = _ids(tmp_path / "grapevine.db")
        assert 0 < len(committed) < len(HITS)  # pages before the kill are stored
        server.block_on = None
        server.release.set()
        rerun = _grapevine("collect", "--once", "-c", str(config))
        out, _ = rerun.communicate(timeout=120)
        assert rerun.returncode == 0, out
    assert sorted(_ids(tmp_path / "grapevine.db"), key=int) == [str(i) for i in range(1, 13)]
    store = open_store(f"sqlite:///{tmp_path / 'grapevine.db'}")
    statuses = [r["status"] for r in store.latest_runs()]
    store.engine.dispose()
    assert statuses == ["ok"]


def test_sigterm_stops_the_scheduler_after_the_current_batch(tmp_path: Path) -> None:
    with LoopbackAlgolia(HITS, block_on=2) as server:
        config = loopback_config(tmp_path, server.url, every="1s")
        proc = _grapevine("run", "--no-app", "-c", str(config))
        assert server.reached.wait(timeout=120), "the scheduled job never started"
        proc.send_signal(signal.SIGTERM)
        server.release.set()  # let the page in flight arrive; it is committed, then we stop
        out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    assert "Stopped cleanly" in out
    store = open_store(f"sqlite:///{tmp_path / 'grapevine.db'}")
    (run,) = store.latest_runs()
    assert run["status"] == "stopped"
    assert store.count_mentions() == 3  # page 1 (2 hits) + page 2 (1 new past the boundary)
    assert store.get_cursor("hackernews", "Acme") is not None
    store.engine.dispose()
