"""log_entries: the mapping (and version) that made each logged request, and the test run it came in

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 06:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("subscription", "mapping_version", "test_run")


def upgrade() -> None:
    with op.batch_alter_table("log_entries", schema=None) as batch_op:
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=True))
        batch_op.create_index("ix_log_kind_test_run", ["kind", "test_run"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("log_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_log_kind_test_run")
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
