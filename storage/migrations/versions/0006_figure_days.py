"""figure cache: the scoring queries' rows per UTC day, and a generation counter per day

``day_generations`` holds a counter per UTC day that every write touching mentions of that
day raises; ``figure_days`` holds a scoring query's grouped rows for one day, valid while
the day's counter is the one they were computed at. A store upgraded from 0005 starts
with both empty: every day is generation 0 and every figure is computed on first view.

Revision ID: 0006_figure_days
Revises: 0005_workflow
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_figure_days"
down_revision = "0005_workflow"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "day_generations",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "figure_days",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", "day"),
    )


def downgrade() -> None:
    op.drop_table("figure_days")
    op.drop_table("day_generations")
