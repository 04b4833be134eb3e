"""One mention in full for the Mentions page: its labels with their probabilities, its
engagement counts and (for reviews) its star rating. Read-only, one row per call."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import streamlit as st
from sqlalchemy import Connection, select

from grapevine.dashboard import cached
from storage import schema

__all__ = ["MentionDetail", "mention_detail", "read_detail"]


@dataclasses.dataclass(frozen=True)
class MentionDetail:
    kind: str
    rating: int | None
    score: int | None
    comments: int | None
    answers: int | None
    helpful_votes: int | None
    sentiment: str | None = None
    negative: float | None = None
    neutral: float | None = None
    positive: float | None = None
    complaint: float | None = None
    quality: str | None = None
    quality_score: float | None = None
    language: str | None = None
    model: str | None = None
    model_version: str | None = None


def read_detail(conn: Connection, mention_id: int, model_version: str | None) -> MentionDetail:
    m, lab = schema.mentions, schema.labels
    row = conn.execute(
        select(m.c.kind, m.c.rating, m.c.score, m.c.comments, m.c.answers, m.c.helpful_votes).where(
            m.c.id == mention_id
        )
    ).one()
    detail = MentionDetail(*row)
    if model_version is None:
        return detail
    label = conn.execute(
        select(
            lab.c.sentiment,
            lab.c.sentiment_negative,
            lab.c.sentiment_neutral,
            lab.c.sentiment_positive,
            lab.c.complaint,
            lab.c.quality,
            lab.c.quality_score,
            lab.c.language,
            lab.c.model,
            lab.c.model_version,
        )
        .where(lab.c.mention_id == mention_id, lab.c.model_version == model_version)
        .limit(1)
    ).first()
    if label is None:
        return detail
    return dataclasses.replace(
        detail,
        sentiment=label.sentiment,
        negative=label.sentiment_negative,
        neutral=label.sentiment_neutral,
        positive=label.sentiment_positive,
        complaint=label.complaint,
        quality=label.quality,
        quality_score=label.quality_score,
        language=label.language,
        model=label.model,
        model_version=label.model_version,
    )


@st.cache_data(ttl=timedelta(minutes=5), show_spinner=False)
def mention_detail(url: str, mention_id: int, model_version: str | None) -> MentionDetail:
    with cached.engine(url).connect() as conn:
        return read_detail(conn, mention_id, model_version)
