"""Pseudonyms for authors, and the scrubbing of other direct identifiers (DESIGN.md §5).

A researcher needs to know that two mentions came from the same person (advocates,
detractors, reply networks), not who that person is. So every author handle becomes a
keyed hash: ``HMAC-SHA256(installation secret, "<source>:<handle, lower-cased>")``. The
secret is created once per installation by ``grapevine init`` and lives *outside* the store
(a 0600 file beside it, or ``GRAPEVINE_PSEUDONYM_KEY``: :mod:`storage.keys`), so a copy of
the database does not carry the key to its own pseudonyms. Exports and the dashboard only
read it; without it they stop with :class:`MissingKeyError`. The same author therefore gets the same
pseudonym in every export of one installation, and unrelated pseudonyms in another's, and
without the secret a pseudonym cannot be reversed by hashing a list of known handles.

Handles also hide in other fields: ``@alice`` and ``u/alice`` in a text, profile and
status links of every platform people link to (X/Twitter ``x.com/alice/status/1``, Reddit
``/user/alice``, Mastodon ``/@alice``, Bluesky ``bsky.app/profile/alice.bsky.social``,
Hacker News ``user?id=alice``, Stack Exchange ``/users/123/alice``, GitHub
``github.com/alice``, YouTube ``/@alice``, ``/c/alice``, ``/user/alice``, ``/channel/UC…``),
Bluesky DIDs (``did:plc:…``) inside post URIs, and the author's own handle inside a URL or id.
:meth:`Pseudonymiser.scrub` replaces each with the matching pseudonym, so rows stay
joinable (the same id scrubs to the same value everywhere) while no handle survives.
A handle written bare in running text (no ``@``/``u/``) cannot be told from an ordinary
word and is left as written; docs/export.md says so.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import re
from pathlib import Path

from storage import Store, keys

__all__ = [
    "SECRET_META_KEY",
    "KeySetup",
    "MissingKeyError",
    "Pseudonymiser",
    "ensure_installation_secret",
    "installation_secret",
    "key_id",
]

SECRET_META_KEY = "export_pseudonym_secret"
"""The ``meta`` row where stores made before 0004_privacy kept the key; ``grapevine init``
moves it out to the key file and deletes the row."""

_PREFIX = "u_"
_DIGEST_CHARS = 20  # 80 bits: no collision in practice among millions of authors


class MissingKeyError(RuntimeError):
    """No pseudonym key: exports (and the dashboard's download) cannot pseudonymise."""


def _url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def installation_secret(store: Store) -> bytes:
    """The installation's pseudonym key, read (never created) from the environment or the
    key file beside the store; :class:`MissingKeyError` says how to create it."""
    try:
        secret = keys.load_key(_url(store))
    except keys.KeyFileError as exc:
        raise MissingKeyError(f"the pseudonym key is unusable: {exc}") from None
    if secret is None:
        raise MissingKeyError(
            f"no pseudonym key at {keys.key_path(_url(store))}: run `grapevine init` to "
            f"create it (mode 0600), or set {keys.KEY_ENV} to 64 hex characters"
        )
    return secret


@dataclasses.dataclass(frozen=True)
class KeySetup:
    """What :func:`ensure_installation_secret` did, for ``grapevine init`` to say."""

    key: bytes
    path: Path | None  # None: the environment supplies the key
    moved_from_meta: bool
    dropped_meta_key: bool  # a different old key was in meta; the file's key was kept


def ensure_installation_secret(store: Store) -> KeySetup:
    """Create the pseudonym key outside the store (idempotent; ``grapevine init`` only).

    A store made before 0004_privacy kept its key in the ``meta`` table: that key moves to
    the file (so existing pseudonyms stay the same) and the row is deleted. Where a key
    file already exists, it wins and the old row is deleted all the same.
    """
    old = store.get_meta(SECRET_META_KEY)
    old_key = bytes.fromhex(old) if old else None
    key, path = keys.create_key(_url(store), old_key)
    if old is not None:
        store.delete_meta(SECRET_META_KEY)
    return KeySetup(
        key=key,
        path=path,
        moved_from_meta=old_key is not None and key == old_key,
        dropped_meta_key=old_key is not None and key != old_key,
    )


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
# Platforms whose profile lives at the first path segment: x.com/alice (and
# x.com/alice/status/1), twitter.com/alice, github.com/alice (and github.com/alice/repo).
# Their own pages (x.com/search, github.com/features …) are not people.
_HOST_PROFILE = re.compile(
    r"(?<![\w.-])((?:https?://)?(?:(?:www|mobile|m)\.)?"
    r"(?:twitter\.com|x\.com|github\.com|gist\.github\.com)/)"
    r"(?!(?:i|home|search|hashtag|intent|share|explore|settings|messages|notifications|"
    r"compose|login|logout|signup|tos|privacy|about|features|topics|marketplace|pricing|"
    r"join|orgs|sponsors|collections|trending|issues|pulls|enterprise|security|site|apps|"
    r"readme|contact|customer-stories|team|solutions|resources)(?=[/?#\s\"'<>)\].,;:!]|$))"
    r"([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,38}))(?=[/?#\s\"'<>)\].,;:!]|$)",
    re.IGNORECASE,
)
# X/Twitter's intent links: twitter.com/intent/user?screen_name=alice.
_SCREEN_NAME = re.compile(r"([?&](?:screen_name|user_id)=)([^&#\s\"'<>]+)", re.IGNORECASE)
# YouTube's legacy custom-channel links: youtube.com/c/alice (/user/ and /channel/ are
# profile paths everywhere; /c/ only on YouTube — Discourse uses it for categories).
_YOUTUBE_C = re.compile(
    r"(?<![\w.-])((?:https?://)?(?:(?:www|m)\.)?youtube\.com/c/)([^/?#\s\"'<>]+)",
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
            lowered = value.lower()
            if "twitter.com/" in lowered or "x.com/" in lowered or "github.com/" in lowered:
                value = _HOST_PROFILE.sub(
                    lambda m: m.group(1) + self._hide(source, m.group(2)), value
                )
            if "youtube.com/c/" in lowered:
                value = _YOUTUBE_C.sub(lambda m: m.group(1) + self._hide(source, m.group(2)), value)
            if "screen_name=" in lowered or "user_id=" in lowered:
                value = _SCREEN_NAME.sub(
                    lambda m: m.group(1) + self._hide(source, m.group(2)), value
                )
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
