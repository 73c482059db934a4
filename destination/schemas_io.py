"""Everything in `schemas/`, generated in one place so the command and the drift test agree."""

from __future__ import annotations

from typing import Any

from .definition import Definition
from .formats import file_schemas
from .schema import payload_schemas

RECEIVER_COMMENT = "Generated from receiver/config.py (ReceiverConfig) by `antavo-actions schemas`. Do not edit."


def all_schemas(definition: Definition) -> dict[str, dict[str, Any]]:
    """Payload and settings schemas (Segment's rules), our YAML formats, and receiver.yaml."""
    from receiver.config import config_schema  # the receiver's settings model is its own source of truth

    receiver = {**config_schema(), "$comment": RECEIVER_COMMENT}
    return {**payload_schemas(definition), **file_schemas(definition), "receiver": receiver}
