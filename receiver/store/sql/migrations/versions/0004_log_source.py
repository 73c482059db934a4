"""log entries' source (webhook, or the Segment library of a Tracking-API message): the dashboard's freshness

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("log_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.Text(), nullable=True))
        batch_op.create_index("ix_log_kind_source_timestamp", ["kind", "source", "timestamp"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("log_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_log_kind_source_timestamp")
        batch_op.drop_column("source")
