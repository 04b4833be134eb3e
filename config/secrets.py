"""Secrets (API keys, passwords, webhook URLs) from the environment or a ``.env`` file.

They are never part of :class:`config.settings.Settings`, so they cannot be printed with
it, exported, or shown in the app. Every value handed out is registered with
:class:`RedactingFilter`, which masks it in any log record that would contain it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from threading import Lock

from dotenv import dotenv_values
from pydantic import SecretStr

__all__ = ["RedactingFilter", "get_secret", "install_redaction", "load_dotenv_file", "redact"]

_known: set[str] = set()
_lock = Lock()


def load_dotenv_file(path: Path | str = ".env") -> None:
    """Copy ``.env`` entries into the environment without overriding what is already set."""
    p = Path(path)
    if not p.is_file():
        return
    for key, value in dotenv_values(p).items():
        if value is not None and key not in os.environ:
            os.environ[key] = value


def get_secret(name: str) -> SecretStr | None:
    """The secret named ``name`` (e.g. ``REDDIT_CLIENT_SECRET``), or None if it is unset."""
    value = os.environ.get(name)
    if not value:
        return None
    with _lock:
        _known.add(value)
    return SecretStr(value)


def redact(text: str) -> str:
    """Mask every secret value handed out so far."""
    with _lock:
        values = sorted(_known, key=len, reverse=True)
    for value in values:
        if len(value) >= 4:
            text = text.replace(value, "***")
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that masks secret values in the final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_redaction(logger: logging.Logger | None = None) -> None:
    """Attach the filter to every handler of ``logger`` (default: the root logger)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
