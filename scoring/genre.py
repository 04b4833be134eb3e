"""Genre rules: what a mention's source and author decide, where the classifier must not.

The classifier reads text only. It calls a news headline about an outage a complaint, and
a brand's own support reply ("Sorry about that! Version 4.12.1 fixes…") too. The rules:

- **Own accounts answer, they do not complain.** A mention written by one of the brand's
  own accounts (a ``role='own'`` match) is never a complaint and never counts in the
  brand's sentiment metrics: every complaint, word-of-mouth and alert figure is computed
  over organic mentions (``brand_query(..., organic=True)``); the overview's NSS and the
  hotspots' sentiment and opportunity leave them out with :func:`own_expr`, while volume,
  share of voice and relevance still count them (DESIGN.md §3: volume is every mention).
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

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement

from config.scoring import ScoringSettings
from config.settings import Brand
from scoring.queries import EDITORIAL_SOURCES, complaint_clause, editorial_clause, own_set_clause
from scoring.records import Period

__all__ = [
    "EDITORIAL_SOURCES",
    "complaint_expr",
    "customer_written",
    "editorial_expr",
    "is_editorial",
    "own_expr",
]


def customer_written(community: str | None, own_communities: Iterable[str]) -> bool:
    """Whether an item from an editorial source was written by a customer: it comes from
    the feed of one of the brand's own communities."""
    return community is not None and community.casefold() in {c.casefold() for c in own_communities}


def is_editorial(source: str, community: str | None, own_communities: Iterable[str]) -> bool:
    """Python twin of :func:`editorial_expr`: a news or feed item no customer wrote."""
    return source in EDITORIAL_SOURCES and not customer_written(community, own_communities)


def editorial_expr(brand: Brand) -> ColumnElement[bool]:
    """SQL: the mention (``M``) is an editorial item that no customer wrote."""
    return editorial_clause(brand.own_communities)


def complaint_expr(cfg: ScoringSettings, brand: Brand) -> ColumnElement[bool]:
    """SQL: the labelled mention counts as a complaint of ``brand``: its complaint
    probability is at or above ``[scoring] complaint_threshold`` and it is not editorial.
    (Own-account mentions are left out by the organic scope of the complaint queries, or
    by :func:`own_expr` where a query keeps them for other figures.)"""
    return complaint_clause(cfg.complaint_threshold, brand.own_communities)


def own_expr(
    brand: str | Sequence[str], mention_id: Any = None, window: Period | None = None
) -> ColumnElement[bool]:
    """SQL: the mention (``M``, or ``mention_id``) was written by one of the own accounts of
    ``brand`` (or of any of several brands, e.g. a brand and its competitors).

    A set the database builds once per statement, so it can sit in a SELECT or a GROUP BY
    (where the organic scope, a WHERE, would drop rows other figures still count) as often
    as a query needs it, at no cost per row. A query over one ``window`` passes it: the set
    is then only that window's own posts.
    """
    return own_set_clause([brand] if isinstance(brand, str) else brand, mention_id, window)
