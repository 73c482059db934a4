"""what the pages configure (settings, mappings, external IDs, audit); log entries' internal customer ID

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "config_versions",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "saved_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("saved", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "config_audit",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("session", sa.Text(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("changes", JSON, nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_table(
        "stored_mappings",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "external_ids",
        sa.Column("attribute", sa.Text(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("attribute", "external_id", name="external_id_unique_per_brand"),
    )
    op.create_index("ix_external_ids_customer", "external_ids", ["customer_id"], unique=False)
    with op.batch_alter_table("log_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("internal_customer_id", sa.Text(), nullable=True))
        batch_op.create_index("ix_log_kind_internal_customer", ["kind", "internal_customer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("log_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_log_kind_internal_customer")
        batch_op.drop_column("internal_customer_id")
    op.drop_index("ix_external_ids_customer", table_name="external_ids")
    for table in ("external_ids", "stored_mappings", "config_audit", "saved_settings", "config_versions"):
        op.drop_table(table)
