"""Photograph every dashboard page for the README: ``python benchmarks/bench_screenshots.py``.

The pictures show what a new user sees: the demo store that ``grapevine demo`` (and an
offline ``make run``) builds — the replayed recordings plus a generated month for the
brands of ``config/grapevine.toml``, labelled by the shipped classifier, alerts fired.
Either point it at a demo store already built (``--database-url``, as after ``grapevine
demo``), or let it build one in a temporary directory (which labels with the shipped
model: a minute or two on a laptop).

It serves ``app.py`` headless on loopback and saves one full-page PNG per page under
``docs/screenshots/`` with Debian's Chromium (driven by Playwright; nothing is
downloaded). Skips with a message when ``/usr/bin/chromium`` is absent.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from config import load_config
from grapevine.demo.build import build_demo
from grapevine.demo.screenshots import CHROMIUM, screenshot_pages, serve_app
from storage import Store, open_store

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "config" / "grapevine.toml"


def _label(store: Store) -> int:
    from grapevine.labelling.area import build_classifier
    from nlp.labeller import label_pending

    settings = load_config(CONFIG).nlp
    return label_pending(store, build_classifier(settings), batch_size=settings.batch_size)


def _build(url: str) -> None:
    settings = load_config(CONFIG, overrides={"store": {"database_url": url}})
    store = open_store(url)
    summary = build_demo(store, settings, now=datetime.now(UTC), label=_label)
    store.engine.dispose()
    print(f"demo built: {summary.generated} generated, {len(summary.alerts.fired)} alerts fired")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", help="a demo store built by `grapevine demo` (default: build one)"
    )
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--width", type=int, default=1440)
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"skipped: {CHROMIUM} is absent (apt-get install chromium)")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url
        if url is None:
            url = f"sqlite:///{Path(tmp) / 'demo.db'}"
            _build(url)
        env = {"GRAPEVINE_CONFIG": str(CONFIG), "GRAPEVINE_DATABASE_URL": url}
        with serve_app(env) as base:
            shots = screenshot_pages(base, args.out, width=args.width)
    for path in shots.values():
        print(path.relative_to(REPO) if path.is_relative_to(REPO) else path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
