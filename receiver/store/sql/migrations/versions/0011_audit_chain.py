"""the tamper-evident audit trail: config_audit becomes a hash chain (audit_records) with its head and anchor

The rows of config_audit are linked into the chain oldest first (their session label becomes the
actor, the action guessed from what they say), so the trail before the upgrade is kept and verifies.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 13:00:00.000000
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from receiver.store.audit import START, AuditEntry, FieldChange, link, mark
from receiver.store.sql.audit import record_row

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _action(what: str) -> str:
    if what.startswith("Settings"):
        return "settings.save"
    for word, action in (("deleted", "mapping.delete"), ("created", "mapping.create"), ("abled", "mapping.toggle")):
        if word in what:
            return action
    return "mapping.edit"


def upgrade() -> None:
    records = op.create_table(
        "audit_records",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("target", sa.Text(), nullable=True),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_audit_records_actor", "audit_records", ["actor", "seq"], unique=False)
    op.create_index("ix_audit_records_action", "audit_records", ["action", "seq"], unique=False)
    marks = op.create_table(
        "audit_marks",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("head_seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("anchor_seq", sa.BigInteger(), nullable=False),
        sa.Column("anchor_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    old = sa.table(
        "config_audit",
        sa.column("seq"),
        sa.column("at"),
        sa.column("session"),
        sa.column("what"),
        sa.column("changes", JSON),
    )
    head, rows = START, []
    for row in op.get_bind().execute(sa.select(old).order_by(old.c.seq)):
        changes = tuple(FieldChange(c["field"], c["before"], c["after"]) for c in row.changes or ())
        moment = datetime.fromtimestamp(row.at / 1_000_000, UTC)
        record = link(head, AuditEntry(moment, row.session, _action(row.what), row.what, changes))
        rows.append(record_row(record))
        head = mark(record)
    if rows:
        op.bulk_insert(records, rows)
    op.bulk_insert(
        marks, [{"id": 1, "head_seq": head.seq, "head_hash": head.hash, "anchor_seq": 0, "anchor_hash": START.hash}]
    )
    op.drop_table("config_audit")


def downgrade() -> None:
    audit = op.create_table(
        "config_audit",
        sa.Column("seq", SEQ, autoincrement=True, nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("session", sa.Text(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("changes", JSON, nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    records = sa.table(
        "audit_records",
        sa.column("seq"),
        sa.column("at"),
        sa.column("actor"),
        sa.column("what"),
        sa.column("changes"),
    )
    kept = op.get_bind().execute(sa.select(records).order_by(records.c.seq)).all()
    if kept:
        op.bulk_insert(
            audit, [{"at": r.at, "session": r.actor, "what": r.what, "changes": json.loads(r.changes)} for r in kept]
        )
    op.drop_index("ix_audit_records_action", table_name="audit_records")
    op.drop_index("ix_audit_records_actor", table_name="audit_records")
    op.drop_table("audit_marks")
    op.drop_table("audit_records")
