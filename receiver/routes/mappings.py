"""`/mappings`: Segment's Mappings page for the destination (signed in; see `live.mappings`)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from receiver.live.impact import MappingChange
from receiver.live.mappings import MappingsService, errors_of, fql_problems, slug, trigger_check
from receiver.pages import views
from receiver.pages.impact import impact_view
from receiver.pages.nav import MAPPINGS_PATH
from receiver.pages.pii import Masker
from receiver.pages.sessions import Session
from receiver.routes.deps import Config
from receiver.routes.deps import MappingSet as Mappings
from receiver.routes.mapping_form import (
    CONDITION_FIELDS,
    EVENT_TYPES,
    OPERATORS,
    Condition,
    FormProblem,
    MappingForm,
    form_from_data,
    form_from_request,
    mapping_data,
    object_field,
    to_notation,
    to_yaml,
)
from receiver.routes.page_kit import (
    MappingEditor,
    MappingEditorData,
    Viewer,
    actor,
    checked_form,
    first,
    json_answer,
    message_page,
    page_mask,
    redirect,
    render,
)

router = APIRouter(include_in_schema=False)


@router.get(MAPPINGS_PATH)
async def mappings_page(request: Request, service: Mappings, session: Viewer, config: Config) -> Response:
    await service.sync_ingest()
    saved = request.query_params.get("saved")
    entry = await service.entry(saved) if saved else None
    return render(
        request,
        "mappings.html",
        session,
        entries=[(entry, service.has_file(entry.key)) for entry in await service.entries()],
        saved=saved,
        saved_warnings=service.problems(entry.text, entry.key) if entry else [],
        reverted=request.query_params.get("reverted"),
        deleted=request.query_params.get("deleted"),
        forgets=config.store.backend == "memory",
    )


@router.post(MAPPINGS_PATH + "/{key}/status")
async def toggle(request: Request, key: str, service: Mappings, session: MappingEditor) -> Response:
    form = await checked_form(request, session)
    if isinstance(form, Response):
        return form
    entry = await service.entry(key)
    if entry is None:
        return message_page(request, session, 404, "No such mapping", f"No mapping {key!r}.")
    data = {**entry.data, "enabled": not entry.enabled}
    state = "Enabled" if data["enabled"] else "Disabled"
    await service.save(
        key,
        to_yaml(data, entry.text),
        actor(request, session),
        f"Mapping {entry.name}: {state.lower()}",
        "mapping.toggle",
    )
    return redirect(f"{MAPPINGS_PATH}?saved={key}")


@router.post(MAPPINGS_PATH + "/{key}/delete")
async def remove(request: Request, key: str, service: Mappings, session: MappingEditor) -> Response:
    """Delete a saved mapping, or revert a saved edit of a file's mapping to the file."""
    form = await checked_form(request, session)
    if isinstance(form, Response):
        return form
    removed = await service.remove(key, actor(request, session))
    if removed is None:
        message = f"No saved mapping {key!r}: a mapping only in the mappings folder is removed from the repository."
        return message_page(request, session, 404, "No such saved mapping", message)
    done = "reverted" if service.has_file(key) else "deleted"
    return redirect(f"{MAPPINGS_PATH}?{done}={key}")


@router.get(views.MAPPING_VERSIONS_PATH + "{digest}")
async def mapping_version_page(request: Request, digest: str, service: Mappings, session: Viewer) -> Response:
    """The mapping as it ran when an event named it (the customer page's history links here)."""
    found = await service.version(digest)
    if found is None:
        return render(request, "mapping_version.html", session, 404, version=None, digest=digest)
    version, running = found
    written = version.definition
    data = {key: written[key] for key in ("name", "subscribe", "partnerAction") if key in written}
    if written.get("multi_accounts"):
        data["multi_accounts"] = True
    data["mapping"] = dict(written.get("written") or {})
    model = views.mapping_version_page(version, running, to_yaml(data))
    return render(request, "mapping_version.html", session, version=model)


@router.get(MAPPINGS_PATH + "/{key}/yaml")
async def download(request: Request, key: str, service: Mappings, session: Viewer) -> Response:
    entry = await service.entry(key)
    if entry is None:
        return PlainTextResponse("No such mapping.", status_code=404)
    disposition = f'attachment; filename="{slug(key)}.yaml"'
    return PlainTextResponse(entry.text, media_type="application/yaml", headers={"Content-Disposition": disposition})


@router.get(MAPPINGS_PATH + "/check-fql")
async def check_fql(request: Request, service: Mappings, session: MappingEditorData) -> Response:
    """The live check of the raw FQL box: the trigger rules Save runs (`validate`'s), errors and warnings."""
    query = request.query_params.get("q", "")[:4000]
    if not query.strip():
        return json_answer({"ok": False, "problems": ["write a trigger"], "warnings": []})
    found = trigger_check(query, service.definition)
    problems = [p.message for p in found if p.severity == "error"]
    warnings = [f"{p.rule}: {p.message}" for p in found if p.severity == "warning"]
    return json_answer({"ok": not problems, "problems": problems, "warnings": warnings})


@router.get(MAPPINGS_PATH + "/new")
async def new_mapping(request: Request, service: Mappings, session: MappingEditor) -> Response:
    return _editor(request, session, service, MappingForm())


@router.get(MAPPINGS_PATH + "/{key}/edit")
async def edit_mapping(request: Request, key: str, service: Mappings, session: MappingEditor) -> Response:
    entry = await service.entry(key)
    if entry is None:
        return message_page(request, session, 404, "No such mapping", f"No mapping {key!r}.")
    return _editor(request, session, service, form_from_data(key, entry.data, service.definition))


@router.post(MAPPINGS_PATH + "/edit")
async def post_mapping(request: Request, service: Mappings, session: MappingEditor) -> Response:
    posted = await checked_form(request, session)
    if isinstance(posted, Response):
        return posted
    form = form_from_request(posted)
    op = first(posted, "op", "preview")
    extra: dict[str, Any] = {}
    if op == "add_condition":
        form.conditions.append(Condition("event", "", "is", ""))
    elif op.startswith("remove_condition-"):
        index = _index(op)
        if index is not None and index < len(form.conditions):
            del form.conditions[index]
    elif op == "add_pair":
        form.pairs.append(("", ""))
    elif op == "edit_object_pairs":
        form.object_json = None
    elif op == "load_events":
        mask = page_mask(request, session)  # the recent feed shows the plan's PII masked
        extra["events"] = [
            (kept.seq, _pretty(mask.one(kept.message))) for kept in await service.recent(_safe_fql(form))
        ]
    elif op.startswith("use_event-"):
        # By the kept message's seq, not its place in the list: new traffic on any instance moves places.
        seq = _index(op)
        chosen = [kept for kept in await service.recent("") if kept.seq == seq]
        if chosen:
            form.sample = _pretty(page_mask(request, session).one(chosen[0].message))
    elif op == "test":
        extra["report"] = _test(service, form)
    elif op == "impact":
        pasted = first(posted, "impact_events")
        mask = page_mask(request, session)
        extra["impact"], extra["impact_events"] = await _impact(service, form, pasted, mask), pasted
    elif op == "save":
        return await _save(request, session, service, form)
    return _editor(request, session, service, form, **extra)


def _index(op: str) -> int | None:
    tail = op.rpartition("-")[2]
    return int(tail) if tail.isdigit() and len(tail) < 19 else None


def _pretty(message: Any) -> str:
    return json.dumps(message, indent=2, ensure_ascii=False)


def _safe_fql(form: MappingForm) -> str:
    try:
        return form.fql()
    except FormProblem:
        return ""


def _test(service: MappingsService, form: MappingForm) -> dict[str, Any]:
    try:
        data = mapping_data(form, service.definition)
    except FormProblem as problem:
        return {"error": problem.message, "field": problem.field}
    try:
        event = json.loads(form.sample or "null")
    except ValueError as exc:
        return {"error": f"the test event is not valid JSON: {exc}", "field": "sample"}
    if not isinstance(event, dict):
        return {
            "error": "the test event must be a JSON object (Load event from source, or paste one)",
            "field": "sample",
        }
    problems = errors_of(service.problems(to_yaml(data), form.key or slug(form.name)))
    if problems:
        return {"error": "; ".join(f"{p.rule}: {p.message}" for p in problems), "field": None}
    report = service.test(data, event).as_dict()
    report["mapped_json"] = json.dumps(report["mapped"], indent=2, ensure_ascii=False)
    return report


async def _impact(service: MappingsService, form: MappingForm, pasted: str, mask: Masker) -> dict[str, Any]:
    """The impact panel for the form as it stands: the same mapping text Save would store."""
    try:
        data = mapping_data(form, service.definition)
    except FormProblem as problem:
        return {"error": problem.message, "field": problem.field}
    key = form.key or slug(form.name)
    existing = await service.entry(key)
    if not form.key and existing is not None:
        return {"error": f"a mapping named like this already exists ({key}.yaml): choose another name"}
    text = to_yaml(data, existing.text if existing else None)
    return await impact_view(service, [MappingChange(key, text)], pasted, mask)


async def _change_impact(request: Request, key: str, service: Mappings, session: Session, pasted: str) -> Response:
    """The impact of a list-page change (toggle, delete / revert), with the button that makes it."""
    change = request.query_params.get("change", "toggle")
    entry = await service.entry(key)
    if entry is None or change not in ("toggle", "delete"):
        message = f"No mapping {key!r}." if entry is None else "Ask for change=toggle or change=delete."
        return message_page(request, session, 404 if entry is None else 400, "No such change", message)
    if change == "toggle":
        verb = "Disable" if entry.enabled else "Enable"
        text: str | None = to_yaml({**entry.data, "enabled": not entry.enabled}, entry.text)
    else:
        verb, text = ("Revert to file" if service.has_file(key) else "Delete"), None
    await service.sync_ingest()
    panel = await impact_view(service, [MappingChange(key, text)], pasted, page_mask(request, session))
    return render(request, "mapping_impact.html", session, entry=entry, change=change, verb=verb, impact=panel,
                  impact_events=pasted)  # fmt: skip


@router.get(MAPPINGS_PATH + "/{key}/impact")
async def change_impact(request: Request, key: str, service: Mappings, session: Viewer) -> Response:
    return await _change_impact(request, key, service, session, "")


@router.post(MAPPINGS_PATH + "/{key}/impact")
async def change_impact_on_events(request: Request, key: str, service: Mappings, session: MappingEditor) -> Response:
    """The same over events pasted on the page (a form post: same origin and CSRF, as every page form)."""
    form = await checked_form(request, session)
    if isinstance(form, Response):
        return form
    return await _change_impact(request, key, service, session, first(form, "impact_events"))


async def _save(request: Request, session: Session, service: MappingsService, form: MappingForm) -> Response:
    try:
        data = mapping_data(form, service.definition)
    except FormProblem as problem:
        return _editor(request, session, service, form, 422, problem=problem)
    creating = not form.key
    key = form.key or slug(form.name)
    existing = await service.entry(key)
    if creating and existing is not None:
        taken = FormProblem("name", f"a mapping named like this already exists ({key}.yaml): choose another name")
        return _editor(request, session, service, form, 422, problem=taken)
    text = to_yaml(data, existing.text if existing else None)
    verb = "created" if existing is None else "saved"
    action = "mapping.create" if existing is None else "mapping.edit"
    problems = await service.save(key, text, actor(request, session), f"Mapping {form.name}: {verb}", action)
    if errors_of(problems):
        return _editor(request, session, service, form, 422, lint=problems, yaml_text=text)
    return redirect(f"{MAPPINGS_PATH}?saved={key}")


def _editor(
    request: Request, session: Session, service: MappingsService, form: MappingForm, status: int = 200, **extra: Any
) -> Response:
    definition = service.definition
    action = definition.actions.get(form.action) or definition.action("event")
    account = definition.field_for("account")
    multi = form.multi_accounts or service.config.multi_accounts
    obj = object_field(action)
    fields = [
        {
            "name": name,
            "label": spec.get("label", name),
            "description": spec.get("description", ""),
            "required": bool(spec.get("required")) or (name == account and multi),
            "value": form.values.get(name, ""),
            "default": to_notation(spec["default"]) if "default" in spec and name != obj else "",
        }
        for name, spec in action.fields.items()
        if name != obj
    ]
    obj_spec = action.fields.get(obj, {}) if obj else {}
    try:
        built = form.fql()
        built_problems = fql_problems(built)
    except FormProblem as problem:
        built, built_problems = "", [problem.message]
    return render(
        request,
        "mapping_edit.html",
        session,
        status,
        form=form,
        actions=[(a.key, a.title) for a in definition.actions.values()],
        fields=fields,
        object_name=obj,
        object_label=obj_spec.get("label", obj),
        object_required=bool(obj_spec.get("required")),
        object_default=json.dumps(obj_spec.get("default"), ensure_ascii=False) if "default" in obj_spec else "",
        condition_fields=CONDITION_FIELDS,
        operators=OPERATORS,
        event_types=EVENT_TYPES,
        built_fql=built,
        built_problems=built_problems,
        problem=extra.pop("problem", None),
        lint=extra.pop("lint", None),
        **extra,
    )
