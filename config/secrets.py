"""Secrets (API keys, passwords, webhook URLs) from the environment or a ``.env`` file.

They are never part of :class:`config.settings.Settings`, so they cannot be printed with
it, exported, or shown in the app. Every value handed out is registered with
:func:`redact` (and :class:`RedactingFilter`, which applies it to log records), which masks
it in every form it travels in: as is, percent-encoded in any style (a Stack Exchange key
such as ``ab*((cd`` is ``ab%2A%28%28cd`` in a query string), ``+`` for spaces, and — for a
webhook URL — the path and query values alone, which receivers echo back in error bodies.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from threading import Lock
from urllib.parse import parse_qsl, urlsplit

from dotenv import dotenv_values
from pydantic import SecretStr

__all__ = [
    "RedactingFilter",
    "get_secret",
    "install_redaction",
    "load_dotenv_file",
    "redact",
    "register_secret",
]

_known: set[str] = set()
_patterns: dict[str, re.Pattern[str]] = {}
_lock = Lock()
_MIN_PART = 8  # shorter URL parts ("/services", "v1") are not secrets on their own


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
    register_secret(value)
    return SecretStr(value)


def _parts(value: str) -> list[str]:
    """The value and, for a URL, the pieces of it that a receiver may echo on their own."""
    parts = [value]
    if "://" in value:
        try:
            url = urlsplit(value)
        except ValueError:
            return parts
        if url.password:
            parts.append(url.password)
        if len(url.path.strip("/")) >= _MIN_PART:
            parts.append(url.path.rstrip("/"))
            parts += [seg for seg in url.path.split("/") if len(seg) >= 12]
        parts += [v for _, v in parse_qsl(url.query) if len(v) >= _MIN_PART]
    return parts


def _pattern(value: str) -> re.Pattern[str]:
    """A regex matching ``value`` with any character as is or percent-encoded (either
    case), and spaces also as ``+``: every way a URL or form body can carry it."""
    pieces = []
    for char in value:
        encoded = "".join(f"%{b:02x}" for b in char.encode("utf-8"))
        options = [re.escape(char), re.escape(encoded)]
        if char == " ":
            options.append(r"\+")
        pieces.append("(?:" + "|".join(options) + ")")
    return re.compile("".join(pieces), re.IGNORECASE if not value.isalnum() else 0)


def register_secret(value: str) -> None:
    """Mask ``value`` (and its encodings and URL parts) from now on in :func:`redact`."""
    with _lock:
        for part in _parts(value):
            if len(part) >= 4 and part not in _known:
                _known.add(part)
                _patterns[part] = _pattern(part)


def redact(text: str) -> str:
    """Mask every secret value handed out so far, in every encoding (see the module doc)."""
    with _lock:
        patterns = [_patterns[v] for v in sorted(_known, key=len, reverse=True)]
    for pattern in patterns:
        text = pattern.sub("***", text)
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
