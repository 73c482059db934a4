"""What the mapping routes answer: the set, its versions, and an edit's impact (with the request it takes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class MappingItem(BaseModel):
    key: str = Field(description="The file stem; a saved mapping with a file's key replaces that file.")
    file_name: str
    origin: Literal["file", "saved"] = Field(description="A file of the mappings folder, or saved on the page.")
    name: str
    enabled: bool
    text: str = Field(description="The mapping file's YAML, as `validate` reads it.")


class MappingSetPage(BaseModel):
    items: list[MappingItem] = Field(description="By key.")


class MappingVersionItem(BaseModel):
    """A mapping as it ran when an event named it (never changed by later edits)."""

    digest: str
    name: str
    definition: dict[str, Any] = Field(
        description="name, subscribe, partnerAction, multi_accounts, the fields as written and as run (with defaults)."
    )
    first_seen: datetime
    running: bool = Field(description="True when the ingest runs this very version now.")


class ImpactChange(BaseModel):
    """One mapping edit, as `GET /v1/mappings` answers a mapping: its key and its YAML text."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(
        min_length=1,
        max_length=120,
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$",
        description="The file stem; a key the set has is replaced, a new one is added.",
    )
    text: str | None = Field(
        None, max_length=256 * 1024, description="The edited mapping file's YAML (e.g. `enabled: false` to toggle)."
    )
    delete: bool = Field(
        False, description="Delete the saved mapping instead, as the page's Delete does (a file's comes back)."
    )


class ImpactRequest(BaseModel):
    """What to compare: the set with these edits against the set the ingest runs."""

    model_config = ConfigDict(extra="forbid")
    mappings: list[ImpactChange] = Field(min_length=1, max_length=50, description="The edits, each key once.")
    events: list[dict[str, Any]] | None = Field(
        None,
        min_length=1,
        max_length=500,
        description="Segment events to run both sets over; left out, the recent accepted messages (at most 100).",
    )


class ImpactFieldChange(BaseModel):
    pointer: str = Field(description="The body field's RFC 6901 JSON pointer, e.g. `/data/total`.")
    change: Literal["changed", "added", "removed"]
    old: Any = Field(description="Its value before the edit (null when added).")
    new: Any = Field(description="Its value with the edit (null when removed).")


class ImpactEntry(BaseModel):
    event: int = Field(description="The event's position in the events compared, from 0.")
    event_id: str = Field(description="`#<position> <messageId>` (or the event's name or type).")
    subscription: str = Field(description="The mapping's name: subscriptions are matched by name.")
    kind: Literal[
        "newly matched",
        "no longer matched",
        "payload changed",
        "new validation error",
        "error fixed",
        "error changed",
        "unchanged",
    ]
    fields: list[ImpactFieldChange] = Field(description="For `payload changed`: every field that differs.")
    old_error: str | None
    new_error: str | None


class ImpactSummary(BaseModel):
    by_kind: dict[str, int] = Field(description="Entries of each kind (every kind, zero included).")
    by_subscription: dict[str, dict[str, int]] = Field(description="Per mapping name, the kinds it had.")


class MappingImpact(BaseModel):
    """What an edit would change, per event and mapping, before it is saved (`antavo-actions diff`'s report)."""

    source: Literal["recent", "given"] = Field(description="The recent accepted messages, or the events given.")
    bound: int = Field(description="The most events one comparison runs over (recent: the newest this many).")
    truncated: bool = Field(description="True when there were more recent messages than the bound.")
    events: int = Field(description="Events compared.")
    changed: bool = Field(description="True when any event's outcome changes.")
    warnings: list[str] = Field(description="What `validate` warns about the edited mappings (never blocking).")
    summary: ImpactSummary
    entries: list[ImpactEntry] = Field(description="Event then mapping order; `unchanged` entries included.")
