"""scoring: index labels by labelled_at, mentions by (source, parent / thread)

Scoring (and the app) read "the newest model version" as the version of the most recently
written label; without an index that is a full scan of ``labels`` on every page. Whether a
complaint has a reply from an own account is a lookup of mentions on the same source whose
``parent_id`` or ``thread_id`` is the complaint's id; with both columns in one index the
planner takes it over ``(source, created_at)`` even without ANALYZE statistics.

Revision ID: 0002_scoring
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002_scoring"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("labels", schema=None) as batch_op:
        batch_op.create_index("ix_labels_labelled_at", ["labelled_at"], unique=False)
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.create_index("ix_mentions_source_parent_id", ["source", "parent_id"], unique=False)
        batch_op.create_index("ix_mentions_source_thread_id", ["source", "thread_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.drop_index("ix_mentions_source_thread_id")
        batch_op.drop_index("ix_mentions_source_parent_id")
    with op.batch_alter_table("labels", schema=None) as batch_op:
        batch_op.drop_index("ix_labels_labelled_at")
