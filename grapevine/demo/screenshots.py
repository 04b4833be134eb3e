"""Start ``streamlit run app.py`` on loopback and photograph its pages in headless Chromium.

Shared by the browser tests and ``benchmarks/bench_screenshots.py`` (which writes the
README's pictures to ``docs/screenshots/`` from the demo store). Chromium is Debian's
package, driven by Playwright through ``executable_path``: nothing is downloaded. Lives in
the installed package so that the benchmark imports it like any other module.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["CHROMIUM", "PAGES", "app_file", "free_port", "screenshot_pages", "serve_app"]

import httpx

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PAGES = {
    "overview": "Overview",
    "word-of-mouth": "Word of mouth",
    "complaints": "Complaints",
    "communities": "Communities",
    "mentions": "Mentions",
    "sources": "Sources",
    "alerts": "Alerts",
}


def app_file() -> Path:
    """The installed dashboard entry point (``app.py``)."""
    spec = importlib.util.find_spec("app")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the dashboard's app.py is not installed")
    return Path(spec.origin)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_app(env: Mapping[str, str], timeout: float = 60.0) -> Iterator[str]:
    """Run the dashboard headless on a free loopback port; yield its base URL."""
    port = free_port()
    app = app_file()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--global.developmentMode",
        "false",
        "--client.toolbarMode",
        "viewer",
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=app.parent,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read() if proc.stdout else ""
                raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{out}")
            try:
                if httpx.get(f"{base}/_stcore/health", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"streamlit did not answer on {base} in {timeout:.0f} s")
            time.sleep(0.25)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


_BUSY = (
    '() => !!document.querySelector(\'[data-testid="stStatusWidget"], [data-testid="stSpinner"]\')'
)


def _wait_until_idle(page: Any, timeout: float = 180.0, quiet: float = 1.5) -> None:
    """Wait until the script has finished and no spinner shows, for ``quiet`` seconds in a
    row: Streamlit shows its running indicator only after a moment, so one idle glance
    right after the header appears proves nothing."""
    deadline = time.monotonic() + timeout
    idle_since: float | None = None
    while True:
        now = time.monotonic()
        if page.evaluate(_BUSY):
            idle_since = None
        elif idle_since is None:
            idle_since = now
        elif now - idle_since >= quiet:
            return
        if now > deadline:
            raise TimeoutError(f"the page was still running after {timeout:.0f} s")
        page.wait_for_timeout(250)


def screenshot_pages(
    base: str, out: Path, pages: Mapping[str, str] = PAGES, width: int = 1440, height: int = 1500
) -> dict[str, Path]:
    """Open each page, wait until it has rendered its header, save a full-page PNG.

    Returns the files written. Raises when a page shows a Streamlit exception box.
    """
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            for slug, title in pages.items():
                # The default page (the first) lives at the root, whatever its url_path.
                path = "" if slug == next(iter(PAGES)) else slug
                page.goto(f"{base}/{path}", wait_until="domcontentloaded")
                page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
                _wait_until_idle(page)
                if page.locator('[data-testid="stException"]').count():
                    text = page.locator('[data-testid="stException"]').first.inner_text()
                    raise AssertionError(f"page {slug} shows an exception:\n{text}")
                shot = out / f"{slug}.png"
                page.screenshot(path=str(shot), full_page=True)
                written[slug] = shot
        finally:
            browser.close()
    return written
