"""OpenID Connect end to end: Streamlit's own ``st.login`` against a loopback identity
provider (``oidc-provider-mock``), in headless Chromium. An identity listed in
``[app] oidc_roles`` gets in with its role and logs out; an unlisted one sees no page."""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import grapevine.demo.screenshots as screenshots
from config import Settings
from grapevine.demo.screenshots import CHROMIUM_ARGS, _wait_until_idle
from storage import open_store
from tests.app.browser import CHROMIUM, free_port, serve_app
from tests.app.seed import CONFIG_EXTRA, seed

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent"),
    # The mock provider (in a thread here) uses Authlib APIs Authlib has deprecated.
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:authlib.jose module is deprecated"),
]


@contextmanager
def _provider() -> Iterator[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        oidc_mock = pytest.importorskip("oidc_provider_mock")
    users = [
        oidc_mock.User(sub="ana", claims={"email": "ana@acme.test", "email_verified": True}),
        oidc_mock.User(sub="eve", claims={"email": "eve@elsewhere.test", "email_verified": True}),
    ]
    with oidc_mock.run_server_in_thread(user_claims=users) as server:
        yield f"http://localhost:{server.server_port}"


def _secrets(path: Path, provider: str, port: int) -> Path:
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(16)}"\n'
        'client_id = "grapevine"\n'
        'client_secret = "test-only"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    return path


def _sign_in(page: Any, base: str, sub: str) -> None:
    page.goto(base.replace("127.0.0.1", "localhost"), wait_until="domcontentloaded")
    try:
        page.get_by_role("heading", name="Log in").wait_for(timeout=60_000)
    except Exception:
        raise AssertionError(page.locator("body").inner_text()) from None
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    page.get_by_role("button", name="Log in with your organisation").click()
    page.get_by_role("button", name=sub, exact=True).click(timeout=60_000)  # the provider's form


def test_an_identity_provider_signs_people_in_with_their_role(
    make_settings: Callable[..., Settings],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    settings = make_settings(CONFIG_EXTRA + '\n[app]\noidc_roles = { "ana@acme.test" = "admin" }\n')
    store = open_store(settings.store.database_url)
    seed(store, settings)
    store.engine.dispose()
    port = free_port()
    monkeypatch.setattr(screenshots, "free_port", lambda: port)
    with _provider() as provider:
        env = {
            "GRAPEVINE_CONFIG": str(settings.path),
            "STREAMLIT_SECRETS_FILES": str(_secrets(tmp_path / "secrets.toml", provider, port)),
        }
        with serve_app(env) as base, _browser() as browser:
            page = browser.new_page(viewport={"width": 1440, "height": 1200})
            _sign_in(page, base, "ana")
            page.get_by_text("Signed in: ana@acme.test (admin)").wait_for(timeout=60_000)
            _wait_until_idle(page)
            nav = page.locator('[data-testid="stSidebarNav"]')
            assert nav.get_by_text("Users").count() == 1  # an admin's page
            page.get_by_role("button", name="Log out").click()
            # Streamlit ends the provider's session too (RP-initiated logout), then returns.
            page.get_by_role("button", name="End session").click(timeout=60_000)
            page.get_by_role("heading", name="Log in").wait_for(timeout=60_000)
            assert page.locator('[data-testid="stSidebarNav"]').count() == 0

            _sign_in(page, base, "eve")
            page.get_by_text("This account has no role on this dashboard").wait_for(timeout=60_000)
            _wait_until_idle(page)
            assert page.get_by_role("heading", name="Overview").count() == 0
            assert page.locator('[data-testid="stSidebarNav"]').count() == 0


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
