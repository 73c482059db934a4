"""saved versions of the settings and of each mapping (history, diff, restore); what is saved now becomes version 1

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 13:00:00.000000
"""

import json
import time
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BEFORE = "saved before versions were kept"


def upgrade() -> None:
    history = op.create_table(
        "config_history",
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("who", sa.Text(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("subject", "number", name="config_history_one_number_per_subject"),
    )
    # What is saved now becomes version 1 of its subject, so it can be restored after a later save.
    conn = op.get_bind()
    settings = sa.table("saved_settings", sa.column("id", sa.Integer()), sa.column("saved", JSON))
    mappings = sa.table("stored_mappings", sa.column("key"), sa.column("text"), sa.column("updated_at"))
    now = int(time.time() * 1_000_000)
    rows = [
        {"subject": f"mapping:{row.key}", "number": 1, "at": int(row.updated_at), "who": "", "what": BEFORE,
         "text": row.text}
        for row in conn.execute(sa.select(mappings.c.key, mappings.c.text, mappings.c.updated_at))
    ]  # fmt: skip
    saved = conn.execute(sa.select(settings.c.saved).where(settings.c.id == 1)).scalar()
    if isinstance(saved, str):
        saved = json.loads(saved)
    if isinstance(saved, dict):
        text = json.dumps(saved, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
        rows.append({"subject": "settings", "number": 1, "at": now, "who": "", "what": BEFORE, "text": text})
    if rows:
        op.bulk_insert(history, rows)


def downgrade() -> None:
    op.drop_table("config_history")
