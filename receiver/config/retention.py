"""How long the receiver keeps what it records: the `retention` settings section.

Log entries are kept `default_days`, or their source's days (`sources`: `webhook`, `segment`,
`segment:<library>`), or else their kind's (`kinds`: inbound, outbound, duplicate); a kept
entry's request and response bodies go after `raw_body_days` (the entry itself stays), blocked
messages after `quarantine_days`, and the audit trail is kept longest (`audit_days`, at least every other figure). The rule that applies
these is `receiver.store.retention`, the same on every backend.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

WEBHOOK_SOURCE = "webhook"
SEGMENT_SOURCE = "segment"
MAX_SOURCE_CHARS = 64 + len(SEGMENT_SOURCE) + 1
"""`segment:` and a library name as `receiver.logs.sources` cuts it."""
Days = float
RetentionKind = Literal["inbound", "outbound", "duplicate"]


def is_source_name(name: str) -> bool:
    """`webhook`, `segment` or `segment:<library>`: the forms `receiver.logs.sources` stamps on entries."""
    if name in (WEBHOOK_SOURCE, SEGMENT_SOURCE):
        return True
    prefix, _, library = name.partition(":")
    return (
        prefix == SEGMENT_SOURCE
        and bool(library.strip())
        and library == library.strip()
        and all(c.isprintable() for c in library)
        and len(name) <= MAX_SOURCE_CHARS
    )


class RetentionConfig(BaseModel):
    """How long log entries (per source and per kind), their bodies and the audit trail are kept."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="Retention")

    default_days: Days = Field(
        30,
        gt=0,
        allow_inf_nan=False,
        description="Days a log entry is kept when neither its source nor its kind has its own figure.",
    )
    sources: dict[str, Days] = Field(
        default_factory=dict,
        description=(
            "Days per source, overriding `kinds` and `default_days`: `webhook`, `segment` (a Tracking-API "
            "message naming no library) or `segment:<library>` (e.g. `segment:analytics.js`)."
        ),
    )
    kinds: dict[RetentionKind, Days] = Field(
        default_factory=dict,
        description="Days per log (inbound, outbound, duplicate), for entries whose source has no figure of its own.",
    )
    raw_body_days: Days = Field(
        7,
        gt=0,
        allow_inf_nan=False,
        description=(
            "Days an entry keeps its request and response bodies; after that they read "
            '`{"removed": "retention"}` while the entry (status, IDs, times, error) stays.'
        ),
    )
    quarantine_days: Days = Field(
        30,
        gt=0,
        allow_inf_nan=False,
        description="Days a message the tracking plan blocked is kept for replay (besides the quarantine's size bounds).",
    )
    audit_days: Days = Field(
        365,
        gt=0,
        allow_inf_nan=False,
        description="Days the audit trail of saved settings is kept; at least every other figure here.",
    )

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, sources: dict[str, Days]) -> dict[str, Days]:
        for name, days in sources.items():
            if not is_source_name(name):
                raise ValueError(
                    f"{name!r} is not a source: use `webhook`, `segment` or `segment:<library>` (e.g. segment:analytics.js)"
                )
            _positive(f"sources[{name!r}]", days)
        return sources

    @field_validator("kinds")
    @classmethod
    def _positive_kinds(cls, kinds: dict[RetentionKind, Days]) -> dict[RetentionKind, Days]:
        for kind, days in kinds.items():
            _positive(f"kinds[{kind!r}]", days)
        return kinds

    @model_validator(mode="after")
    def _audit_longest(self) -> RetentionConfig:
        others = {
            "default_days": self.default_days,
            "raw_body_days": self.raw_body_days,
            "quarantine_days": self.quarantine_days,
            **{f"sources[{name!r}]": days for name, days in self.sources.items()},
            **{f"kinds[{kind!r}]": days for kind, days in self.kinds.items()},
        }
        longer = [f"{name} ({days:g})" for name, days in others.items() if days > self.audit_days]
        if longer:
            raise ValueError(
                f"audit_days ({self.audit_days:g}) must be at least every other retention figure; longer: "
                + ", ".join(longer)
            )
        return self


def _positive(name: str, days: float) -> None:
    if not days > 0 or days == float("inf"):
        raise ValueError(f"{name} must be a positive number of days, not {days!r}")
