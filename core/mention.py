"""The one record that flows from collectors to the store, the classifiers and the app.

Stages never pass raw dicts: a collector maps its API's payload to a :class:`Mention`
(keeping the payload in ``raw`` for researchers and re-parsing), and everything after the
store reads the same fields back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

#: A collector's opaque resume state; the engine stores it as JSON beside the mentions.
Cursor = dict[str, Any]

#: Texts longer than this are cut before storage: a runaway post must not bloat the store
#: or the classifier (which reads far less anyway). The raw payload keeps the original.
MAX_TEXT_CHARS = 20_000


class MentionKind(StrEnum):
    """What a mention is on its source; maps to an engagement-depth level (DESIGN.md §3)."""

    POST = "post"
    COMMENT = "comment"
    REVIEW = "review"
    QUESTION = "question"
    ANSWER = "answer"


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Mention:
    """A public post, comment, review, question or answer that a collector found.

    ``(source, external_id)`` is the natural key: the store upserts on it, so collecting
    the same item twice never duplicates it. ``created_at`` is always timezone-aware UTC.
    """

    source: str
    external_id: str
    kind: MentionKind
    created_at: datetime
    text: str
    url: str | None = None
    community: str | None = None
    author: str | None = None
    title: str | None = None
    parent_id: str | None = None
    thread_id: str | None = None
    score: int | None = None
    comments: int | None = None
    answers: int | None = None
    rating: int | None = None
    helpful_votes: int | None = None
    language: str | None = None
    deleted: bool = False
    raw: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.source or not self.external_id:
            raise ValueError("a mention needs a source and an external_id")
        if self.created_at.tzinfo is None:
            raise ValueError(f"{self.source}:{self.external_id}: created_at must be timezone-aware")
        if self.created_at.utcoffset() != UTC.utcoffset(None):
            object.__setattr__(self, "created_at", self.created_at.astimezone(UTC))
        # Collectors may pass the plain string ("comment"); store the enum either way.
        object.__setattr__(self, "kind", MentionKind(self.kind))
        if len(self.text) > MAX_TEXT_CHARS:
            object.__setattr__(self, "text", self.text[:MAX_TEXT_CHARS])

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.external_id)

    @property
    def searchable_text(self) -> str:
        """What the brand query is checked against: the title (thread context) and the body."""
        return f"{self.title}\n{self.text}" if self.title else self.text


@dataclasses.dataclass(frozen=True, slots=True)
class Page:
    """One batch a collector yields: mentions plus the cursor to resume *after* them.

    The engine stores the mentions and this cursor in one transaction (for sorted sources),
    so a crash between pages neither loses nor duplicates anything. ``skipped`` counts
    records the collector could not parse: they degrade the run but never fail it.
    """

    mentions: Sequence[Mention]
    cursor: Cursor
    skipped: int = 0
    errors: Sequence[str] = ()
