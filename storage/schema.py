"""The store's tables (DESIGN.md §2), in SQLAlchemy Core so SQLite and PostgreSQL share them.

This module is the current shape of the schema; ``storage/migrations`` is how a database
gets there. A test checks that the two agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

__all__ = [
    "alert_deliveries",
    "alerts",
    "corrections",
    "cursors",
    "day_generations",
    "figure_days",
    "labels",
    "login_failures",
    "matches",
    "mentions",
    "meta",
    "metadata",
    "runs",
    "tombstones",
    "triage",
    "triage_events",
    "users",
]


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, on every backend.

    SQLite has no timezone type: values are stored as naive UTC and re-tagged on the way
    out, so a naive datetime can never leak into scoring or the app.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        when: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite's rowid alias must be INTEGER

metadata = MetaData()

mentions = Table(
    "mentions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source", String(32), nullable=False),
    Column("external_id", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("url", Text),
    Column("community", String(200)),
    Column("author", String(200)),
    Column("title", Text),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("collected_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("parent_id", String(200)),
    Column("thread_id", String(200)),
    Column("score", Integer),
    Column("comments", Integer),
    Column("answers", Integer),
    Column("rating", Integer),
    Column("helpful_votes", Integer),
    Column("language", String(16)),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("raw", JSON),
    UniqueConstraint("source", "external_id", name="uq_mentions_source_external_id"),
    Index("ix_mentions_created_at", "created_at"),
    Index("ix_mentions_community_created_at", "community", "created_at"),
    Index("ix_mentions_source_created_at", "source", "created_at"),
    Index("ix_mentions_author", "author"),
    Index("ix_mentions_thread_id", "thread_id"),
    # 0002_scoring: the replies to a mention (a complaint answered by an own account)
    Index("ix_mentions_source_parent_id", "source", "parent_id"),
    Index("ix_mentions_source_thread_id", "source", "thread_id"),
)

matches = Table(
    "matches",
    metadata,
    Column("mention_id", Id, ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True),
    Column("brand", String(200), primary_key=True),
    Column("role", String(16), primary_key=True),  # 'brand' or 'category'
    # Copied from the mention so per-brand time series need no join.
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_matches_brand_role_created_at", "brand", "role", "created_at"),
)

labels = Table(
    "labels",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("mention_id", Id, ForeignKey("mentions.id", ondelete="CASCADE"), nullable=False),
    Column("model", String(200), nullable=False),
    Column("model_version", String(100), nullable=False),
    Column("sentiment", String(8), nullable=False),
    Column("sentiment_negative", Float, nullable=False),
    Column("sentiment_neutral", Float, nullable=False),
    Column("sentiment_positive", Float, nullable=False),
    Column("complaint", Float, nullable=False),
    Column("quality", String(16), nullable=False),
    Column("quality_score", Float, nullable=False),
    Column("language", String(8)),
    Column("labelled_at", UTCDateTime, nullable=False),
    UniqueConstraint("mention_id", "model_version", name="uq_labels_mention_model_version"),
    Index("ix_labels_model_version", "model_version"),
    Index("ix_labels_labelled_at", "labelled_at"),  # 0002_scoring: the newest model version
)

cursors = Table(
    "cursors",
    metadata,
    Column("source", String(32), primary_key=True),
    Column("scope", String(200), primary_key=True),  # the brand name the job searches for
    Column("cursor", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source", String(32), nullable=False),
    Column("scope", String(200), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    # running, ok, degraded (records skipped), failed, stopped, disabled (not configured), interrupted
    Column("status", String(16), nullable=False),
    Column("new", Integer, nullable=False, default=0),
    Column("duplicates", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("errors", Integer, nullable=False, default=0),
    Column("rate_limit_waits", Integer, nullable=False, default=0),
    Column("waited_seconds", Float, nullable=False, default=0.0),
    Column("replay", Boolean, nullable=False, default=False),
    Column("message", Text),
    # 0003_workers: the process that owns a running run, and when it last showed it was alive
    Column("worker", String(200)),
    Column("heartbeat_at", UTCDateTime),
    Index("ix_runs_source_started_at", "source", "started_at"),
    Index("ix_runs_status_heartbeat_at", "status", "heartbeat_at"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("rule", String(64), nullable=False),
    Column("brand", String(200), nullable=False),
    Column("event_key", String(300), nullable=False),  # same event never fires twice
    Column("fired_at", UTCDateTime, nullable=False),
    Column("payload", JSON, nullable=False),
    UniqueConstraint("rule", "brand", "event_key", name="uq_alerts_event"),
    Index("ix_alerts_brand_fired_at", "brand", "fired_at"),
)

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("alert_id", Id, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("channel", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # pending, delivered, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("next_attempt_at", UTCDateTime),
    Column("delivered_at", UTCDateTime),
    UniqueConstraint("alert_id", "channel", name="uq_alert_deliveries_alert_channel"),
    Index("ix_alert_deliveries_status_next", "status", "next_attempt_at"),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

# --- 0004_privacy: who may read the dashboard, and whom the store must forget -----------

users = Table(
    "users",
    metadata,
    Column("username", String(200), primary_key=True),
    Column("password_hash", Text, nullable=False),  # argon2id, never the password
    Column("role", String(16), nullable=False),  # viewer, editor, admin
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(200), nullable=False),  # as typed: unknown names count too
    Column("failed_at", UTCDateTime, nullable=False),
    Index("ix_login_failures_username_failed_at", "username", "failed_at"),
)

tombstones = Table(
    "tombstones",
    metadata,
    # 'author': digest of "<source>:<handle>"; 'mention': digest of "<source>:<external_id>"
    Column("kind", String(16), primary_key=True),
    Column("digest", String(64), primary_key=True),  # keyed hash: no handle in clear
    Column("forgotten_at", UTCDateTime, nullable=False),
)

# --- 0005_workflow: what people did with a mention, and the labels they corrected -------

triage = Table(
    "triage",
    metadata,
    Column("mention_id", Id, ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True),
    Column("status", String(16), nullable=False),  # new, in progress, done, ignored
    Column("assignee", String(200)),
    # ",tag one,tag two," — delimited so one LIKE finds a tag on SQLite and PostgreSQL alike
    Column("tags", Text, nullable=False, default=""),
    Column("note", Text),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_triage_status", "status"),
    Index("ix_triage_assignee", "assignee"),
)

triage_events = Table(
    "triage_events",
    metadata,
    # the audit trail: every change of triage or of a correction, who and when
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("mention_id", Id, ForeignKey("mentions.id", ondelete="CASCADE"), nullable=False),
    Column("field", String(32), nullable=False),  # status, assignee, tags, note, sentiment…
    Column("old", Text),
    Column("new", Text),
    Column("by", String(200), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_triage_events_mention_id_at", "mention_id", "at"),
)

corrections = Table(
    "corrections",
    metadata,
    # a person's labels for a mention, beside the model's (``labels`` is never written)
    Column("mention_id", Id, ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True),
    Column("sentiment", String(8)),  # None: this label was not reviewed
    Column("complaint", Boolean),
    Column("quality", String(16)),
    Column("corrected_by", String(200), nullable=False),
    Column("corrected_at", UTCDateTime, nullable=False),
    Index("ix_corrections_corrected_at", "corrected_at"),
)

day_generations = Table(
    "day_generations",
    metadata,
    # one counter per UTC day of ``mentions.created_at``, raised by every write that can change
    # a figure over that day (storage/daycache.py); a day never written is generation 0
    Column("day", Date, primary_key=True),
    Column("generation", BigInteger, nullable=False),
)

figure_days = Table(
    "figure_days",
    metadata,
    # one scoring query's grouped rows for one UTC day, valid while the day's generation is
    # the one they were computed at (a cache: deleting every row loses nothing)
    Column("key", String(64), primary_key=True),  # sha256 of the figure, its settings, filters
    Column("day", Date, primary_key=True),
    Column("generation", BigInteger, nullable=False),
    Column("rows", Text, nullable=False),  # JSON
)
