"""The installation's secret key: where it lives, how it is read, how ``grapevine init``
creates it — and the keyed hashes made with it.

The key sits *outside* the database it protects, so a copy of the store (a backup, a
dump handed to a contractor) does not carry it: export pseudonyms cannot be reversed by
hashing a list of known handles, and the tombstones of forgotten people name no one.
It is, in order:

1. ``GRAPEVINE_PSEUDONYM_KEY`` (64 hex characters) — for containers and secret managers;
2. the file named by ``GRAPEVINE_PSEUDONYM_KEY_FILE``;
3. a file beside a SQLite store (``data/grapevine.db`` → ``data/grapevine.key``), or
   ``data/grapevine.key`` in the working directory for any other database.

Only :func:`create_key` writes it (mode 0600, never overwriting); every other caller —
the dashboard included — only reads it, and gets ``None`` when there is none.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from sqlalchemy.engine import make_url

__all__ = [
    "KEY_ENV",
    "KEY_FILE_ENV",
    "KeyFileError",
    "create_key",
    "key_path",
    "load_key",
    "tombstone_digest",
]

KEY_ENV = "GRAPEVINE_PSEUDONYM_KEY"
KEY_FILE_ENV = "GRAPEVINE_PSEUDONYM_KEY_FILE"
_KEY_BYTES = 32


class KeyFileError(Exception):
    """The key is there but unusable (not hex, too short, unreadable)."""


def key_path(database_url: str) -> Path:
    """Where the key file is (or would be) for the store at ``database_url``."""
    named = os.environ.get(KEY_FILE_ENV)
    if named:
        return Path(named).expanduser()
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).with_suffix(".key")
    return Path("data") / "grapevine.key"


def _parse(text: str, where: str) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        raise KeyFileError(f"{where} is not a hex-encoded key") from None
    if len(key) < 16:
        raise KeyFileError(f"{where} holds {len(key) * 8} bits; at least 128 are needed")
    return key


def load_key(database_url: str) -> bytes | None:
    """The key, or None when neither the environment nor the file holds one."""
    value = os.environ.get(KEY_ENV)
    if value:
        return _parse(value, KEY_ENV)
    path = key_path(database_url)
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise KeyFileError(f"cannot read the key file {path}: {exc}") from None
    return _parse(text, str(path))


def create_key(database_url: str, value: bytes | None = None) -> tuple[bytes, Path | None]:
    """The key, created when there is none: ``value`` (a key moved out of the database)
    or 256 fresh random bits, written to :func:`key_path` with mode 0600. Returns the key
    and the file it is in (None when the environment supplies it). Never overwrites: a
    concurrent first call that loses the race reads the winner's key."""
    existing = load_key(database_url)
    path = None if os.environ.get(KEY_ENV) else key_path(database_url)
    if existing is not None:
        if path is not None and path.exists():
            path.chmod(0o600)  # a key copied in by hand may be world-readable
        return existing, path
    assert path is not None
    key = value if value is not None else secrets.token_bytes(_KEY_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        found = load_key(database_url)
        assert found is not None
        return found, path
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
    return key, path


def tombstone_digest(key: bytes, kind: str, source: str, value: str) -> str:
    """The keyed hash a tombstone stores for ``(source, value)``: an author handle
    (compared case-insensitively, as platforms do) or a mention's external id."""
    if kind == "author":
        value = value.strip().lstrip("@").lower()
    message = f"grapevine-tombstone:{kind}:{source}:{value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
