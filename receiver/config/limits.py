"""Limits on what a client can make the receiver hold, wait for or try: the `limits` settings section.

Every number here bounds something a caller controls (bytes kept, time a socket may stall,
guesses at a key, points credited), so that no client, authenticated or not, can exhaust the
receiver's memory, connections or a customer's balance. Each can be overridden by
`ANTAVO_LIMITS_<SETTING>` (e.g. `ANTAVO_LIMITS_MAX_POINTS`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

MIB = 1024 * 1024


class LimitsConfig(BaseModel):
    """Memory, time, connection and abuse limits of the receiver."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="Receiver limits")

    log_max_bytes: int = Field(
        32 * MIB,
        ge=64 * 1024,
        description="Most bytes (of stored JSON) each log (inbound, outbound) keeps; the oldest entries go first.",
    )
    log_entry_body_bytes: int = Field(
        16 * 1024,
        ge=256,
        description="Most bytes of one request or response body a log entry keeps; a longer one is cut and marked.",
    )
    log_anonymous_share: float = Field(
        0.1,
        gt=0,
        le=0.5,
        allow_inf_nan=False,
        description="Share of each log (entries and bytes) that unauthenticated refusals may use; they never evict others.",
    )
    log_anonymous_per_second: float = Field(
        20.0,
        gt=0,
        allow_inf_nan=False,
        description="Unauthenticated refusals logged per second at most (after a burst of 10 times that); the rest are not logged.",
    )
    max_header_bytes: int = Field(
        16 * 1024,
        ge=1024,
        description="Largest request line plus headers in bytes; larger requests get 431.",
    )
    max_headers: int = Field(100, ge=8, description="Most header lines in a request; more get 431.")
    header_timeout_seconds: float = Field(
        10.0, gt=0, allow_inf_nan=False, description="Time a connection has to send a request's line and headers."
    )
    body_timeout_seconds: float = Field(
        30.0,
        gt=0,
        allow_inf_nan=False,
        description="Time a request has to send its whole body once its headers are in.",
    )
    keep_alive_seconds: float = Field(
        5.0, gt=0, allow_inf_nan=False, description="How long an idle keep-alive connection stays open."
    )
    shutdown_timeout_seconds: float = Field(
        5.0,
        gt=0,
        allow_inf_nan=False,
        description="On SIGTERM or Ctrl-C, how long running requests may finish before connections are closed.",
    )
    max_connections: int = Field(
        800,
        ge=1,
        description="Most concurrent connections (and requests); above it requests get 503.",
    )
    auth_failures_burst: int = Field(
        20, ge=1, description="Failed authentications one client address may make before it gets 429."
    )
    auth_failures_per_minute: float = Field(
        30.0,
        gt=0,
        allow_inf_nan=False,
        description="How fast a client address earns back failed attempts (per minute).",
    )
    key_failures_burst: int = Field(
        200,
        ge=1,
        description="Failed attempts at one key (API key, write key), from any address, before addresses that "
        "failed get 429 (a caller with no failures is never limited).",
    )
    key_failures_per_minute: float = Field(
        300.0, gt=0, allow_inf_nan=False, description="How fast a key earns back failed attempts (per minute)."
    )
    max_points: int = Field(
        1_000_000_000, ge=1, description="Most points one event may add or subtract (more: 422 POINTS_TOO_LARGE)."
    )
    max_balance: int = Field(
        10**15, ge=1, description="Highest balance an account may reach (beyond it: 422 POINTS_TOO_LARGE)."
    )
    idempotency_max_bytes: int = Field(
        64 * MIB,
        ge=1024,
        description="Most bytes the memory store spends on Idempotency-Keys and their answers.",
    )
    dedup_max_bytes: int = Field(
        32 * MIB, ge=1024, description="Most bytes the memory store spends on remembered messageIds."
    )
    recent_messages: int = Field(
        200,
        ge=1,
        le=10_000,
        description='Most accepted Tracking API messages kept for the Mappings page\'s "Load event from source" '
        "(in the store, so shared by every instance on a durable one).",
    )
    recent_messages_max_bytes: int = Field(
        1 * MIB,
        ge=64 * 1024,
        description="Most bytes (of JSON) the recent messages take together; the oldest go first, and a larger "
        "message is not kept.",
    )
    quarantine_size: int = Field(
        1000,
        ge=1,
        le=1_000_000,
        description="Most messages the tracking plan blocked that the store keeps for replay (the oldest go first).",
    )
    quarantine_max_bytes: int = Field(
        8 * MIB,
        ge=64 * 1024,
        description="Most bytes (of JSON) the quarantined messages take together; a larger message is not kept.",
    )
