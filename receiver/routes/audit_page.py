"""`/audit`: the audit trail, newest first, filtered by actor and action, paged by cursor; `/audit.csv` exports it.

Both need `audit.read` (every role has it); a bad filter is a 400 naming the field. The logic is
`receiver.pages.audit`; the trail is the live settings' `ConfigState`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from receiver.pages import audit
from receiver.pages.nav import AUDIT_PATH
from receiver.routes import page_kit
from receiver.routes.deps import LiveSettings

router = APIRouter(include_in_schema=False)


@router.get(AUDIT_PATH)
async def audit_page(request: Request, session: page_kit.AuditReader, settings: LiveSettings) -> Response:
    try:
        query = audit.AuditQuery.parse(request.query_params)
    except audit.AuditQueryProblem as problem:
        return page_kit.refused(request, f"The audit filter {problem}.", 400)
    page = await audit.audit_page(settings.state, query)
    return page_kit.render(
        request,
        "audit.html",
        session,
        page=page,
        query=query,
        next_query=query.query_string(cursor=page.next_cursor) if page.next_cursor else None,
        export_query=query.query_string(cursor=query.cursor),
        audit_path=AUDIT_PATH,
        actions=audit.ACTIONS,
    )


@router.get(AUDIT_PATH + ".csv")
async def audit_csv(request: Request, session: page_kit.AuditReader, settings: LiveSettings) -> Response:
    try:
        query = audit.AuditQuery.parse(request.query_params)
    except audit.AuditQueryProblem as problem:
        return page_kit.refused(request, f"The audit filter {problem}.", 400)
    body = await audit.export_csv(settings.state, query, page_kit.actor(request, session))
    answer = Response(body, media_type="text/csv; charset=utf-8")
    answer.headers["Content-Disposition"] = f'attachment; filename="{audit.export_name()}"'
    return page_kit.secured(answer)
