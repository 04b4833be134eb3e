"""The ``[app]`` section of the configuration: how the dashboard is served and shows the store."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ROLES", "AppSettings", "Role"]

#: What a signed-in person may do, least first: read; also triage and correct labels;
#: also manage users and alert channels.
Role = Literal["viewer", "editor", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "editor", "admin")


class AppSettings(BaseModel):
    """How the dashboard shows the store. (How long results are cached is
    :data:`grapevine.dashboard.cached.TTL`: Streamlit fixes it when the module loads.)"""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default_period_days: int = Field(
        default=30, ge=1, le=3650, description="the period selected when the app opens"
    )
    page_size: int = Field(default=50, ge=10, le=500, description="rows per Mentions page")
    address: str = Field(
        default="127.0.0.1",
        min_length=1,
        description="the interface ``grapevine run`` serves the dashboard on; loopback unless "
        "the dashboard is meant to be reached from other machines",
    )
    require_login: bool = Field(
        default=False,
        description="ask for a login even on loopback (behind a reverse proxy on this machine)",
    )
    session_hours: float = Field(
        default=12.0,
        gt=0,
        le=24 * 30,
        description="a local login lasts this long, then the dashboard asks again",
    )
    login_attempts: int = Field(
        default=5,
        ge=1,
        le=100,
        description="failed logins per account name allowed within login_window_minutes",
    )
    login_attempts_per_address: int = Field(
        default=20,
        ge=0,
        le=10_000,
        description="failed logins from one client address, whatever the names, allowed "
        "within login_window_minutes (one password tried against many names); 0 = no limit. "
        "Loopback clients (a reverse proxy on this machine) are not counted",
    )
    login_window_minutes: int = Field(
        default=15, ge=1, le=24 * 60, description="the window failed logins are counted in"
    )
    oidc_roles: dict[str, Role] = Field(
        default_factory=dict,
        description="OpenID Connect identities (e-mail, else subject) and their roles",
    )
    oidc_default_role: Role | None = Field(
        default=None,
        description="the role of any other identity the provider signs in; unset refuses "
        "them (a provider such as Google signs in anyone with an account)",
    )
