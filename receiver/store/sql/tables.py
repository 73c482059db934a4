"""The one schema of the durable backends (SQLite and PostgreSQL), as SQLAlchemy Core tables.

Rules the database itself enforces: one transaction ID per account (primary key), a balance
never below zero (CHECK), one row per idempotency key and per messageId (primary keys).
Times are integer microseconds since the epoch (UTC): exact, portable, and indexable the same
way on both databases. Every filter of the log API has an index led by the log's kind; log
retention counts unauthenticated refusals apart (`authenticated`), as the memory store does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    false,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()
Json: Any = JSON().with_variant(JSONB(), "postgresql")
Seq = BigInteger().with_variant(Integer(), "sqlite")
"""SQLite's autoincrement needs INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity."""

customers = Table(
    "customers",
    metadata,
    Column("id", Text, primary_key=True),
    Column("created_at", BigInteger, nullable=False),
    Column("profile", Json, nullable=False),
    Column("attributes", Json, nullable=False),
    Column("opted_in", Boolean, nullable=True),
    Column("event_count", BigInteger, nullable=False, server_default="0"),
)

balances = Table(
    "balances",
    metadata,
    Column("customer_id", Text, primary_key=True),
    Column("account", Text, primary_key=True),
    Column("points", BigInteger, nullable=False),
    CheckConstraint("points >= 0", name="balance_not_negative"),
)

events = Table(
    "events",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("customer_id", Text, nullable=False),
    Column("account", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("data", Json, nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Column("lineage", Json, nullable=True),
    Index("ix_events_customer_seq", "customer_id", "seq"),
)

transactions = Table(
    "transactions",
    metadata,
    Column("account", Text, primary_key=True),
    Column("transaction_id", Text, primary_key=True),
    Column("event_id", String(64), nullable=False),
    Column("customer_id", Text, nullable=False),
    Column("recorded_at", BigInteger, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status", SmallInteger, nullable=True),
    Column("body", Json, nullable=True),
    Column("locked_until", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Index("ix_idempotency_expires", "expires_at"),
)

seen_messages = Table(
    "seen_messages",
    metadata,
    Column("message_id", String(255), primary_key=True),
    Column("expires_at", Float, nullable=False),
    Index("ix_seen_messages_expires", "expires_at"),
)

log_entries = Table(
    "log_entries",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("id", Text, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("customer_id", Text, nullable=True),
    Column("event_type", Text, nullable=True),
    Column("status", SmallInteger, nullable=False),
    Column("response_time", Float, nullable=False),
    Column("error", Text, nullable=True),
    Column("error_code", Text, nullable=True),
    Column("request", Json, nullable=True),
    Column("response", Json, nullable=True),
    Column("internal_customer_id", Text, nullable=True),
    Column("source", Text, nullable=True),
    Column("subscription", Text, nullable=True),
    Column("mapping_version", Text, nullable=True),
    Column("test_run", Text, nullable=True),
    Column("plan_check", Json, nullable=True),
    Column("authenticated", Boolean, nullable=False, server_default=true()),
    Column("truncated", Boolean, nullable=False, server_default=false()),
    Index("ix_log_kind_seq", "kind", "seq"),
    Index("ix_log_kind_authenticated_seq", "kind", "authenticated", "seq"),
    Index("ix_log_kind_id", "kind", "id"),
    Index("ix_log_kind_customer", "kind", "customer_id"),
    Index("ix_log_kind_internal_customer", "kind", "internal_customer_id"),
    Index("ix_log_kind_event_type", "kind", "event_type"),
    Index("ix_log_kind_status", "kind", "status"),
    Index("ix_log_kind_error_code", "kind", "error_code"),
    Index("ix_log_kind_timestamp", "kind", "timestamp"),
    Index("ix_log_kind_response_time", "kind", "response_time"),
    Index("ix_log_kind_source_timestamp", "kind", "source", "timestamp"),
    Index("ix_log_kind_test_run", "kind", "test_run"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("csrf", String(64), nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("user_name", Text, nullable=True),
    Column("role", Text, nullable=True),
    Column("pii_access", Boolean, nullable=False, server_default=false()),
    Index("ix_sessions_user_name", "user_name"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=True),
    Column("message_id", Text, nullable=False),
    Column("customer_id", Text, nullable=False),
    Column("event_type", Text, nullable=True),
    Column("message", Json, nullable=False),
    Column("refusal_code", Text, nullable=True),
    Column("refusal_reason", Text, nullable=True),
    Column("claimed_until", Float, nullable=False, server_default="0"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Index("ix_outbox_claimed", "claimed_until", "seq"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("seq", Seq, primary_key=True, autoincrement=True),
    Column("message_id", Text, nullable=False),
    Column("quarantined_at", BigInteger, nullable=False),
    Column("event_type", Text, nullable=True),
    Column("event", Text, nullable=True),
    Column("message", Text, nullable=False),
    Column("violations", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Index("ix_quarantine_message_id", "message_id", unique=True),
)
"""Messages the tracking plan blocked (`receiver.store.quarantine`): JSON texts, kept within a count and bytes."""

users = Table(
    "users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("totp_secret", Text, nullable=False),
    Column("last_step", BigInteger, nullable=False, server_default="0"),
    Column("created_at", BigInteger, nullable=False),
    Column("pii_access", Boolean, nullable=False, server_default=false()),
)
"""The receiver's users (`receiver.store.users`): hashes, the TOTP seed, the newest accepted time step."""

recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("user_name", String(64), primary_key=True),
    Column("digest", String(64), primary_key=True),
)
"""Each user's unused recovery codes, by SHA-256 digest: a code is spent by deleting its row."""
