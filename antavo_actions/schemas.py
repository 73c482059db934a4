"""Everything in `schemas/`: the destination's schemas and the receiver's settings schema.

It sits above both packages because `schemas/` holds both; neither package imports the other's.
"""

from __future__ import annotations

from typing import Any

from destination.definition.model import Definition
from destination.definition.schema_files import destination_schemas
from destination.plan.schema import PLAN_SCHEMA_NAME, plan_file_schema
from receiver.config import RECEIVER_COMMENT, config_schema


def all_schemas(definition: Definition) -> dict[str, dict[str, Any]]:
    """Payload and settings schemas (Segment's rules), our YAML formats (the tracking plan's too), and receiver.yaml."""
    return {
        **destination_schemas(definition),
        PLAN_SCHEMA_NAME: plan_file_schema(),
        "receiver": {**config_schema(), "$comment": RECEIVER_COMMENT},
    }
