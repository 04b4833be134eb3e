"""The dashboard's gate in ``AppTest``: who sees what, and when a session ends. (The same
paths in a real browser: ``tests/app/test_browser_security.py``.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from config import Settings
from grapevine.dashboard import auth
from grapevine.privacy.accounts import add_user
from storage import Store, keys, open_store
from tests.app.seed import CONFIG_EXTRA, seed

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def installed(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Settings, Store]]:
    settings = make_settings(CONFIG_EXTRA + '\n[app]\noidc_roles = { "ana@acme.test" = "admin" }\n')
    store = open_store(settings.store.database_url)
    seed(store, settings)
    keys.create_key(settings.store.database_url)
    monkeypatch.setenv("GRAPEVINE_CONFIG", str(settings.path))
    monkeypatch.delenv("GRAPEVINE_DATABASE_URL", raising=False)
    monkeypatch.setattr(auth, "oidc_configured", lambda _files: False)
    yield settings, store
    store.engine.dispose()


def _app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60).run()


def _headers(at: AppTest) -> list[str]:
    return [h.value for h in at.header] + [t.value for t in at.title]


def _log_in(at: AppTest, name: str, password: str) -> AppTest:
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    return at.button[0].click().run()


def test_an_open_loopback_dashboard_needs_no_login(installed: tuple[Settings, Store]) -> None:
    at = _app()
    assert not at.exception
    assert "Overview" in _headers(at)
    assert auth.User("local", "admin", "open") == at.session_state["grapevine_user"]


def test_beyond_loopback_without_accounts_the_dashboard_refuses(
    installed: tuple[Settings, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "_bound_address", lambda: "0.0.0.0")
    at = _app()
    assert "Overview" not in _headers(at)
    assert any("no way to log in" in e.value for e in at.error)
    assert not at.text_input  # not even a login form: nobody could log in


def test_a_local_session_ends_when_it_expires_or_the_account_goes(
    installed: tuple[Settings, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, store = installed
    add_user(store, "vera", PASSWORD, "viewer")
    add_user(store, "ada", PASSWORD, "admin")  # with no account left the dashboard is open
    at = _app()
    assert "Overview" not in _headers(at)
    at = _log_in(at, "vera", PASSWORD)
    assert "Overview" in _headers(at)
    assert at.session_state["grapevine_user"].role == "viewer"
    later = datetime.now(UTC) + timedelta(hours=13)  # [app] session_hours = 12
    monkeypatch.setattr(auth, "_now", lambda: later)
    at.run()
    assert "Overview" not in _headers(at)
    assert any("session has ended" in i.value for i in at.info)
    monkeypatch.setattr(auth, "_now", lambda: datetime.now(UTC))
    at = _log_in(at, "vera", PASSWORD)
    assert "Overview" in _headers(at)
    store.delete_user("vera")
    at.run()
    assert "Overview" not in _headers(at)
    assert any("no longer exists" in i.value for i in at.info)


def test_a_role_change_takes_effect_at_the_next_click(installed: tuple[Settings, Store]) -> None:
    _, store = installed
    add_user(store, "vera", PASSWORD, "viewer")
    at = _log_in(_app(), "vera", PASSWORD)
    assert not auth.User("vera", "viewer").can("admin")
    add_user(store, "vera", PASSWORD, "admin")
    at.run()
    assert at.session_state["grapevine_user"] == auth.User("vera", "admin", "local")


class _Identity:
    def __init__(self, claims: dict[str, Any] | None) -> None:
        self.claims = claims
        self.is_logged_in = claims is not None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.claims or {})


@pytest.mark.parametrize(
    ("claims", "role"),
    [
        ({"email": "ana@acme.test", "email_verified": True, "sub": "1"}, "admin"),
        ({"email": "eve@gmail.test", "email_verified": True, "sub": "2"}, None),
        ({"email": "ana@acme.test", "email_verified": False, "sub": "3"}, None),
    ],
)
def test_an_identity_providers_user_gets_the_configured_role_or_nothing(
    installed: tuple[Settings, Store],
    monkeypatch: pytest.MonkeyPatch,
    claims: dict[str, Any],
    role: str | None,
) -> None:
    monkeypatch.setattr(auth, "oidc_configured", lambda _files: True)
    monkeypatch.setattr(st, "user", _Identity(claims))
    at = _app()
    if role is None:
        assert "Overview" not in _headers(at)
        assert any("no role" in e.value for e in at.error)
    else:
        assert "Overview" in _headers(at)
        assert at.session_state["grapevine_user"] == auth.User("ana@acme.test", "admin", "oidc")


def test_with_a_provider_the_login_page_offers_it(
    installed: tuple[Settings, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "oidc_configured", lambda _files: True)
    monkeypatch.setattr(st, "user", _Identity(None))
    at = _app()
    assert "Overview" not in _headers(at)
    assert [b.label for b in at.button] == ["Log in with your organisation"]
    assert not at.text_input  # no local accounts: no password form


def test_the_dashboards_download_never_creates_the_key_and_says_how(
    installed: tuple[Settings, Store],
) -> None:
    settings, _ = installed
    path = keys.key_path(settings.store.database_url)
    path.unlink()
    at = _app()
    at.switch_page("grapevine/dashboard/pages/mentions.py").run()
    at.button(key="export_prepare").click().run()
    assert not at.exception, at.exception
    assert any("pseudonym key" in e.value for e in at.error)
    assert any("grapevine init" in c.value for c in at.code)
    assert "_export_bundle" not in at.session_state
    assert not path.exists()
