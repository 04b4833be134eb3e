"""Who is reading the dashboard: the login page, the signed-in user, and the checks pages
make before they show a control.

``app.py`` calls :func:`gate` before it registers any page. When a login is required
(:func:`grapevine.privacy.accounts.login_required`: beyond loopback, or once an account or
an identity provider exists) and nobody is signed in, :func:`gate` draws the login page and
stops the script, so no page, sidebar or query runs for an unauthenticated visitor.

Two ways in:

- **OpenID Connect** through Streamlit's own ``st.login`` (Google, Microsoft, Okta,
  Keycloak … configured under ``[auth]`` in ``.streamlit/secrets.toml``); the identity's
  role comes from ``[app] oidc_roles`` / ``oidc_default_role``.
- **Local accounts** (``grapevine users add``): argon2id hashes in the store, failed logins
  rate-limited per name and per client address, and a session that lasts ``[app]
  session_hours`` in this browser tab (a reload asks again: the session lives in the
  server's memory, never in a cookie).
  A removed account, or a changed role, takes effect at the next click.

For pages: :func:`current_user`, :func:`can_edit`, :func:`is_admin` and
:func:`require_role` (which explains and stops when the user lacks the role).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from config import ConfigError, Settings, load_config
from config.app import Role
from grapevine.dashboard import cached
from grapevine.privacy.accounts import (
    LoginRefused,
    RateLimited,
    User,
    authenticate,
    count_users,
    is_loopback,
    login_required,
    oidc_configured,
    oidc_role,
    secrets_files,
)
from storage import Store

__all__ = [
    "can_edit",
    "current_user",
    "gate",
    "is_admin",
    "logout",
    "render_account",
    "require_role",
    "users_page",
]

_SESSION = "grapevine_session"
_USER = "grapevine_user"
_NOTICE = "grapevine_login_notice"


@dataclasses.dataclass(frozen=True)
class _LocalSession:
    user: User
    expires_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def _bound_address() -> str | None:
    """The interface this server listens on (``--server.address``, else the config file);
    unset means every interface."""
    value = st.get_option("server.address")
    return str(value) if value else None


def _store(url: str) -> Store | None:
    try:
        return cached.store(url) if cached.store_ready(url) else None
    except Exception:  # an unreachable store: the sidebar explains it after the gate
        return None


def _providers() -> list[str | None]:
    """``st.login`` arguments: one per named provider, or the unnamed one."""
    names: list[str | None] = []
    try:
        auth = st.secrets.get("auth", {})
    except Exception:  # no secrets file at all
        return [None]
    if isinstance(auth, Mapping):
        names = [k for k, v in auth.items() if isinstance(v, Mapping)]
    return names or [None]


def _claims() -> dict[str, Any]:
    try:
        return dict(st.user.to_dict())
    except Exception:
        return {}


def _remember(user: User) -> User:
    st.session_state[_USER] = user
    return user


def gate(settings: Settings | None = None, pages: Sequence[Any] = ()) -> User:
    """The signed-in user, or the login page (and a stop). On a loopback dashboard with
    no accounts and no identity provider, everyone who can reach it is the operator.

    ``pages`` (``app.py``'s, all of them) are registered hidden while the login page shows,
    so a bookmarked page's address survives the login and no navigation shows before it."""
    if settings is None:
        try:
            settings = load_config()
        except ConfigError:
            settings = None
    if settings is None:  # the sidebar explains the configuration error
        if is_loopback(_bound_address()):
            return _remember(User("local", "admin", "open"))
        st.error("The dashboard's configuration cannot be read; nobody can log in.")
        st.stop()
    app = settings.app
    oidc = oidc_configured(secrets_files())
    if oidc and st.user.is_logged_in:
        claims = _claims()
        name = str(claims.get("email") or claims.get("sub") or "unknown")
        role = oidc_role(claims, app)
        if role is None:
            _hide_pages(pages)
            st.title("Grapevine")
            st.error("This account has no role on this dashboard. Ask an admin to add it.")
            st.text(name)
            st.button("Log out", on_click=st.logout, key="oidc_refused_logout")
            st.stop()
        return _remember(User(name, role, "oidc"))
    store = _store(settings.store.database_url)
    held = st.session_state.get(_SESSION)
    if isinstance(held, _LocalSession):
        row = store.get_user(held.user.name) if store is not None else None
        if held.expires_at <= _now():
            st.session_state[_NOTICE] = "Your session has ended; log in again."
        elif row is None:
            st.session_state[_NOTICE] = "Your account no longer exists."
        else:
            return _remember(User(held.user.name, row["role"], "local"))
        del st.session_state[_SESSION]
    users = count_users(store) if store is not None else 0
    if not login_required(_bound_address(), app, users=users, oidc=oidc):
        return _remember(User("local", "admin", "open"))
    st.session_state.pop(_USER, None)
    _hide_pages(pages)
    _login_page(settings, store, users=users, oidc=oidc)
    st.stop()
    raise AssertionError("unreachable")  # st.stop raises; this keeps the types honest


def _hide_pages(pages: Sequence[Any]) -> None:
    """Register the app's pages without showing them: the frontend forgets the navigation
    an earlier, signed-in run of this tab showed, and none of the pages runs."""
    if pages:
        st.navigation(list(pages), position="hidden")


def _login_page(settings: Settings, store: Store | None, *, users: int, oidc: bool) -> None:
    st.title("Grapevine")
    st.subheader("Log in")
    notice = st.session_state.pop(_NOTICE, None)
    if notice:
        st.info(notice)
    if not users and not oidc:
        st.error(
            "This dashboard is reachable from other machines, and there is no way to log in "
            "yet. Add an account on the server (`grapevine users add NAME --role admin`) or "
            "configure an identity provider (docs/privacy.md)."
        )
        return
    if oidc:
        for provider in _providers():
            label = f"Log in with {provider}" if provider else "Log in with your organisation"
            st.button(
                label,
                on_click=st.login,
                args=(provider,) if provider else (),
                key=f"oidc_login_{provider or 'default'}",
                type="primary",
            )
    if users and store is not None:
        with st.form("login", clear_on_submit=False):
            name = st.text_input("Name", key="login_name", autocomplete="username")
            password = st.text_input(
                "Password", type="password", key="login_password", autocomplete="current-password"
            )
            submitted = st.form_submit_button("Log in", type="primary")
        if submitted:
            _local_login(settings, store, name, password)


def _client_address() -> str | None:
    """The browser's address as Streamlit saw the connection (None where unknown; behind a
    reverse proxy it is the proxy's)."""
    try:
        address = st.context.ip_address
    except (AttributeError, RuntimeError):
        return None
    return address if isinstance(address, str) and address else None


def _local_login(settings: Settings, store: Store, name: str, password: str) -> None:
    now = _now()
    try:
        user = authenticate(store, name, password, settings.app, now, _client_address())
    except RateLimited as exc:
        st.error(f"Not now: {exc}.")
        return
    except LoginRefused:
        st.error("Wrong name or password.")
        return
    expires = now + timedelta(hours=settings.app.session_hours)
    st.session_state[_SESSION] = _LocalSession(user, expires)
    for key in ("login_password", "login_name"):
        st.session_state.pop(key, None)
    st.rerun()


def current_user() -> User:
    """Who is reading (after :func:`gate`; an operator on an open loopback dashboard is
    ``local``/admin). A page script run on its own runs the gate first."""
    user = st.session_state.get(_USER)
    return user if isinstance(user, User) else gate()


def can_edit() -> bool:
    """Whether the reader may triage and correct labels (editor or admin)."""
    return current_user().can("editor")


def is_admin() -> bool:
    return current_user().can("admin")


def require_role(role: Role) -> User:
    """The user when they hold ``role``; otherwise an explanation and a stop."""
    user = current_user()
    if not user.can(role):
        st.warning(f"This needs the {role} role; you are signed in as a {user.role}.")
        st.stop()
    return user


def logout() -> None:
    """End this browser tab's session (and the identity provider's, for OIDC)."""
    user = st.session_state.get(_USER)
    st.session_state.pop(_SESSION, None)
    st.session_state.pop(_USER, None)
    st.session_state[_NOTICE] = "You have logged out."
    if isinstance(user, User) and user.via == "oidc":
        st.logout()


def render_account(where: Any) -> None:
    """The sidebar's account line and logout button (nothing on an open dashboard)."""
    user = st.session_state.get(_USER)
    if not isinstance(user, User) or user.via == "open":
        return
    where.text(f"Signed in: {user.name} ({user.role})")  # text: a name is never Markdown
    where.button("Log out", on_click=logout, key="logout", icon=":material/logout:")


def users_page() -> None:
    """Admins: the local accounts (read only: accounts change on the server with
    ``grapevine users``, so the dashboard never writes them)."""
    require_role("admin")
    st.header("Users")
    st.caption(
        "Local accounts and their roles. Add, change or remove them on the server with "
        "`grapevine users add NAME --role viewer|editor|admin` and `grapevine users remove "
        "NAME`; identity-provider users get their role from `[app] oidc_roles`."
    )
    settings = load_config()
    store = _store(settings.store.database_url)
    rows = store.list_users() if store is not None else []
    st.dataframe(
        pd.DataFrame(
            [{"User": r["username"], "Role": r["role"], "Created": r["created_at"]} for r in rows],
            columns=["User", "Role", "Created"],
        ),
        hide_index=True,
        width="stretch",
    )
