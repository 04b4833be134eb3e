"""Labelling throughput through the task queue (1 and 2 ``grapevine worker`` processes)
against in-process labelling (``label_pending``) on the same PostgreSQL store.

    python benchmarks/bench_scale.py [--url postgresql+psycopg://…] [--n 2000] [--rounds 3]
                                     [--weights DIR] [--threads 1]

The store is seeded once with ``--n`` synthetic mentions; every round drops the labels and
runs the three modes in turn (interleaved, so drift in machine load hits all of them):
``in-process`` labels in this process; ``1 worker`` / ``2 workers`` start that many
``grapevine worker --queues label`` processes, wait until each has loaded the model and is
polling, then defer one ``nlp:label`` job per worker and time until every mention has a
label. Worker start-up (imports, model load) is not counted; queue overhead (defer,
LISTEN/NOTIFY, claiming, the worker's bookkeeping) is. Each process uses ``--threads``
torch threads, so 2 workers use twice the cores of 1. Prints mentions/s per mode
(median of the rounds) and the queue's overhead against in-process labelling.
Needs a PostgreSQL URL (``--url`` or ``GRAPEVINE_TEST_POSTGRES_URL``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from config.settings import load_config
from core.mention import Mention, MentionKind
from grapevine.labelling.area import build_classifier
from grapevine.worker.queue import TASK_NAME, apply_queue_schema, queue_app
from nlp.labeller import label_pending
from storage import Match, open_store
from storage.schema import labels

WORDS = [
    "acme",
    "order",
    "never",
    "arrived",
    "great",
    "love",
    "awful",
    "support",
    "refund",
    "app",
    "update",
    "crash",
    "fast",
    "slow",
]


def seed(url: str, n: int) -> None:
    store = open_store(url)
    with store.engine.begin() as conn:
        conn.execute(text("TRUNCATE mentions, labels, matches RESTART IDENTITY CASCADE"))
    start = datetime(2026, 11, 1, tzinfo=UTC)
    page = [
        Mention(
            source="hackernews",
            external_id=str(i),
            kind=MentionKind.COMMENT,
            created_at=start + timedelta(minutes=i),
            text=" ".join(WORDS[(i * k) % len(WORDS)] for k in range(1, 4 + i % 30)),
            community="hackernews",
            author=f"user{i % 97}",
        )
        for i in range(n)
    ]
    for i in range(0, n, 1000):
        chunk = page[i : i + 1000]
        store.save_page(chunk, {m.key: [Match("Acme")] for m in chunk})
    apply_queue_schema(store)
    store.engine.dispose()


_POLL: dict[str, Any] = {}


def labelled(url: str) -> int:
    """How many labels the store holds (one pooled connection, polled cheaply)."""
    if url not in _POLL:
        _POLL[url] = open_store(url, migrate=False).engine
    with _POLL[url].connect() as conn:
        return int(conn.execute(select(func.count()).select_from(labels)).scalar_one())


def clear_labels(url: str) -> None:
    store = open_store(url, migrate=False)
    with store.engine.begin() as conn:
        conn.execute(text("TRUNCATE labels"))
        conn.execute(text("DELETE FROM procrastinate_jobs"))
    store.engine.dispose()


def in_process(url: str, settings_path: Path, n: int) -> float:
    settings = load_config(settings_path)
    classifier = build_classifier(settings.nlp)
    store = open_store(url, migrate=False)
    label_pending(store, classifier, batch_size=settings.nlp.batch_size, limit=1)  # warm up
    clear_labels(url)
    started = time.perf_counter()
    label_pending(store, classifier, batch_size=settings.nlp.batch_size)
    elapsed = time.perf_counter() - started
    store.engine.dispose()
    return n / elapsed


def through_queue(url: str, env: dict[str, str], workers: int, n: int, log_dir: Path) -> float:
    logs = [log_dir / f"worker{workers}-{i}.log" for i in range(workers)]
    procs = []
    for log in logs:
        with log.open("wb") as out:
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "grapevine.cli", "worker", "--queues", "label"],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                )
            )
    try:
        while not all("Worker on" in log.read_text(errors="replace") for log in logs):
            time.sleep(0.2)
        app = queue_app(url, sync=True)
        app.open()
        # warm-up job: each worker's model loads on its first label job
        for _ in range(workers):
            app.tasks[TASK_NAME].configure(queue="label").defer(job_id="nlp:label")
        while labelled(url) < n:
            time.sleep(0.1)
        clear_labels(url)
        started = time.perf_counter()
        for _ in range(workers):
            app.tasks[TASK_NAME].configure(queue="label").defer(job_id="nlp:label")
        while labelled(url) < n:
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        app.close()
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=120)
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("GRAPEVINE_TEST_POSTGRES_URL"))
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--weights", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if not args.url:
        print("bench_scale: no PostgreSQL URL (--url or GRAPEVINE_TEST_POSTGRES_URL); skipped")
        return
    config = Path(str(files("config") / "grapevine.toml"))
    env = {
        **os.environ,
        "GRAPEVINE_CONFIG": str(config),
        "GRAPEVINE_DATABASE_URL": args.url,
        "GRAPEVINE_NLP__THREADS": str(args.threads),
        "GRAPEVINE_NLP__LABEL_LIMIT": str(args.n),
    }
    if args.weights is not None:
        env["GRAPEVINE_NLP__WEIGHTS"] = str(args.weights)
    os.environ.update({k: v for k, v in env.items() if k.startswith("GRAPEVINE_")})
    seed(args.url, args.n)
    results: dict[str, list[float]] = {"in-process": [], "1 worker": [], "2 workers": []}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            clear_labels(args.url)
            results["in-process"].append(in_process(args.url, config, args.n))
            for workers in (1, 2):
                clear_labels(args.url)
                rate = through_queue(args.url, env, workers, args.n, Path(tmp))
                results[f"{workers} worker{'s' if workers > 1 else ''}"].append(rate)
            print(
                f"round {round_ + 1}: "
                + ", ".join(f"{k} {v[-1]:.0f}/s" for k, v in results.items())
            )
    base = statistics.median(results["in-process"])
    print(f"\n{args.n} mentions, {args.rounds} rounds, {args.threads} torch thread(s) per process")
    for mode, rates in results.items():
        rate = statistics.median(rates)
        print(f"{mode:>11}: {rate:7.1f} mentions/s  ({rate / base:5.2f}x in-process)")
    one = statistics.median(results["1 worker"])
    print(f"queue overhead, 1 worker vs in-process: {100 * (1 - one / base):.1f} %")


if __name__ == "__main__":
    main()
