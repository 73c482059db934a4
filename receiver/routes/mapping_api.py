"""`GET /v1/mappings`: the set of mappings the ingest runs, for `map` / `send --mappings-from URL`;
`POST /v1/mappings/impact`: what an edit of that set would change, before it is saved.

The Mappings page saves mappings in the store, where the command line cannot see them; this
answers the same set the page lists (the folder's files overlaid by what was saved), as YAML
text, so a command run against this receiver uses exactly what its ingest runs. The impact
takes edits in that same shape (key and text) and answers `antavo-actions diff`'s report.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError

from receiver.errors import ApiError
from receiver.live.impact import ImpactRun, MappingChange, impact_of
from receiver.routes.deps import AUTHED
from receiver.routes.deps import MappingSet as Mappings
from receiver.web import models
from receiver.web.body import check_content_type, parse_json, read_body, require_object

PATH = "/v1/mappings"
VERSIONS_PATH = PATH + "/versions/"
IMPACT_PATH = PATH + "/impact"
IMPACT_MAX_BYTES = 4 * 1024 * 1024
"""The largest impact request: 500 events of Segment's 32 KB would be more; real ones are far smaller."""
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


def _inlined(schema: Any, defs: dict[str, Any]) -> Any:
    """A pydantic JSON schema with its `$defs` references inlined (an `openapi_extra` body cannot name them)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inlined(defs[schema["$ref"].rsplit("/", 1)[1]], defs)
        return {k: _inlined(v, defs) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [_inlined(v, defs) for v in schema]
    return schema


def _request_body() -> dict[str, Any]:
    schema = models.ImpactRequest.model_json_schema()
    example = {"mappings": [{"key": "points-earned", "text": "name: Points Earned → point_add\nenabled: false\n…"}]}
    body = {"schema": _inlined(schema, schema.get("$defs", {})), "example": example}
    return {"requestBody": {"required": True, "content": {"application/json": body}}}


def _changes(request: models.ImpactRequest) -> list[MappingChange]:
    changes = []
    for index, change in enumerate(request.mappings):
        if change.delete == (change.text is not None):
            message = "give the edited mapping's text, or delete: true (not both)"
            raise ApiError(422, "INVALID_MAPPING", message, field=f"mappings.{index}")
        changes.append(MappingChange(change.key, None if change.delete else change.text))
    return changes


def impact_answer(run: ImpactRun) -> dict[str, Any]:
    """The route's answer: the comparison as `diff --format json` writes it, and what it ran over."""
    return {
        "source": run.source,
        "bound": run.bound,
        "truncated": run.truncated,
        "warnings": list(run.warnings),
        **run.impact.as_dict(),
    }


@router.post(
    IMPACT_PATH,
    summary="What a mapping edit would change, before it is saved",
    description="Runs the set the ingest runs and the set with these edits over the same events — the given "
    "`events`, or the newest accepted messages the receiver keeps (at most 100) — through the delivery "
    "pipeline, and answers per event and mapping: newly matched, no longer matched, each payload field that "
    "changes, new validation errors (`antavo-actions diff`'s report). An edit `validate` refuses is a 422.",
    response_model=models.MappingImpact,
    responses=models.error_responses(400, 401, 413, 415, 422, 429),
    openapi_extra=_request_body(),
)
async def mapping_impact(request: Request, service: Mappings) -> dict[str, Any]:
    check_content_type(request.headers.get("content-type"))
    body = require_object(parse_json(await read_body(request, IMPACT_MAX_BYTES)))
    try:
        asked = models.ImpactRequest.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        raise ApiError(422, "INVALID_REQUEST", first["msg"], field=field) from None
    await service.sync_ingest()
    return impact_answer(await impact_of(service, _changes(asked), asked.events))
