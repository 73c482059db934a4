"""Settings of the outbound sync: the receiver playing Antavo's *Segment source*.

Antavo's "Twilio Segment integration" sends selected loyalty events (as `track` calls) and
selected profile changes (as `identify` calls) to a Segment source, addressed by the source's
write key. These settings mirror its configuration screens: the write key and region, *Event
sync* (which event names go out), *Customer fields sync* (which attribute changes go out) and
the customer ID mapping (which value becomes Segment's `userId`), plus the delivery limits of
the batch API. Nothing is sent until a write key is set.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator

REGION_URLS: dict[str, str] = {"us": "https://api.segment.io", "eu": "https://events.eu1.segmentapis.com"}
"""Segment's Tracking API host per workspace region."""
Region = Literal["us", "eu"]
BATCH_PATH = "/v1/batch"
MAX_MESSAGE_BYTES = 32 * 1024
"""Segment refuses a single call over 32 KB."""
MAX_BATCH_BYTES = 500 * 1024
MAX_BATCH_MESSAGES = 100


def _names(values: list[str], what: str) -> list[str]:
    if any(not value for value in values):
        raise ValueError(f"{what} holds an empty name")
    if len(set(values)) != len(values):
        raise ValueError(f"{what} lists a name twice")
    return values


class OutboundConfig(BaseModel):
    """Where and what the receiver sends back to Segment, as Antavo's source would."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="Outbound sync (Antavo as a Segment source)")

    write_key: SecretStr | None = Field(
        None,
        description=(
            "Write key of the Segment source the store's changes are sent to; outbound sync is off until it is "
            "set. Set it with ANTAVO_OUTBOUND_WRITE_KEY rather than in a file."
        ),
        json_schema_extra={"writeOnly": True},
    )
    region: Region = Field("us", description="The Segment workspace's region: `us` or `eu`.")
    base_url: str | None = Field(
        None,
        pattern=r"^https?://[^/\s]+(/[^\s]*)?$",
        title="Base URL",
        description="Send to this Tracking API host instead of the region's (a proxy, or a local test server).",
    )
    events: list[str] = Field(
        default_factory=list,
        description="Event sync: the built-in or custom event names (actions) sent as `track` calls.",
    )
    customer_fields: list[str] = Field(
        default_factory=list,
        description="Customer fields sync: the attributes whose changes are sent as `identify` calls.",
    )
    hash_pii: bool = Field(
        False,
        title="Hash PII",
        description=(
            "Send the SHA-256 of each value the tracking plan marks `pii` (event properties and customer fields "
            "of those names), normalised per its kind as Segment's Facebook Conversions destination does; a value "
            "that already is 64 hex characters is sent as it is."
        ),
    )
    user_id_attribute: str | None = Field(
        None,
        min_length=1,
        title="User ID attribute",
        description=(
            "Customer ID mapping: the attribute holding the external customer ID sent as Segment's `userId`; "
            "unset, the customer's own ID is sent."
        ),
    )
    queue_size: int = Field(
        10_000,
        ge=1,
        description="Messages the outbox holds; while full, an event that would queue one is refused with 503 "
        "`OUTBOUND_QUEUE_FULL` and Retry-After (nothing is applied, no message is lost).",
    )
    batch_max_messages: int = Field(
        MAX_BATCH_MESSAGES, ge=1, le=MAX_BATCH_MESSAGES, description="Most messages in one batch request."
    )
    batch_max_bytes: int = Field(
        MAX_BATCH_BYTES,
        ge=MAX_MESSAGE_BYTES + 1024,
        le=MAX_BATCH_BYTES,
        description="Largest batch request body in bytes (Segment's limit is 500 KB).",
    )
    max_retries: int = Field(5, ge=0, le=20, description="Retries of a batch answered 429 or 5xx (or unreachable).")
    backoff_seconds: float = Field(
        0.5,
        gt=0,
        le=60,
        title="Backoff (seconds)",
        description="First retry delay; each retry doubles it (with jitter), up to 60 times this value.",
    )
    request_timeout_seconds: float = Field(10.0, gt=0, title="Request timeout (seconds)")
    flush_timeout_seconds: float = Field(
        5.0,
        ge=0,
        title="Flush timeout (seconds)",
        description="On shutdown, how long queued messages may take to go out before the rest are logged as lost.",
    )

    @field_validator("events", "customer_fields")
    @classmethod
    def _distinct(cls, values: list[str], info: ValidationInfo) -> list[str]:
        return _names(values, f"`{info.field_name}`")

    @property
    def enabled(self) -> bool:
        return self.write_key is not None and bool(self.write_key.get_secret_value())

    @property
    def endpoint(self) -> str:
        """The batch URL: `{base}/v1/batch`."""
        base = self.base_url or REGION_URLS[self.region]
        return base.rstrip("/") + BATCH_PATH
