"""Pseudonyms for authors, and the scrubbing of other direct identifiers (DESIGN.md §5).

A researcher needs to know that two mentions came from the same person (advocates,
detractors, reply networks), not who that person is. So every author handle becomes a
keyed hash: ``HMAC-SHA256(installation secret, "<source>:<handle, lower-cased>")``. The
secret is created once per installation (``grapevine init``) and lives in the store's
``meta`` table; it never leaves the installation. The same author therefore gets the same
pseudonym in every export of one installation, and unrelated pseudonyms in another's, and
without the secret a pseudonym cannot be reversed by hashing a list of known handles.

Handles also hide in other fields: ``@alice`` and ``u/alice`` in a text, profile links
(``/@alice``, ``/user/alice``, ``/users/123/alice``, ``user?id=alice``), Bluesky DIDs
(``did:plc:…``) inside post URIs, and the author's own handle inside a URL or id.
:meth:`Pseudonymiser.scrub` replaces each with the matching pseudonym, so rows stay
joinable (the same id scrubs to the same value everywhere) while no handle survives.
A handle written bare in running text (no ``@``/``u/``) cannot be told from an ordinary
word and is left as written; docs/export.md says so.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from typing import Protocol

__all__ = [
    "SECRET_META_KEY",
    "Pseudonymiser",
    "ensure_installation_secret",
    "key_id",
]

SECRET_META_KEY = "export_pseudonym_secret"
"""The ``meta`` row holding the per-installation HMAC key (hex)."""

_PREFIX = "u_"
_DIGEST_CHARS = 20  # 80 bits: no collision in practice among millions of authors


class _MetaStore(Protocol):
    def get_meta(self, key: str) -> str | None: ...

    def set_meta_once(self, key: str, value: str) -> str: ...


def ensure_installation_secret(store: _MetaStore) -> bytes:
    """The installation's pseudonym key, created (256 random bits) on first call.

    ``grapevine init`` calls it; an export calls it too, so a store created before the
    export module existed still gets a key. ``set_meta_once`` makes concurrent first calls
    agree on one key.
    """
    current = store.get_meta(SECRET_META_KEY)
    if current is None:
        current = store.set_meta_once(SECRET_META_KEY, secrets.token_hex(32))
    return bytes.fromhex(current)


def key_id(secret: bytes) -> str:
    """A short public fingerprint of the key: two exports with the same key id share
    pseudonyms. It reveals nothing about the 256-bit key itself."""
    return hashlib.sha256(b"grapevine-export-key-id:" + secret).hexdigest()[:12]


# "@alice", "@alice@mastodon.social", "@alice.bsky.social" — but not "bob@example.com".
_AT_HANDLE = re.compile(
    r"(?<![\w@])@([A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?"
    r"(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?)"
)
# Reddit's "u/alice" and "/u/alice".
_REDDIT_USER = re.compile(r"(?<![\w])(/?u/)([A-Za-z0-9_-]{3,20})\b")
# Profile paths: /user/alice, /users/alice (Mastodon URIs), /profile/alice.bsky.social …
_PROFILE_PATH = re.compile(
    r"/(user|users|profile|people|author|member|members|channel)/([^/?#\s\"'<>]+)"
    # Stack Exchange profile URLs end with the display name: /users/123/alice-smith.
    r"(?:/(?!statuses\b|posts?\b|followers\b|following\b)[A-Za-z][\w-]*(?=$|[?#\s\"'<>]))?",
    re.IGNORECASE,
)
# Hacker News profile links: news.ycombinator.com/user?id=alice (also submitted?id=…).
_HN_USER = re.compile(r"/(user|submitted|threads|favorites)\?id=([^&#\s\"'<>]+)")
# Stack Exchange share links carry the sharer's user id: /a/123/456, /q/123/456.
_SE_SHARE = re.compile(r"/([aq])/(\d+)/(\d+)\b")
# Bluesky / AT Protocol decentralised identifiers.
_DID = re.compile(r"did:(?:plc|web):[A-Za-z0-9._%-]+")
_PSEUDONYM = re.compile(_PREFIX + f"[0-9a-f]{{{_DIGEST_CHARS}}}")


@functools.lru_cache(maxsize=4096)
def _literal(handle: str) -> re.Pattern[str]:
    """``handle`` as a whole token (not inside a longer id or word), any case."""
    return re.compile(r"(?<![A-Za-z0-9])" + re.escape(handle) + r"(?![A-Za-z0-9])", re.IGNORECASE)


class Pseudonymiser:
    """Keyed, stable pseudonyms for one installation's secret.

    Pure apart from a bounded cache: the same ``(source, handle)`` always maps to the
    same ``u_`` + 20 hex characters. Handles are compared case-insensitively, because
    ``@Alice`` and ``@alice`` name the same account on the platforms we collect from.
    """

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the pseudonym secret must be at least 128 bits")
        self._secret = secret
        self.key_id = key_id(secret)
        self._cached = functools.lru_cache(maxsize=200_000)(self._compute)

    def _compute(self, source: str, handle: str) -> str:
        message = f"{source}:{handle.strip().lower()}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).hexdigest()
        return _PREFIX + digest[:_DIGEST_CHARS]

    def pseudonym(self, source: str, handle: str) -> str:
        """The pseudonym of ``handle`` on ``source``."""
        return self._cached(source, handle.lstrip("@"))

    def author(self, source: str, author: str | None) -> str | None:
        return None if author is None or author == "" else self.pseudonym(source, author)

    def scrub(self, value: str | None, source: str, author: str | None = None) -> str | None:
        """``value`` with every handle, profile path, user id and DID replaced by its
        pseudonym; ``author``'s own handle is replaced wherever it appears (use this for
        URLs and ids, not running text: a handle can be an ordinary word)."""
        if not value:
            return value
        if author and len(author) >= 3 and author.lower() in value.lower():
            value = _literal(author).sub(self.pseudonym(source, author), value)
        if "@" in value:
            value = _AT_HANDLE.sub(lambda m: "@" + self._hide(source, m.group(1)), value)
        if "u/" in value:
            value = _REDDIT_USER.sub(lambda m: m.group(1) + self._hide(source, m.group(2)), value)
        if "/" in value:
            value = _PROFILE_PATH.sub(
                lambda m: f"/{m.group(1)}/{self._hide(source, m.group(2))}", value
            )
            if "?id=" in value:
                value = _HN_USER.sub(
                    lambda m: f"/{m.group(1)}?id={self._hide(source, m.group(2))}", value
                )
            value = _SE_SHARE.sub(r"/\1/\2", value)
        if "did:" in value:
            value = _DID.sub(lambda m: self.pseudonym(source, m.group(0)), value)
        return value

    def scrub_text(self, value: str | None, source: str) -> str | None:
        """Running text: ``@handles``, ``u/handles`` and profile links replaced."""
        return self.scrub(value, source, None)

    def _hide(self, source: str, handle: str) -> str:
        """The pseudonym of ``handle``, or ``handle`` itself when it already is one."""
        return handle if _PSEUDONYM.fullmatch(handle) else self.pseudonym(source, handle)
