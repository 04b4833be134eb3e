"""Photograph every dashboard page for the README: ``python benchmarks/bench_screenshots.py``.

Builds a synthetic store (``grapevine/synthetic.py``, 50,000 mentions by default) with a
few collector runs for the Sources page, serves ``app.py`` headless on loopback, and saves
one full-page PNG per page under ``docs/screenshots/`` with Debian's Chromium (driven by
Playwright; nothing is downloaded). Skips with a message when ``/usr/bin/chromium`` is
absent.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Run as a script, Python puts benchmarks/ first on the path, where benchmark files named
# like packages (scoring.py, app.py) would shadow the real ones: the repository goes first.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "benchmarks"]
sys.path.insert(0, str(REPO))

from benchmarks.synthetic import SYNTHETIC_CONFIG, generate_store  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from storage import open_store, schema  # noqa: E402
from tests.app.browser import CHROMIUM, screenshot_pages, serve_app  # noqa: E402

SOURCES = """
[sources.reddit]
every = "15m"
[sources.hackernews]
every = "30m"
[sources.stackexchange]
every = "1h"
[sources.mastodon]
every = "15m"
[sources.appstore]
every = "6h"
[sources.googleplay]
every = "6h"
"""


def _runs(url: str) -> None:
    """A day of plausible runs per source, one of them rate-limited, so Sources has a story."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    rows = []
    for i, (source, every, status, message) in enumerate(
        [
            ("reddit", 15, "ok", None),
            ("hackernews", 30, "ok", None),
            ("stackexchange", 60, "degraded", "skipped 2 records: answer without a body"),
            (
                "mastodon",
                15,
                "failed",
                "rate limited (HTTP 429); Retry-After 900 s is longer "
                "than collect.max_wait_seconds",
            ),
            ("appstore", 360, "ok", None),
            ("googleplay", 360, "ok", None),
        ]
    ):
        for k in range(4):
            started = now - timedelta(minutes=every * k + 3 + i)
            last = k == 0
            rows.append(
                {
                    "source": source,
                    "scope": "Acme",
                    "started_at": started,
                    "finished_at": started + timedelta(seconds=20 + 7 * i),
                    "status": status if last else "ok",
                    "new": 40 - 5 * i + k,
                    "duplicates": 3,
                    "skipped": 2 if status == "degraded" and last else 0,
                    "errors": 1 if status == "failed" and last else 0,
                    "rate_limit_waits": 3 if source == "mastodon" else 0,
                    "waited_seconds": 95.0 if source == "mastodon" else 0.0,
                    "replay": False,
                    "message": message if last else None,
                }
            )
    store = open_store(url, migrate=False)
    with store.engine.begin() as conn:
        conn.execute(insert(schema.runs), rows)
    store.engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=50_000, help="mentions in the demo store")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"skipped: {CHROMIUM} is absent (apt-get install chromium)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        generate_store(url, args.n, seed=7)
        _runs(url)
        config = Path(tmp) / "grapevine.toml"
        config.write_text(SYNTHETIC_CONFIG.format(url=url) + SOURCES, encoding="utf-8")
        with serve_app({"GRAPEVINE_CONFIG": str(config)}) as base:
            shots = screenshot_pages(base, args.out)
    for path in shots.values():
        print(path.relative_to(REPO) if path.is_relative_to(REPO) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
