"""`GET /v1/mappings`: the set of mappings the ingest runs, for `map` / `send --mappings-from URL`.

The Mappings page saves mappings in the store, where the command line cannot see them; this
answers the same set the page lists (the folder's files overlaid by what was saved), as YAML
text, so a command run against this receiver uses exactly what its ingest runs.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from receiver.errors import ApiError
from receiver.routes.deps import AUTHED
from receiver.routes.deps import MappingSet as Mappings
from receiver.web import models

PATH = "/v1/mappings"
VERSIONS_PATH = PATH + "/versions/"
router = APIRouter(tags=["Inspection"], dependencies=AUTHED)


@router.get(
    PATH,
    summary="The mappings the ingest runs",
    description="The mapping files, overlaid by the mappings saved on the Mappings page (by file name), as YAML.",
    response_model=models.MappingSetPage,
    responses=models.error_responses(401, 429),
)
async def mapping_set(service: Mappings) -> dict[str, Any]:
    await service.sync_ingest()
    return {
        "items": [
            {
                "key": entry.key,
                "file_name": entry.file_name,
                "origin": entry.origin,
                "name": entry.name,
                "enabled": entry.enabled,
                "text": entry.text,
            }
            for entry in await service.entries()
        ]
    }


@router.get(
    VERSIONS_PATH + "{digest}",
    summary="A mapping as it ran",
    description="The mapping version an event's lineage names (`mapping_version`), as it was when it ran.",
    response_model=models.MappingVersionItem,
    responses=models.error_responses(401, 404, 429),
)
async def mapping_version(digest: str, service: Mappings) -> dict[str, Any]:
    found = await service.version(digest)
    if found is None:
        raise ApiError(404, "MAPPING_VERSION_NOT_FOUND", "No mapping version with this digest.", field="digest")
    version, running = found
    return {**vars(version), "running": running}
