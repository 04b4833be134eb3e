"""Configuration: ``grapevine.toml`` (brands, sources, schedules) and secrets from the environment."""

from config.secrets import get_secret, install_redaction, load_dotenv_file, redact
from config.settings import (
    DEFAULT_CONFIG_PATH,
    Brand,
    ConfigError,
    Settings,
    SourceSettings,
    load_config,
    parse_interval,
)

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "Brand",
    "ConfigError",
    "Settings",
    "SourceSettings",
    "get_secret",
    "install_redaction",
    "load_config",
    "load_dotenv_file",
    "parse_interval",
    "redact",
]
