"""`/tester`: try a Segment event against the subscriptions, and send it to this receiver.

Signed in. A plain HTML form posts back here and the server answers with the results, so
every step runs in Python with the CLI's runtime (see `receiver.pages.tester`); the page needs no
script at all. Both form actions carry the session's CSRF token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from destination.definition.model import Definition, load_definition
from destination.definition.subscriptions import load_presets
from receiver.pages import tester
from receiver.pages.forms import read_form
from receiver.pages.nav import TESTER_PATH as PATH
from receiver.pages.sessions import Session
from receiver.routes.deps import IngestDep
from receiver.routes.deps import MappingSet as Mappings
from receiver.routes.page_kit import Tester, page_mask, render, same_origin

MAX_FORM_BYTES = 128 * 1024

router = APIRouter(include_in_schema=False)


DefinitionDep = Annotated[Definition, Depends(load_definition)]


async def _page(
    request: Request,
    session: Session,
    mappings: Mappings,
    definition: Definition,
    *,
    event_text: str,
    example: str,
    choice: str,
    mapping_text: str | None,
    status: int = 200,
    **results: Any,
) -> Response:
    offered, problems = await tester.offered(mappings)
    return render(
        request,
        "tester.html",
        session,
        status,
        event_text=event_text,
        example=example,
        choice=choice,
        choices=tester.choices(offered, load_presets(definition)),
        examples=tester.example_names(),
        mapping_text=mapping_text if mapping_text is not None else tester.default_mapping_text(offered),
        setup_problem="; ".join(problems) or None,
        **{
            **dict.fromkeys(("results", "edited", "event_problem", "sent", "form_problem", "pii_hidden")),
            **results,
        },
    )


@router.get(PATH)
async def tester_page(request: Request, session: Tester, mappings: Mappings, definition: DefinitionDep) -> Response:
    example = request.query_params.get("example") or tester.default_example(tester.example_names())
    text = tester.read_example(example) if example else None
    problem = f"There is no example named {example!r}." if example and text is None else None
    choice = request.query_params.get("choice") or tester.ALL
    return await _page(
        request,
        session,
        mappings,
        definition,
        event_text=text or "",
        example=example if text is not None else "",
        choice=choice,
        mapping_text=None,
        form_problem=problem,
    )


@router.post(PATH)
async def tester_run(
    request: Request, session: Tester, mappings: Mappings, definition: DefinitionDep, ingest: IngestDep
) -> Response:
    await mappings.sync_ingest()
    form = await read_form(request, MAX_FORM_BYTES)
    if form is None or not same_origin(request) or not session.csrf_matches(form.get("csrf")):
        problem = "The form was not sent from this page, or it is larger than 128 KB."
        return await _page(
            request,
            session,
            mappings,
            definition,
            event_text="",
            example="",
            choice=tester.ALL,
            mapping_text=None,
            status=400,
            form_problem=problem,
        )
    event_text, choice, mapping_text = form.get("event", ""), form.get("choice", tester.ALL), form.get("mapping", "")
    edited = tester.edited_mapping(mapping_text, definition) if choice == tester.EDITED else None
    page: dict[str, Any] = {
        "event_text": event_text,
        "example": form.get("example", ""),
        "choice": choice,
        "mapping_text": mapping_text,
        "edited": edited,
    }
    event, event_problem = tester.parse_event(event_text)
    offered, _ = await tester.offered(mappings)
    chosen = tester.resolve(
        choice, enabled=ingest.fanout.subscriptions, mappings=offered, presets=load_presets(definition), edited=edited
    )
    if event is None or chosen is None:
        unknown = None if chosen is not None or edited is not None else "Choose a subscription from the list."
        return await _page(
            request,
            session,
            mappings,
            definition,
            status=422,
            event_problem=event_problem,
            form_problem=unknown,
            **page,
        )
    settings = ingest.fanout.pipeline.settings
    redact, mask = ingest.service.redact, page_mask(request, session)

    def shown(value: Any) -> Any:
        return mask.one(redact(value))  # an inactive mask gives the value back as it is

    results = tester.try_event(definition, chosen, event, settings, shown, force=choice != tester.ALL)
    sent = None
    if form.get("do") == "send":
        sent = await tester.send(ingest.fanout, definition, event, None if choice == tester.ALL else chosen)
    return await _page(
        request, session, mappings, definition, results=results, sent=sent, pii_hidden=mask.notice, **page
    )
