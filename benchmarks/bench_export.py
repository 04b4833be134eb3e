"""Speed and peak memory of ``grapevine export`` on a generated store of 1,000,000 mentions.

    python benchmarks/bench_export.py [--n 1000000] [--db /tmp/grapevine-export-bench.db]
                                [--formats csv parquet jsonl] [--chunk 5000]

The store is made by the small generator below: every mention matched to one brand and
labelled, so the export really holds a million rows; texts of 12–60 words in several
scripts with @handles inside, 50,000 authors across five sources. ``--synthetic`` uses
the shared realistic store instead (``grapevine/synthetic.py``, ``generate_store(url, n,
seed)``: Acme is about 45 % of it). The store is kept between runs (delete it, or give
another ``--db``, to regenerate).

Each format is exported in a fresh subprocess (so the generator's memory does not count),
pseudonymised, exactly as ``grapevine export`` does; the child reports rows, wall time
and its peak RSS (``ru_maxrss``: the kernel's high-water mark for the whole process,
Python and Arrow included).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from grapevine.export.writers import FORMATS, Format

BRAND = "Acme"
SOURCES = ("hackernews", "reddit", "stackexchange", "mastodon", "appstore")
WORDS = tuple(
    " ".join(
        (
            "acme espresso grinder works great but the support never answered my ticket",
            "кофемашина отличная но шумная 咖啡機 很好 用 ☕ 👍 🔥 la machine est bruyante",
            "die Mühle ist laut el molinillo funciona bien",
        )
    ).split()
)


def _minimal_store(url: str, n: int, seed: int) -> None:
    from sqlalchemy import insert

    from storage import open_store, schema

    rng = random.Random(seed)
    store = open_store(url)
    authors = [f"user_{i:05d}" for i in range(50_000)]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    labelled = start + timedelta(days=400)
    batch = 20_000
    with store.engine.begin() as conn:
        for first in range(0, n, batch):
            mentions, matches, labels = [], [], []
            for i in range(first, min(first + batch, n)):
                source = SOURCES[i % len(SOURCES)]
                created = start + timedelta(seconds=i * 31)
                author = rng.choice(authors)
                words = rng.choices(WORDS, k=rng.randint(12, 60))
                if i % 7 == 0:
                    words.insert(3, "@" + rng.choice(authors))
                mentions.append(
                    {
                        "id": i + 1,
                        "source": source,
                        "external_id": f"{source}-{i}",
                        "kind": "comment" if i % 3 else "post",
                        "url": f"https://example.test/{source}/item/{i}",
                        "community": f"{source}:c{i % 40}",
                        "author": author,
                        "title": None if i % 3 else " ".join(words[:6]),
                        "text": " ".join(words),
                        "created_at": created,
                        "collected_at": created + timedelta(minutes=5),
                        "updated_at": created + timedelta(minutes=5),
                        "parent_id": None,
                        "thread_id": f"t{i // 20}",
                        "score": rng.randint(-5, 500),
                        "comments": rng.randint(0, 50),
                        "answers": None,
                        "rating": None,
                        "helpful_votes": None,
                        "language": None,
                        "deleted": i % 500 == 0,
                        "raw": {"author": author},
                    }
                )
                matches.append(
                    {"mention_id": i + 1, "brand": BRAND, "role": "brand", "created_at": created}
                )
                neg = rng.random()
                pos = rng.random() * (1 - neg)
                labels.append(
                    {
                        "mention_id": i + 1,
                        "model": "grapevine-bench",
                        "model_version": "v1",
                        "sentiment": ("negative", "neutral", "positive")[i % 3],
                        "sentiment_negative": neg,
                        "sentiment_neutral": 1 - neg - pos,
                        "sentiment_positive": pos,
                        "complaint": rng.random(),
                        "quality": "ordinary",
                        "quality_score": rng.random(),
                        "language": "en",
                        "labelled_at": labelled,
                    }
                )
            conn.execute(insert(schema.mentions), mentions)
            conn.execute(insert(schema.matches), matches)
            conn.execute(insert(schema.labels), labels)
    store.engine.dispose()


def generate(db: Path, n: int, *, synthetic_store: bool, seed: int = 7) -> None:
    url = f"sqlite:///{db}"
    if synthetic_store:
        from grapevine.synthetic import generate_store

        generate_store(url, n, seed)
    else:
        _minimal_store(url, n, seed)


def child(db: Path, fmt: Format, out: Path, chunk: int) -> None:
    from grapevine.export import ExportFilters, ExportOptions, export_to_path
    from storage import open_store

    store = open_store(f"sqlite:///{db}", migrate=False)
    brand = _brand(store)
    started = time.perf_counter()
    result = export_to_path(
        store,
        ExportFilters(brand=brand),
        fmt,
        out,
        ExportOptions(chunk_size=chunk),
    )
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_kib = usage.ru_maxrss
    print(
        json.dumps(
            {
                "format": fmt,
                "rows": result.datasheet.tally.rows,
                "seconds": seconds,
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "peak_rss_mb": peak_kib / 1024,
                "bytes": out.stat().st_size,
            }
        )
    )


def _brand(store: object) -> str:
    from sqlalchemy import func, select

    from storage import schema

    engine = store.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        row = conn.execute(
            select(schema.matches.c.brand, func.count())
            .group_by(schema.matches.c.brand)
            .order_by(func.count().desc())
            .limit(1)
        ).first()
    return BRAND if row is None else str(row[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/grapevine-export-bench.db"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/grapevine-export-bench"))
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--chunk", type=int, default=5_000)
    parser.add_argument("--synthetic", action="store_true", help="use grapevine/synthetic.py")
    parser.add_argument("--child", nargs=2, metavar=("FORMAT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        fmt, out = args.child
        if fmt not in FORMATS:
            parser.error(f"unknown format {fmt}")
        child(args.db, fmt, Path(out), args.chunk)
        return
    if not args.db.exists():
        started = time.perf_counter()
        print(f"generating {args.n:,} mentions in {args.db} …", flush=True)
        generate(args.db, args.n, synthetic_store=args.synthetic)
        print(f"  done in {time.perf_counter() - started:.0f}s", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    print(
        f"{'format':8} {'rows':>10} {'wall s':>7} {'rows/s':>8} {'CPU s':>6} "
        f"{'rows/CPU-s':>10} {'peak RSS':>9} {'file':>8}"
    )
    for fmt in args.formats:
        out = args.out / f"export.{fmt}"
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--db",
                str(args.db),
                "--chunk",
                str(args.chunk),
                "--child",
                fmt,
                str(out),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{fmt:8} {r['rows']:>10,} {r['seconds']:>7.1f} {r['rows'] / r['seconds']:>8,.0f} "
            f"{r['cpu_seconds']:>6.1f} {r['rows'] / r['cpu_seconds']:>10,.0f} "
            f"{r['peak_rss_mb']:>7.0f}MB {r['bytes'] / 2**20:>6.0f}MB",
            flush=True,
        )


if __name__ == "__main__":
    main()
