"""`/v1/messages`: what happened to a message at every stage, answered at once (no polling), and a
test run's verdicts, fetched and reset by the CI job that sent them (`receiver.ingest.verdicts`)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Query, Request

from receiver.core import test_runs
from receiver.errors import ApiError
from receiver.routes.deps import AUTHED, VerdictsDep
from receiver.routes.logs import INBOUND_PATH
from receiver.routes.mapping_api import VERSIONS_PATH
from receiver.routes.page_kit import api_key_actor
from receiver.web import models

PATH = "/v1/messages"
router = APIRouter(tags=["Inspection"], dependencies=AUTHED)
MessageId = Annotated[str, Path(description="The message's `messageId` (or a webhook request's X-Segment-Message-Id).")]
TestRun = Annotated[str, Query(pattern=test_runs.PATTERN, description=f"The test run's name ({test_runs.RULE}).")]


def _linked(verdict: dict[str, Any]) -> dict[str, Any]:
    """The verdict with links to its log entries and to each mapping version, as the API shows it."""
    log_url = INBOUND_PATH + "?" + urlencode({"id": verdict["message_id"]})
    deliveries = [
        {
            **delivery,
            "log_entry_url": log_url,
            "mapping_version_url": VERSIONS_PATH + quote(version, safe="")
            if (version := delivery["mapping_version"])
            else None,
        }
        for delivery in verdict["deliveries"]
    ]
    return {**verdict, "deliveries": deliveries, "log_url": log_url}


@router.get(
    PATH + "/{message_id}",
    summary="What happened to a message",
    description="Every stage of one message, from the logs: how it was routed, each matching mapping's payload or "
    "error, the store's answer, dropped copies and the log entries. Ready as soon as the call that sent it "
    "was answered.",
    response_model=models.Verdict,
    responses=models.error_responses(401, 404, 429),
)
async def message_verdict(message_id: MessageId, verdicts: VerdictsDep) -> dict[str, Any]:
    found = await verdicts.of_message(message_id)
    if found is None:
        raise ApiError(404, "MESSAGE_NOT_FOUND", "No log holds a message with this ID.", field="message_id")
    return _linked(found)


@router.get(
    PATH,
    summary="A test run's verdicts",
    description=f"Every message sent under the test run (the `{test_runs.HEADER}` header, or "
    f"`context.{test_runs.FIELD}` in a message), oldest first, with a count per outcome.",
    response_model=models.RunVerdicts,
    responses=models.error_responses(401, 429),
)
async def run_verdicts(test_run: TestRun, verdicts: VerdictsDep) -> dict[str, Any]:
    found = await verdicts.of_run(test_run)
    return {**found, "items": [_linked(item) for item in found["items"]]}


@router.delete(
    PATH,
    summary="Reset a test run",
    description="Deletes the run's log entries, so the next fetch shows only what is sent after; the events the "
    "run applied stay in the store.",
    response_model=models.RunReset,
    responses=models.error_responses(401, 429),
)
async def reset_run(request: Request, test_run: TestRun, verdicts: VerdictsDep) -> dict[str, Any]:
    return {"test_run": test_run, "forgotten": await verdicts.reset(test_run, api_key_actor(request))}
