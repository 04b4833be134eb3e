"""Local accounts, the login rate limit, roles, OpenID Connect settings, and when the
dashboard must ask who is reading."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from config import Settings
from config.app import ROLES, AppSettings
from grapevine.cli import app
from grapevine.privacy.accounts import (
    AccountError,
    LoginRefused,
    RateLimited,
    User,
    add_user,
    authenticate,
    is_loopback,
    login_required,
    oidc_configured,
    oidc_role,
)
from grapevine.scheduler import _start_dashboard, dashboard_refusal
from storage import Store, open_store, schema

runner = CliRunner()
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"


def test_passwords_are_stored_as_argon2id_hashes_only(store: Store) -> None:
    assert add_user(store, "ana", PASSWORD, "editor") is True
    row = store.get_user("ana")
    assert row is not None
    assert row["password_hash"].startswith("$argon2id$")
    assert PASSWORD not in row["password_hash"]
    assert add_user(store, "ana", PASSWORD + "!", "admin") is False  # replaced, not added
    assert store.list_users()[0]["role"] == "admin"
    assert "password_hash" not in store.list_users()[0]


@pytest.mark.parametrize(
    ("name", "password", "role", "message"),
    [
        ("ana", "short", "viewer", "12 characters"),
        ("ana", PASSWORD, "owner", "unknown role"),
        ("<b>ana</b>", PASSWORD, "viewer", "username"),
        ("", PASSWORD, "viewer", "username"),
    ],
)
def test_bad_accounts_are_refused(
    store: Store, name: str, password: str, role: str, message: str
) -> None:
    with pytest.raises(AccountError, match=message):
        add_user(store, name, password, role)


def test_login_succeeds_with_the_right_password_only(store: Store) -> None:
    settings = AppSettings()
    add_user(store, "ana", PASSWORD, "viewer")
    assert authenticate(store, "ana", PASSWORD, settings, NOW) == User("ana", "viewer", "local")
    for name, password in (("ana", "wrong password!"), ("nobody", PASSWORD), ("", "")):
        with pytest.raises(LoginRefused, match="wrong name or password"):
            authenticate(store, name, password, settings, NOW)


def test_failed_logins_are_rate_limited_per_name_until_the_window_passes(store: Store) -> None:
    settings = AppSettings(login_attempts=3, login_window_minutes=10)
    add_user(store, "ana", PASSWORD, "viewer")
    add_user(store, "bo", PASSWORD, "viewer")
    for _ in range(3):
        with pytest.raises(LoginRefused):
            authenticate(store, "ana", "guess guess guess", settings, NOW)
    # Now even the right password is refused, for this name only.
    with pytest.raises(RateLimited, match="too many failed logins"):
        authenticate(store, "ana", PASSWORD, settings, NOW + timedelta(minutes=1))
    assert authenticate(store, "bo", PASSWORD, settings, NOW).name == "bo"
    # Unknown names are limited too (no probing for which names exist).
    for _ in range(3):
        with pytest.raises(LoginRefused):
            authenticate(store, "ghost", "x", settings, NOW)
    with pytest.raises(RateLimited):
        authenticate(store, "ghost", "x", settings, NOW)
    later = NOW + timedelta(minutes=11)
    assert authenticate(store, "ana", PASSWORD, settings, later).name == "ana"
    assert store.login_failures_since("ana", NOW - timedelta(days=1)) == 0  # cleared


def test_one_address_trying_many_names_is_rate_limited(store: Store) -> None:
    """Password spraying: one password against many names, from one client address."""
    settings = AppSettings(login_attempts=3, login_attempts_per_address=4)
    add_user(store, "ana", PASSWORD, "viewer")
    attacker, colleague = "203.0.113.7", "198.51.100.2"
    for name in ("ana", "bo", "cy", "di"):  # one try per name: no name reaches its limit
        with pytest.raises(LoginRefused):
            authenticate(store, name, "Summer2026!!", settings, NOW, attacker)
    with pytest.raises(RateLimited, match="from this address"):
        authenticate(store, "ana", PASSWORD, settings, NOW, attacker)
    # Another address is not affected, and signing in clears the name's count only.
    assert authenticate(store, "ana", PASSWORD, settings, NOW, colleague).name == "ana"
    with pytest.raises(RateLimited, match="from this address"):
        authenticate(store, "ana", PASSWORD, settings, NOW, attacker)
    # Loopback (a reverse proxy on this machine) is never counted: it is everyone.
    for name in ("eve", "fay", "gus", "hal", "ivy"):
        with pytest.raises(LoginRefused):
            authenticate(store, name, "x", settings, NOW, "127.0.0.1")
    assert authenticate(store, "ana", PASSWORD, settings, NOW, "127.0.0.1").name == "ana"
    # 0 turns the address limit off; the window ends it.
    off = AppSettings(login_attempts=3, login_attempts_per_address=0)
    assert authenticate(store, "ana", PASSWORD, off, NOW, attacker).name == "ana"
    later = NOW + timedelta(minutes=settings.login_window_minutes + 1)
    assert authenticate(store, "ana", PASSWORD, settings, later, attacker).name == "ana"


def test_a_name_cannot_spend_an_address_budget(store: Store) -> None:
    """Typing an address's key as a name must not count against that address."""
    settings = AppSettings(login_attempts=3, login_attempts_per_address=2)
    add_user(store, "ana", PASSWORD, "viewer")
    for _ in range(5):
        with pytest.raises((LoginRefused, RateLimited)):
            authenticate(store, "address:198.51.100.2", "x", settings, NOW, "203.0.113.9")
    assert authenticate(store, "ana", PASSWORD, settings, NOW, "198.51.100.2").name == "ana"


def test_roles_are_ordered() -> None:
    viewer, editor, admin = (User("u", r) for r in ("viewer", "editor", "admin"))  # type: ignore[arg-type]
    assert [viewer.can(r) for r in ROLES] == [True, False, False]
    assert [editor.can(r) for r in ROLES] == [True, True, False]
    assert [admin.can(r) for r in ROLES] == [True, True, True]


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("grapevine.example.com", False),
        ("", False),
        (None, False),
    ],
)
def test_loopback_addresses(address: str | None, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_login_is_required_beyond_loopback_or_once_anyone_could_log_in() -> None:
    app_settings = AppSettings()
    assert not login_required("127.0.0.1", app_settings, users=0, oidc=False)
    assert login_required("127.0.0.1", app_settings, users=1, oidc=False)
    assert login_required("127.0.0.1", app_settings, users=0, oidc=True)
    assert login_required("0.0.0.0", app_settings, users=0, oidc=False)
    assert login_required(None, app_settings, users=0, oidc=False)
    assert login_required("127.0.0.1", AppSettings(require_login=True), users=0, oidc=False)


def test_oidc_counts_as_configured_only_when_streamlit_could_log_in(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    assert not oidc_configured([secrets])  # no file
    secrets.write_text('[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\n')
    assert not oidc_configured([secrets])  # no cookie secret, no client
    secrets.write_text(
        '[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\n'
        'cookie_secret = "s3cret"\n\n[auth.keycloak]\nclient_id = "grapevine"\n'
        'client_secret = "x"\nserver_metadata_url = "https://id.test/.well-known/openid-configuration"\n'
    )
    assert oidc_configured([secrets])


def test_an_identity_gets_its_configured_role_or_none() -> None:
    settings = AppSettings(oidc_roles={"Ana@Acme.test": "admin", "sub-42": "editor"})
    assert oidc_role({"email": "ana@acme.test", "email_verified": True}, settings) == "admin"
    assert oidc_role({"email": "ana@acme.test", "email_verified": False}, settings) is None
    assert oidc_role({"sub": "sub-42"}, settings) == "editor"
    assert oidc_role({"email": "eve@gmail.test", "sub": "1"}, settings) is None
    open_door = AppSettings(oidc_default_role="viewer")
    assert oidc_role({"email": "eve@gmail.test"}, open_door) == "viewer"


def test_users_commands_add_list_and_remove(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    assert settings.path is not None
    config = ["-c", str(settings.path)]
    added = runner.invoke(
        app,
        ["users", "add", "ana", "--role", "editor", "--password-stdin", *config],
        input=PASSWORD + "\n",
    )
    assert added.exit_code == 0, added.output
    short = runner.invoke(app, ["users", "add", "bo", "--password-stdin", *config], input="short\n")
    assert short.exit_code == 2
    assert "12 characters" in short.output
    listed = runner.invoke(app, ["users", "list", *config])
    assert listed.exit_code == 0
    assert "ana" in listed.output
    assert "editor" in listed.output
    assert "argon2" not in listed.output
    assert "bo" not in listed.output
    store = open_store(settings.store.database_url)
    try:
        row = store.get_user("ana")
        assert row is not None
        assert row["password_hash"].startswith("$argon2id$")
    finally:
        store.engine.dispose()
    assert runner.invoke(app, ["users", "remove", "ana", *config]).exit_code == 0
    assert runner.invoke(app, ["users", "remove", "ana", *config]).exit_code == 1


def test_the_dashboard_is_refused_beyond_loopback_without_a_way_to_log_in(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STREAMLIT_SECRETS_FILES", str(tmp_path / "none.toml"))
    local = make_settings()
    assert dashboard_refusal(local) is None
    exposed = make_settings('\n[app]\naddress = "0.0.0.0"\n')
    open_store(exposed.store.database_url).engine.dispose()
    reason = dashboard_refusal(exposed)
    assert reason is not None
    assert "grapevine users add" in reason
    with pytest.raises(SystemExit) as stopped:
        _start_dashboard(exposed, 8501)
    assert stopped.value.code == 2
    store = open_store(exposed.store.database_url)
    add_user(store, "ana", PASSWORD, "admin")
    store.engine.dispose()
    assert dashboard_refusal(exposed) is None


def test_the_repository_streamlit_config_binds_loopback_with_the_viewer_toolbar() -> None:
    import tomllib

    root = Path(__file__).resolve().parents[2]
    config = tomllib.loads((root / ".streamlit" / "config.toml").read_text("utf-8"))
    assert config["server"]["address"] == "127.0.0.1"
    assert config["client"]["toolbarMode"] == "viewer"
    assert AppSettings().address == "127.0.0.1"
    gitignore = (root / ".gitignore").read_text("utf-8")
    assert "/.streamlit/secrets.toml" in gitignore


def test_the_users_table_never_holds_a_password(store: Store) -> None:
    add_user(store, "ana", PASSWORD, "viewer")
    with store.engine.connect() as conn:
        dumped = repr(conn.execute(schema.users.select()).all())
    assert PASSWORD not in dumped
