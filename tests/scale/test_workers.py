"""A scheduler and three workers on PostgreSQL, as real processes.

The scheduler (``grapevine run --workers 0 --no-app``) defers every job to the queue; three
``grapevine worker`` processes run them. One worker is SIGKILLed in the middle of a
collection job (its source, a loopback Algolia, holds a page open): the job is retried by
another worker, resumes from the last committed page, and the store ends with every
mention once, every mention labelled once, and no two runs of one job overlapping in time.
Then SIGTERM stops every process within 30 s.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage import open_store
from tests.foundation.helpers import LoopbackAlgolia, hn_hit
from tests.scale.conftest import EXAMPLE_CONFIG
from tests.scale.processes import grapevine, store_facts

HITS = [hn_hit(i, 1_700_000_000 + i, f"acme comment {i}") for i in range(1, 13)]


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll what other processes wrote (they run on their own clocks)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _stop_all(procs: list[subprocess.Popen[bytes]], timeout: float = 30.0) -> float:
    """SIGTERM every process; return how long until the last one exited."""
    started = time.monotonic()
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        proc.wait(timeout=max(0.1, timeout - (time.monotonic() - started)))
    return time.monotonic() - started


def _config(tmp_path: Path, base_url: str, url: str) -> Path:
    path = tmp_path / "grapevine.toml"
    path.write_text(
        f'[store]\ndatabase_url = "{url}"\n'
        '[collect]\nreplay = "never"\nmax_retries = 1\n'
        '[[brands]]\nname = "Acme"\nquery = "acme"\n'
        f'[sources.hackernews]\nevery = "1h"\nbase_url = "{base_url}"\nhits_per_page = 2\n'
        "max_pages = 100\n",
        encoding="utf-8",
    )
    return path


def test_sigkilled_worker_job_is_retried_elsewhere_without_duplicates(
    pg_url: str, tmp_path: Path, tiny_model_dir: Path
) -> None:
    env = {
        "GRAPEVINE_NLP__WEIGHTS": str(tiny_model_dir),
        "GRAPEVINE_NLP__QUANTISE": "false",
        "GRAPEVINE_NLP__MAX_LENGTH": "12",
        "GRAPEVINE_NLP__EVERY": "2s",
    }
    with LoopbackAlgolia(HITS, block_on=3) as server:
        config = str(_config(tmp_path, server.url, pg_url))
        assert grapevine("init", "-c", config, env=env).wait(timeout=120) == 0
        scheduler = grapevine(
            "run", "--workers", "0", "--no-app", "--stalled-after", "3", "-c", config,
            env=env, log=tmp_path / "scheduler.log",
        )  # fmt: skip
        workers = [
            grapevine("worker", "--heartbeat", "1", "-c", config, env=env,
                      log=tmp_path / f"worker{i}.log")
            for i in range(3)
        ]  # fmt: skip
        procs = [scheduler, *workers]
        try:
            assert server.reached.wait(timeout=120), "no worker reached the third page"
            running = [r for r in store_facts(pg_url)["runs"] if r["status"] == "running"]
            (victim_run,) = [r for r in running if r["source"] == "hackernews"]
            pid = int(victim_run["worker"].split(":")[1])
            victim = next(w for w in workers if w.pid == pid)
            os.kill(pid, signal.SIGKILL)
            killed_at = datetime.now(UTC)
            victim.wait(timeout=30)
            server.release.set()

            def done() -> bool:
                facts = store_facts(pg_url)
                ok = [
                    r for r in facts["runs"] if r["source"] == "hackernews" and r["status"] == "ok"
                ]
                return bool(ok) and facts["mentions"] == len(HITS) and facts["unlabelled"] == 0

            _wait(done, timeout=120, what="the retried job and the labelling")
            survivors = [p for p in procs if p is not victim]
            assert _stop_all(survivors) < 30
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        for proc in survivors:
            assert proc.returncode == 0, (tmp_path / "scheduler.log").read_text()

    facts = store_facts(pg_url)
    assert facts["mentions"] == facts["distinct_mentions"] == len(HITS)
    assert facts["labels"] == facts["distinct_labels"] == len(HITS)
    runs = [r for r in facts["runs"] if r["source"] == "hackernews"]
    killed = [r for r in runs if r["id"] == victim_run["id"]]
    assert killed[0]["status"] == "running"  # until its heartbeat expires
    retried = [r for r in runs if r["status"] == "ok"]
    assert retried
    assert all(r["worker"] != victim_run["worker"] for r in retried)
    # no two runs of the job overlap: the killed one ended when it was killed
    spans = sorted(
        (r["started_at"], r["finished_at"] if r is not killed[0] else killed_at) for r in runs
    )
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end is not None
        assert end <= start
    # the pages committed before the kill were kept: the retry resumed after them
    assert 0 < sum(r["new"] for r in retried) < len(HITS)
    store = open_store(pg_url, migrate=False)
    assert store.close_abandoned_runs(expired_after=datetime.now(UTC) - killed_at) == 1
    store.engine.dispose()


def test_scheduler_and_three_workers_on_replayed_sources(pg_url: str, tmp_path: Path) -> None:
    """Every (source, brand) job of the example configuration, replayed, runs once on one
    of three workers; nothing is duplicated; SIGTERM stops all four within 30 s."""
    env = {"GRAPEVINE_DATABASE_URL": pg_url, "GRAPEVINE_CONFIG": str(EXAMPLE_CONFIG)}
    assert grapevine("init", env=env).wait(timeout=120) == 0
    scheduler = grapevine(
        "run", "--workers", "0", "--no-app", "--replay", env=env, log=tmp_path / "scheduler.log"
    )
    workers = [
        grapevine("worker", "--queues", "collect", "--replay", env=env,
                  log=tmp_path / f"worker{i}.log")
        for i in range(3)
    ]  # fmt: skip
    procs = [scheduler, *workers]
    try:
        _wait(
            lambda: len([r for r in store_facts(pg_url)["runs"] if r["status"] == "ok"]) >= 27,
            timeout=120,
            what="27 runs",
        )
        assert _stop_all(procs) < 30
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert [p.returncode for p in procs] == [0, 0, 0, 0]
    facts = store_facts(pg_url)
    assert facts["mentions"] == facts["distinct_mentions"] > 0
    assert len(facts["runs"]) == 27
    assert {r["status"] for r in facts["runs"]} == {"ok"}
    assert len({(r["source"], r["scope"]) for r in facts["runs"]}) == 27
    assert len({r["worker"] for r in facts["runs"]}) >= 2


pytestmark = pytest.mark.timeout(300)
