"""The destination's part of `schemas/`, generated in one place so the command and the drift test agree."""

from __future__ import annotations

from typing import Any

from destination.definition.file_schemas import file_schemas
from destination.definition.model import Definition
from destination.definition.payload_schemas import payload_schemas


def destination_schemas(definition: Definition) -> dict[str, dict[str, Any]]:
    """Payload and settings schemas (Segment's rules) and our YAML formats' schemas."""
    return {**payload_schemas(definition), **file_schemas(definition)}
