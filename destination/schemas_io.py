"""Everything in `schemas/`, generated in one place so the command and the drift test agree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .definition import Definition
from .formats import file_schemas
from .schema import payload_schemas, stale_schemas, write_schemas


def all_schemas(definition: Definition) -> dict[str, dict[str, Any]]:
    """Payload and settings schemas (Segment's rules), our YAML formats, and receiver.yaml."""
    from receiver.config import config_schema  # the receiver's settings model is its own source of truth

    return {**payload_schemas(definition), **file_schemas(definition), "receiver": config_schema()}


def write_all(directory: Path, schemas: dict[str, dict[str, Any]]) -> list[Path]:
    return write_schemas(directory, schemas)


def stale_files(directory: Path, schemas: dict[str, dict[str, Any]]) -> list[str]:
    return stale_schemas(directory, schemas)
