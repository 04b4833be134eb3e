"""workflow: triage of mentions, its audit trail, and people's corrections of labels

``triage`` holds what the team did with a mention (status, assignee, tags, a note),
``triage_events`` every change to it or to a correction (who, when, old and new value),
and ``corrections`` the labels a person gave a mention, beside the model's in ``labels``
(which are never overwritten).

Revision ID: 0005_workflow
Revises: 0004_privacy
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_workflow"
down_revision = "0004_privacy"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "triage",
        sa.Column("mention_id", _ID, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assignee", sa.String(length=200), nullable=True),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["mention_id"], ["mentions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("mention_id"),
    )
    op.create_index("ix_triage_status", "triage", ["status"], unique=False)
    op.create_index("ix_triage_assignee", "triage", ["assignee"], unique=False)
    op.create_table(
        "triage_events",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("mention_id", _ID, nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["mention_id"], ["mentions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_triage_events_mention_id_at", "triage_events", ["mention_id", "at"], unique=False
    )
    op.create_table(
        "corrections",
        sa.Column("mention_id", _ID, nullable=False),
        sa.Column("sentiment", sa.String(length=8), nullable=True),
        sa.Column("complaint", sa.Boolean(), nullable=True),
        sa.Column("quality", sa.String(length=16), nullable=True),
        sa.Column("corrected_by", sa.String(length=200), nullable=False),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["mention_id"], ["mentions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("mention_id"),
    )
    op.create_index("ix_corrections_corrected_at", "corrections", ["corrected_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_corrections_corrected_at", table_name="corrections")
    op.drop_table("corrections")
    op.drop_index("ix_triage_events_mention_id_at", table_name="triage_events")
    op.drop_table("triage_events")
    op.drop_index("ix_triage_assignee", table_name="triage")
    op.drop_index("ix_triage_status", table_name="triage")
    op.drop_table("triage")
