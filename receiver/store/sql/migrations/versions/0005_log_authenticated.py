"""log entries: who sent them (unauthenticated refusals are kept to their own share) and whether a body was cut

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 19:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("log_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("authenticated", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column("truncated", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index("ix_log_kind_authenticated_seq", ["kind", "authenticated", "seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("log_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_log_kind_authenticated_seq")
        batch_op.drop_column("truncated")
        batch_op.drop_column("authenticated")
