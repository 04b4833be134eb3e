"""The browser helpers, re-exported for the tests (they live in
:mod:`grapevine.demo.screenshots`, where the screenshot benchmark imports them too)."""

from __future__ import annotations

from grapevine.demo.screenshots import (
    CHROMIUM,
    PAGES,
    app_file,
    free_port,
    screenshot_pages,
    serve_app,
)

__all__ = ["CHROMIUM", "PAGES", "app_file", "free_port", "screenshot_pages", "serve_app"]
