"""Who may read the dashboard: local accounts, OpenID Connect identities, roles, and the
rule that decides when a login is required.

No Streamlit here (the login page is :mod:`grapevine.dashboard.auth`), so the command line
(``grapevine users``) and the scheduler (which refuses to serve a reachable dashboard
without authentication) share the same rules.

- Passwords are hashed with argon2id (``argon2-cffi``'s defaults, RFC 9106); an unknown
  account name costs the same hash as a known one, so timing tells nothing.
- Failed logins are counted per account name (known or not) in the store: after
  ``[app] login_attempts`` failures within ``login_window_minutes`` every attempt for that
  name is refused, right password or not, until the window has passed.
- A login is required whenever the dashboard is reachable beyond loopback, whenever any
  local account exists or an OpenID Connect provider is configured, and when
  ``[app] require_login`` says so. Only a loopback dashboard with none of these is open —
  the single-user laptop install.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from config.app import ROLES, AppSettings, Role
from storage import Store

__all__ = [
    "MIN_PASSWORD_CHARS",
    "AccountError",
    "LoginRefused",
    "RateLimited",
    "User",
    "add_user",
    "authenticate",
    "count_users",
    "hash_password",
    "is_loopback",
    "login_required",
    "oidc_configured",
    "oidc_role",
    "remove_user",
]

MIN_PASSWORD_CHARS = 12
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,199}")
_NOT_A_NAME = "(not an account name)"  # where failures for names no account can have count
_HASHER = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the account does not exist, so both paths take one argon2
    hash. Made on the first login attempt, not at import: hashing takes a quarter of a
    second, which every command that imports this module paid."""
    return _HASHER.hash("grapevine: no such account")


class AccountError(ValueError):
    """A username, password or role that cannot be used."""


class LoginRefused(Exception):
    """Wrong name or password (which of the two is never said)."""


class RateLimited(LoginRefused):
    """Too many failed logins for this name lately."""


@dataclasses.dataclass(frozen=True)
class User:
    """The person reading the dashboard, as far as Grapevine knows them."""

    name: str
    role: Role
    #: local (a ``grapevine users`` account), oidc (the identity provider), or open
    #: (a loopback dashboard with no accounts: the operator on their own machine)
    via: str = "local"

    def can(self, role: Role) -> bool:
        """Whether this user holds ``role`` or a higher one."""
        return ROLES.index(self.role) >= ROLES.index(role)


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    return _HASHER.hash(password)


def _check_name(username: str) -> str:
    if not _USERNAME.fullmatch(username):
        raise AccountError(
            "a username is 1-200 letters, digits and . _ @ + - (starting with a letter or digit)"
        )
    return username


def _check_role(role: str) -> Role:
    for known in ROLES:
        if role == known:
            return known
    raise AccountError(f"unknown role {role!r}; one of {', '.join(ROLES)}")


def add_user(store: Store, username: str, password: str, role: str) -> bool:
    """Create the account, or set a new password and role; True when it is new."""
    return store.put_user(_check_name(username), hash_password(password), _check_role(role))


def remove_user(store: Store, username: str) -> bool:
    return store.delete_user(username)


def count_users(store: Store) -> int:
    """Local accounts; 0 for a store created before accounts existed (not yet migrated)."""
    try:
        return store.count_users()
    except Exception:  # the table is missing until ``grapevine init`` migrates the store
        return 0


def authenticate(
    store: Store,
    username: str,
    password: str,
    app: AppSettings,
    now: datetime,
    address: str | None = None,
) -> User:
    """The account's user when ``password`` is right; :class:`RateLimited` after too many
    recent failures for ``username``, or from the client ``address`` whatever the names
    (password spraying); :class:`LoginRefused` otherwise."""
    window = timedelta(minutes=app.login_window_minutes)
    typed = username.strip()[:200]
    # Failures are counted per name, and per client address under a key no name can take
    # (a name that is not a valid account name counts under one shared key): otherwise
    # typing "address:<ip>" as a name would spend someone else's address budget.
    name = typed if _USERNAME.fullmatch(typed) else _NOT_A_NAME
    address_key = (
        f"address:{address.strip().lower()}"
        if address and app.login_attempts_per_address and not is_loopback(address)
        else None
    )
    if store.login_failures_since(name, now - window) >= app.login_attempts:
        raise RateLimited(
            f"too many failed logins for this name; try again in {app.login_window_minutes} minutes"
        )
    if address_key and store.login_failures_since(address_key, now - window) >= (
        app.login_attempts_per_address
    ):
        raise RateLimited(
            "too many failed logins from this address; try again in "
            f"{app.login_window_minutes} minutes"
        )
    row = store.get_user(name) if name != _NOT_A_NAME else None
    dummy = _dummy_hash()  # before the branch: a process's first attempt pays it either way
    try:
        _HASHER.verify(row["password_hash"] if row else dummy, password)
        ok = row is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if not ok or row is None:
        for key in (name, address_key):
            if key is not None:
                store.record_login_failure(key, now, keep_after=now - window)
        raise LoginRefused("wrong name or password")
    store.clear_login_failures(name)  # not the address's: one good account clears nothing
    if _HASHER.check_needs_rehash(row["password_hash"]):
        store.put_user(name, _HASHER.hash(password), row["role"])
    return User(name, _check_role(row["role"]), "local")


def is_loopback(address: str | None) -> bool:
    """Whether a server bound to ``address`` is reachable from this machine only. An
    empty address means every interface to Streamlit, so it is not loopback."""
    if not address:
        return False
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: whatever it resolves to, assume it is reachable


def secrets_files(cwd: Path | None = None) -> list[Path]:
    """Where Streamlit reads ``st.secrets`` from: ``STREAMLIT_SECRETS_FILES`` (comma
    separated) or ``~/.streamlit/secrets.toml`` and ``./.streamlit/secrets.toml``."""
    named = os.environ.get("STREAMLIT_SECRETS_FILES")
    if named:
        return [Path(p.strip()).expanduser() for p in named.split(",") if p.strip()]
    here = cwd or Path.cwd()
    return [Path.home() / ".streamlit" / "secrets.toml", here / ".streamlit" / "secrets.toml"]


def oidc_configured(files: Iterable[Path] | None = None) -> bool:
    """Whether Streamlit's ``st.login`` has an identity provider: an ``[auth]`` table with
    a ``redirect_uri`` and a ``cookie_secret``, and a client id (its own or a provider's)."""
    auth: dict[str, Any] = {}
    for path in secrets_files() if files is None else files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            continue
        found = data.get("auth")
        if isinstance(found, Mapping):
            auth.update(found)
    if not (auth.get("redirect_uri") and auth.get("cookie_secret")):
        return False
    providers = [v for v in auth.values() if isinstance(v, Mapping)]
    return bool(auth.get("client_id")) or any(p.get("client_id") for p in providers)


def oidc_role(claims: Mapping[str, Any], app: AppSettings) -> Role | None:
    """The role of an identity the provider signed in: ``[app] oidc_roles`` by e-mail (a
    verified one), else by subject, else ``oidc_default_role`` (None: not let in)."""
    email = claims.get("email")
    verified = claims.get("email_verified", True) is not False
    for key in (str(email).lower() if email and verified else None, claims.get("sub")):
        if not key:
            continue
        for name, role in app.oidc_roles.items():
            if name.lower() == str(key).lower():
                return role
    return app.oidc_default_role


def login_required(address: str | None, app: AppSettings, *, users: int, oidc: bool) -> bool:
    """Whether the dashboard must ask who is reading (module docstring)."""
    return app.require_login or not is_loopback(address) or users > 0 or oidc
