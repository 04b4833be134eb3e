"""How fast the dashboard answers on a 1,000,000-mention store.

    python benchmarks/bench_app.py [--n 1000000] [--db /tmp/grapevine-app-bench.db]

For every page: the *first render* (all Streamlit caches empty, so every query of the
sidebar and the page runs against the store) and a *filter change* (a source chosen in the
sidebar: the page's queries run again for the new filters, the sidebar's stay cached).
Pages are driven with ``streamlit.testing.v1.AppTest``, i.e. the real script, widgets and
caches, without a browser. Targets (DESIGN: the app reads, it never makes you wait): first
render under 2 s, filter change under 1 s. A benchmark, not a test: it prints and exits 0.

The store comes from ``grapevine/synthetic.py`` and is kept at ``--db`` for later runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from grapevine.synthetic import SYNTHETIC_CONFIG, generate_store

REPO = Path(__file__).resolve().parent.parent

PAGES = ["overview", "word_of_mouth", "complaints", "communities", "mentions", "sources"]
FIRST_RENDER_TARGET = 2.0
FILTER_CHANGE_TARGET = 1.0


def _clear() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


def _timed(run: Callable[[], object]) -> float:
    began = time.perf_counter()
    run()
    return time.perf_counter() - began


def measure(page: str, rounds: int) -> tuple[float, float]:
    """Median seconds for the page's first render and for one filter change."""
    firsts: list[float] = []
    changes: list[float] = []
    for _ in range(rounds):
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=600)
        at.run()  # registers the pages (renders Overview)
        _clear()
        if page != "overview":
            at.switch_page(f"grapevine/dashboard/pages/{page}.py")
        firsts.append(_timed(at.run))
        if at.exception:
            raise RuntimeError(f"{page}: {at.exception[0].value}")
        at.multiselect(key="sources").select("reddit")
        changes.append(_timed(at.run))
        if at.exception:
            raise RuntimeError(f"{page} after a filter change: {at.exception[0].value}")
    return statistics.median(firsts), statistics.median(changes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/grapevine-app-bench.db"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pages", nargs="+", choices=PAGES, default=PAGES, help="only these pages")
    args = parser.parse_args(argv)
    url = f"sqlite:///{args.db}"
    if not args.db.exists():
        print(f"generating {args.n:,} synthetic mentions into {args.db} …", flush=True)
        began = time.perf_counter()
        generate_store(url, args.n, seed=7)
        print(f"  done in {time.perf_counter() - began:.0f} s", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "grapevine.toml"
        config.write_text(
            SYNTHETIC_CONFIG.format(url=url) + '\n[sources.reddit]\nevery = "15m"\n',
            encoding="utf-8",
        )
        os.environ["GRAPEVINE_CONFIG"] = str(config)
        os.environ.pop("GRAPEVINE_DATABASE_URL", None)
        print(f"store: {args.db} ({args.n:,} mentions), median of {args.rounds} rounds", flush=True)
        print(f"{'page':<15}{'first render':>14}{'filter change':>15}")
        failed = False
        for page in args.pages:
            first, change = measure(page, args.rounds)
            ok = first < FIRST_RENDER_TARGET and change < FILTER_CHANGE_TARGET
            failed |= not ok
            print(
                f"{page:<15}{first:>12.2f} s{change:>13.2f} s  {'ok' if ok else 'SLOW'}",
                flush=True,
            )
        print(
            f"targets: first render < {FIRST_RENDER_TARGET:.0f} s, "
            f"filter change < {FILTER_CHANGE_TARGET:.0f} s"
            + (" — some pages are slower" if failed else " — all met")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
