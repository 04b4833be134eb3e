"""Genre rules: what a mention's source and author decide, where the classifier must not.

The classifier reads text only. It calls a news headline about an outage a complaint, and
a brand's own support reply ("Sorry about that! Version 4.12.1 fixes…") too. The rules:

- **Own accounts answer, they do not complain.** A mention written by one of the brand's
  own accounts (a ``role='own'`` match) is never a complaint and never counts in the
  brand's sentiment metrics: every complaint and word-of-mouth figure is computed over
  organic mentions (``brand_query(..., organic=True)``, :func:`own_expr`).
- **News is scored, not queued.** Items from RSS/Atom feeds and Google News
  (:data:`EDITORIAL_SOURCES`) are editorial: they keep their sentiment, but are never
  counted as complaints (rate, queue, alerts, channel split) — unless a customer wrote
  them, which for a feed means it is the feed of one of the brand's own communities
  (``own_communities`` lists its community id, e.g. ``rss:forum.example.com``: a support
  forum's feed carries customers' posts).

The question rule (a question is never ``spam`` without spam markers) needs the mention's
kind and title when it is labelled, so it lives in the nlp layer
(``nlp.labels.apply_genre_rules``) and is already in the stored label.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, not_

from config.scoring import ScoringSettings
from config.settings import Brand
from scoring.queries import L, M, X

__all__ = [
    "EDITORIAL_SOURCES",
    "complaint_expr",
    "customer_written",
    "editorial_expr",
    "is_editorial",
    "own_expr",
]

#: Sources whose items are written by publishers (news sites, blogs, the press).
EDITORIAL_SOURCES: tuple[str, ...] = ("rss",)


def customer_written(community: str | None, own_communities: Iterable[str]) -> bool:
    """Whether an item from an editorial source was written by a customer: it comes from
    the feed of one of the brand's own communities."""
    return community is not None and community.casefold() in {c.casefold() for c in own_communities}


def is_editorial(source: str, community: str | None, own_communities: Iterable[str]) -> bool:
    """Python twin of :func:`editorial_expr`: a news or feed item no customer wrote."""
    return source in EDITORIAL_SOURCES and not customer_written(community, own_communities)


def editorial_expr(brand: Brand) -> ColumnElement[bool]:
    """SQL: the mention (``M``) is an editorial item that no customer wrote."""
    own = sorted({c.casefold() for c in brand.own_communities})
    editorial = M.c.source.in_(EDITORIAL_SOURCES)
    if not own:
        return editorial
    return and_(editorial, not_(func.lower(func.coalesce(M.c.community, "")).in_(own)))


def complaint_expr(cfg: ScoringSettings, brand: Brand) -> ColumnElement[bool]:
    """SQL: the labelled mention counts as a complaint of ``brand``: its complaint
    probability is at or above ``[scoring] complaint_threshold`` and it is not editorial.
    (Own-account mentions are excluded by the organic scope every complaint query uses.)"""
    return and_(L.c.complaint >= cfg.complaint_threshold, not_(editorial_expr(brand)))


def own_expr(brand: str, mention_id: Any = None) -> ColumnElement[bool]:
    """SQL: the mention was written by one of ``brand``'s own accounts."""
    own = X.alias("own_author")
    target = M.c.id if mention_id is None else mention_id
    if not brand:
        return false()
    return exists().where(own.c.mention_id == target, own.c.brand == brand, own.c.role == "own")
