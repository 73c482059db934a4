"""The tables of `ConfigState` and `RecentMessages` on the durable backends (SQLite, PostgreSQL), as Core.

Rules the database enforces: one owner per external ID of an attribute (the primary key on
`(attribute, external_id)` — unique per brand, since one store holds one brand), one row per
saved mapping key, one version counter per kind (`settings`, `mappings`), bumped in the same
transaction as the change it counts. Times are integer microseconds since the epoch (UTC), as
in the loyalty tables. Recent messages are JSON text with their byte size, so trimming to the
byte bound is a sum over a small table (migration 0003).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, MetaData, PrimaryKeyConstraint, String, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()
Json: Any = JSON().with_variant(JSONB(), "postgresql")
Seq = BigInteger().with_variant(Integer(), "sqlite")

config_versions = Table(
    "config_versions",
    metadata,
    Column("name", String(16), primary_key=True),
    Column("version", BigInteger, nullable=False, server_default="0"),
)

saved_settings = Table(
    "saved_settings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("saved", Json, nullable=False),
)

audit_records = Table(
    "audit_records",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", BigInteger, nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("role", Text, nullable=True),
    Column("address", Text, nullable=True),
    Column("target", Text, nullable=True),
    Column("what", Text, nullable=False),
    Column("changes", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_records_actor", "actor", "seq"),
    Index("ix_audit_records_action", "action", "seq"),
)
"""The audit chain (migration 0011): `seq` is given by the appender (head + 1), never by the database."""

audit_marks = Table(
    "audit_marks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("head_seq", BigInteger, nullable=False),
    Column("head_hash", String(64), nullable=False),
    Column("anchor_seq", BigInteger, nullable=False),
    Column("anchor_hash", String(64), nullable=False),
)
"""One row (id 1): the chain's head and anchor, kept apart from the rows; appends lock it first."""

stored_mappings = Table(
    "stored_mappings",
    metadata,
    Column("key", Text, primary_key=True),
    Column("text", Text, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

config_history = Table(
    "config_history",
    metadata,
    Column("subject", Text, nullable=False),
    Column("number", BigInteger, nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("who", Text, nullable=False),
    Column("what", Text, nullable=False),
    Column("text", Text, nullable=True),
    PrimaryKeyConstraint("subject", "number", name="config_history_one_number_per_subject"),
)
"""Every save of the settings or a mapping, numbered per subject (migration 0012; `store.config_versions`)."""

external_ids = Table(
    "external_ids",
    metadata,
    Column("attribute", Text, nullable=False),
    Column("external_id", Text, nullable=False),
    Column("customer_id", Text, nullable=False),
    PrimaryKeyConstraint("attribute", "external_id", name="external_id_unique_per_brand"),
    Index("ix_external_ids_customer", "customer_id"),
)

mapping_versions = Table(
    "mapping_versions",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("definition", Json, nullable=False),
    Column("first_seen", BigInteger, nullable=False),
)
"""Mappings as they ran, by content (migration 0006): what an event's lineage names, never rewritten."""

recent_messages = Table(
    "recent_messages",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=True),
    Column("size", Integer, nullable=False),
    Column("message", Text, nullable=False),
)
