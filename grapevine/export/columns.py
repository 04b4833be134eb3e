"""The export's columns: one fixed schema for every format, documented once.

Parquet gets exactly these Arrow types (a researcher's pipeline should not break because
one export happened to have no ratings); CSV and JSONL carry the same columns in the same
order, and the datasheet lists them with their descriptions.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import pyarrow as pa

__all__ = ["COLUMNS", "RAW_COLUMN", "Column", "ColumnType", "arrow_schema", "columns_for"]

ColumnType = Literal["int64", "float64", "bool", "string", "timestamp"]

_ARROW: dict[ColumnType, pa.DataType] = {
    "int64": pa.int64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    "string": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}


@dataclasses.dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: ColumnType
    description: str

    @property
    def arrow_type(self) -> pa.DataType:
        return _ARROW[self.type]


COLUMNS: tuple[Column, ...] = (
    Column("mention_id", "int64", "the mention's id in this installation's store"),
    Column("source", "string", "where it was collected (hackernews, reddit, …)"),
    Column("external_id", "string", "the source's own id of the post (user ids scrubbed)"),
    Column("kind", "string", "post, comment, review, question or answer"),
    Column("community", "string", "where it lives: a subreddit, an app's reviews, HN, …"),
    Column("url", "string", "link to the post (profile links and handles scrubbed)"),
    Column("author", "string", "pseudonym u_… (HMAC-SHA256), or the handle with --include-authors"),
    Column("own_account", "bool", "posted by one of the brand's own accounts (not organic)"),
    Column("title", "string", "thread or post title, when the source has one"),
    Column("text", "string", "the mention's text (@handles and u/handles pseudonymised)"),
    Column("language", "string", "language the source declared (ISO 639-1), if any"),
    Column("created_at", "timestamp", "when it was posted (UTC)"),
    Column("collected_at", "timestamp", "when Grapevine first stored it (UTC)"),
    Column("parent_id", "string", "the post it replies to (source id)"),
    Column("thread_id", "string", "the thread it belongs to (source id)"),
    Column("score", "int64", "the source's score / points / votes"),
    Column("comments", "int64", "number of comments or replies"),
    Column("answers", "int64", "number of answers (Q&A sites)"),
    Column("rating", "int64", "review star rating"),
    Column("helpful_votes", "int64", "review helpful votes"),
    Column("sentiment", "string", "negative, neutral or positive (empty: not labelled)"),
    Column("sentiment_negative", "float64", "probability of negative"),
    Column("sentiment_neutral", "float64", "probability of neutral"),
    Column("sentiment_positive", "float64", "probability of positive"),
    Column("complaint", "float64", "probability that it is a complaint"),
    Column("quality", "string", "constructive, ordinary, low_effort, spam or toxic"),
    Column("quality_score", "float64", "probability of the quality label"),
    Column("label_language", "string", "language the classifier detected"),
    Column("model", "string", "classifier that produced the labels"),
    Column("model_version", "string", "its version (one version per export)"),
    Column("labelled_at", "timestamp", "when the labels were computed (UTC)"),
)

RAW_COLUMN = Column(
    "raw", "string", "the source's original payload as JSON (only with --include-raw)"
)


def columns_for(include_raw: bool) -> tuple[Column, ...]:
    return (*COLUMNS, RAW_COLUMN) if include_raw else COLUMNS


def arrow_schema(columns: tuple[Column, ...]) -> pa.Schema:
    return pa.schema([pa.field(c.name, c.arrow_type) for c in columns])
