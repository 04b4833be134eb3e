"""End to end in headless Chromium (issue #15): hostile data renders as text on every page,
and the login gate, roles and logout hold in a real browser."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from config import Settings
from grapevine.demo.screenshots import CHROMIUM_ARGS, _wait_until_idle
from grapevine.privacy.accounts import add_user
from storage import keys, open_store
from tests.app.browser import CHROMIUM, PAGES, serve_app
from tests.app.seed import CONFIG_EXTRA
from tests.privacy.hostile import ATTACKER, seed_hostile

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium)",
)

PASSWORD = "correct horse battery"

#: What a successful injection leaves in the DOM.
_INJECTED = """() => {
  const bad = [];
  for (const img of document.querySelectorAll('img')) {
    if ((img.getAttribute('src') || '').includes('ATTACKER')) bad.push('img ' + img.src);
  }
  for (const a of document.querySelectorAll('a[href]')) {
    const href = a.getAttribute('href').trim().toLowerCase();
    if (href.startsWith('javascript:') || href.startsWith('data:')) bad.push('a ' + href);
  }
  for (const s of document.querySelectorAll('script')) {
    if ((s.textContent || '').includes("alert('xss')")) bad.push('script');
  }
  for (const f of document.querySelectorAll('iframe[src*="ATTACKER"]')) bad.push('iframe');
  for (const el of document.querySelectorAll('[onerror]')) bad.push('onerror');
  return bad;
}""".replace("ATTACKER", ATTACKER)


@contextmanager
def _browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def _settings(make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch) -> Settings:
    settings = make_settings(CONFIG_EXTRA)
    assert settings.path is not None
    monkeypatch.delenv("GRAPEVINE_DATABASE_URL", raising=False)
    return settings


def test_hostile_data_renders_as_text_on_every_page(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(make_settings, monkeypatch)
    store = open_store(settings.store.database_url)
    seed_hostile(store, settings)
    keys.create_key(settings.store.database_url)
    store.engine.dispose()
    fetched: list[str] = []
    with serve_app({"GRAPEVINE_CONFIG": str(settings.path)}) as base, _browser() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 1400})

        def guard(route: Any) -> None:
            url = route.request.url
            if url.startswith(base) or url.startswith("data:") or url.startswith("blob:"):
                route.continue_()
            else:
                fetched.append(url)
                route.abort()

        page.route("**/*", guard)
        for slug, title in PAGES.items():
            page.goto(f"{base}/{'' if slug == 'overview' else slug}", wait_until="domcontentloaded")
            page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
            _wait_until_idle(page)
            assert page.locator('[data-testid="stException"]').count() == 0, slug
            assert page.evaluate(_INJECTED) == [], slug
        # The full view of a hostile mention: select the newest row of the Mentions grid.
        page.goto(f"{base}/mentions", wait_until="domcontentloaded")
        page.get_by_role("heading", name="Mentions").first.wait_for(timeout=60_000)
        _wait_until_idle(page)
        grid = page.locator('[data-testid="stDataFrame"]').first
        box = grid.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection box
        page.get_by_role("heading", name="Mention", exact=True).wait_for(timeout=30_000)
        _wait_until_idle(page)
        caption = page.locator('[data-testid="stCaptionContainer"]').filter(has_text="UTC").last
        shown = caption.inner_text()
        assert f"![x](http://{ATTACKER}/p.png)" in shown  # the author, character for character
        assert page.evaluate(_INJECTED) == []
        assert page.get_by_role("link", name="Open the original ↗").count() == 0 or not (
            page.get_by_role("link", name="Open the original ↗").first.get_attribute("href") or ""
        ).lower().startswith("javascript")
    # No pixel, no script, nothing from the attacker's host. (Streamlit itself asks
    # fonts.gstatic.com for Material icons; they are aborted here like everything off-host.)
    assert [url for url in fetched if ATTACKER in url] == []


def _log_in(page: Any, name: str, password: str) -> None:
    page.get_by_role("textbox", name="Name").fill(name)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    _wait_until_idle(page, quiet=1.0)  # each attempt is judged before the next


def _wait_heading(page: Any, name: str) -> None:
    page.get_by_role("heading", name=name, exact=True).first.wait_for(timeout=60_000)
    _wait_until_idle(page)


def test_login_roles_and_logout_in_a_real_browser(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(make_settings, monkeypatch)
    store = open_store(settings.store.database_url)
    seed_hostile(store, settings)
    add_user(store, "vera", PASSWORD, "viewer")
    add_user(store, "ada", PASSWORD, "admin")
    store.engine.dispose()
    with serve_app({"GRAPEVINE_CONFIG": str(settings.path)}) as base, _browser() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 1200})
        # Unauthenticated: the login page and nothing else, on every path.
        for path in ("", "mentions", "users"):
            page.goto(f"{base}/{path}", wait_until="domcontentloaded")
            _wait_heading(page, "Log in")
            assert page.locator('[data-testid="stSidebarNav"]').count() == 0
            assert page.get_by_role("heading", name="Overview").count() == 0
            assert page.get_by_role("heading", name="Mentions").count() == 0
            assert "Acme" not in page.locator("body").inner_text()
        _log_in(page, "vera", "not the password")
        page.get_by_text("Wrong name or password.").wait_for(timeout=30_000)
        assert page.get_by_role("heading", name="Overview").count() == 0

        # A viewer reads every page but never sees the admin's page or its link.
        _log_in(page, "vera", PASSWORD)
        _wait_heading(page, "Overview")
        assert page.get_by_text("Signed in: vera (viewer)").count() == 1
        nav = page.locator('[data-testid="stSidebarNav"]')
        assert nav.get_by_text("Mentions").count() == 1
        assert nav.get_by_text("Users").count() == 0
        nav.get_by_text("Mentions").click()
        _wait_heading(page, "Mentions")  # the session survives moving between pages

        # Logout ends the session: back to the login page, with no page behind it.
        page.get_by_role("button", name="Log out").click()
        _wait_heading(page, "Log in")
        assert page.get_by_text("You have logged out.").count() == 1
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0

        # An admin gets the Users page.
        _log_in(page, "ada", PASSWORD)
        page.get_by_text("Signed in: ada (admin)").wait_for(timeout=60_000)
        _wait_until_idle(page)
        page.locator('[data-testid="stSidebarNav"]').get_by_text("Users").click()
        _wait_heading(page, "Users")
        assert page.get_by_text("Signed in: ada (admin)").count() == 1

        # A viewer who types the admin page's address gets the login page, then not the page.
        page.goto(f"{base}/users", wait_until="domcontentloaded")
        _wait_heading(page, "Log in")
        _log_in(page, "vera", PASSWORD)
        deadline = time.monotonic() + 60
        while page.get_by_text("Signed in: vera (viewer)").count() == 0:
            assert time.monotonic() < deadline, "the viewer never got in"
            page.wait_for_timeout(250)
        _wait_until_idle(page)
        assert page.get_by_role("heading", name="Users", exact=True).count() == 0
        assert page.get_by_text("grapevine users add NAME --role").count() == 0

        # Guessing is rate-limited: after five failures even the right password waits.
        page.get_by_role("button", name="Log out").click()
        _wait_heading(page, "Log in")
        for _ in range(5):
            _log_in(page, "ada", "wrong wrong wrong")
            page.get_by_text("Wrong name or password.").wait_for(timeout=30_000)
        _log_in(page, "ada", PASSWORD)
        page.get_by_text("too many failed logins").wait_for(timeout=30_000)
        assert page.get_by_role("heading", name="Overview").count() == 0
