"""workers: runs are owned by a worker id and kept alive by a heartbeat

Several processes (``grapevine collect``, ``run``, ``worker`` on any machine) share one store.
A run records which process owns it (``worker``: host, pid and a random suffix) and when
that process last showed it was alive (``heartbeat_at``); only runs whose heartbeat has
expired are closed as ``interrupted`` by another process. Rows written before this
migration have no heartbeat and are treated as expired.

Revision ID: 0003_workers
Revises: 0002_scoring
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_workers"
down_revision = "0002_scoring"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("worker", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_runs_status_heartbeat_at", ["status", "heartbeat_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_status_heartbeat_at")
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("worker")
