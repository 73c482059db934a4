"""users and sessions: whether the user sees the properties the tracking plan marks pii

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("users", "sessions"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("pii_access", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    for table in ("sessions", "users"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("pii_access")
