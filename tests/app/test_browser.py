"""End to end: ``streamlit run app.py`` on loopback, every page in headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import Settings
from tests.app.browser import CHROMIUM, PAGES, screenshot_pages, serve_app

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium)",
)


def test_every_page_renders_in_a_real_browser(seeded: Settings, tmp_path: Path) -> None:
    assert seeded.path is not None
    with serve_app({"GRAPEVINE_CONFIG": str(seeded.path)}) as base:
        shots = screenshot_pages(base, tmp_path / "shots")
    assert set(shots) == set(PAGES)
    for path in shots.values():
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(data) > 20_000  # a rendered page, not a blank one
