"""`/settings`: Antavo's module settings for the Segment integration (signed in; see `live.settings`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from receiver.core.service import WebhookService
from receiver.live.settings import (
    GROUPS,
    MAPPING_CHANGE_NOTE,
    SettingsProblem,
    SettingsService,
    mask,
)
from receiver.pages import audit
from receiver.pages.nav import AUDIT_PATH, SETTINGS_PATH
from receiver.pages.retention import retention_section
from receiver.pages.sessions import Session
from receiver.pages.views import customer_url
from receiver.routes.deps import LiveSettings, Service, config_of, get_log
from receiver.routes.page_kit import SettingsEditor, Viewer, actor, checked_form, redirect, render

AUDIT_SHOWN = 50
router = APIRouter(include_in_schema=False)


def _shown(service: SettingsService, key: str, kind: str) -> Any:
    value = service.value(key)
    if kind == "secret":
        return mask(value)
    if kind == "list":
        return "\n".join(value or [])
    return value or ""


async def _page(
    request: Request,
    session: Session,
    service: SettingsService,
    webhook: WebhookService,
    status: int = 200,
    errors: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    groups = [
        {
            "group": group,
            "fields": [
                {
                    "field": field,
                    "value": _shown(service, field.key, field.kind),
                    "source": service.source(field.key),
                    "env_var": service.env_var(field.key),
                    "error": (errors or {}).get(field.key),
                    "skipped": service.skipped.get(field.key),
                }
                for field in group.fields
            ],
        }
        for group in GROUPS
    ]
    audit_rows = await audit.config_changes(service.state, AUDIT_SHOWN)
    return render(
        request,
        "settings.html",
        session,
        status,
        groups=groups,
        audit=audit_rows,
        audit_path=AUDIT_PATH,
        note=MAPPING_CHANGE_NOTE,
        skipped=sorted(service.skipped.items()),
        ids=webhook.customer_ids,
        conflicts=[
            (c, customer_url(c.customer), customer_url(c.owner))
            for c in (webhook.customer_ids.conflicts if webhook.customer_ids else [])
        ],
        errors=errors or {},
        retention=await retention_section(config_of(request), await get_log(request)),
        saved=request.query_params.get("saved"),
        **extra,
    )


@router.get(SETTINGS_PATH)
async def settings_page(request: Request, service: LiveSettings, webhook: Service, session: Viewer) -> Response:
    """Every role sees the settings; the form is read-only to one that may not change them."""
    await service.refresh()
    return await _page(request, session, service, webhook)


@router.post(SETTINGS_PATH + "/{group_id}")
async def save_settings(
    request: Request, group_id: str, service: LiveSettings, webhook: Service, session: SettingsEditor
) -> Response:
    form = await checked_form(request, session)
    if isinstance(form, Response):
        return form
    await service.refresh()
    values = {name: items[0] for name, items in form.items()}
    try:
        changes = await service.save(group_id, values, actor(request, session))
    except SettingsProblem as problem:
        return await _page(request, session, service, webhook, 422, problem.problems, failed=group_id)
    return redirect(f"{SETTINGS_PATH}?saved={group_id if changes else 'nothing'}#{group_id}")
