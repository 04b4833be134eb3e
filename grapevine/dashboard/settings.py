"""The ``[app]`` section of the configuration, validated here because the app owns it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from config import ConfigError, Settings

__all__ = ["AppSettings", "app_settings"]


class AppSettings(BaseModel):
    """How the dashboard shows the store. (How long results are cached is
    :data:`grapevine.dashboard.cached.TTL`: Streamlit fixes it when the module loads.)"""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default_period_days: int = Field(
        default=30, ge=1, le=3650, description="the period selected when the app opens"
    )
    page_size: int = Field(default=50, ge=10, le=500, description="rows per Mentions page")


def app_settings(settings: Settings) -> AppSettings:
    """Validate ``[app]``; a bad key is reported like every other configuration error."""
    raw: dict[str, Any] = dict(settings.app)
    try:
        return AppSettings.model_validate(raw)
    except ValidationError as exc:
        where = str(settings.path) if settings.path else "configuration"
        problems = "; ".join(
            f"app.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_url=False)
        )
        raise ConfigError(f"{where}: {problems}") from None
