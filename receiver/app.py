"""The receiver's routes. Thin on purpose: the work lives in `service`, `store` and `logs`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from destination.definition.model import load_definition
from receiver import models
from receiver.config import ReceiverConfig
from receiver.configuration import install_configuration
from receiver.core.contract import WebhookContract, default_contract
from receiver.core.service import WebhookService
from receiver.docs import API_DESCRIPTION, TAGS, WEBHOOK_DESCRIPTION, webhook_openapi
from receiver.errors import ApiError, install_handlers, unauthorized
from receiver.ingest.service import install_ingest
from receiver.logs.outbound import outbound_log_router
from receiver.logs.query import MAX_PAGE, LogQuery
from receiver.logs.ring import InboundLog
from receiver.outbound.messages import build_outbound
from receiver.pages import STATIC_PATH, pages_router, static_files
from receiver.security import same_secret
from receiver.sessions import SessionStore
from receiver.store.config_state import ConfigState
from receiver.store.memory import LoyaltyStore, make_store

CustomerId = Annotated[str, Path(description="The customer ID (what the destination sends as the customer).")]
_bearer = HTTPBearer(auto_error=False, description="The brand API key, as `Authorization: Bearer <key>`.")


def create_app(
    config: ReceiverConfig,
    *,
    store: LoyaltyStore | None = None,
    contract: WebhookContract | None = None,
    config_state: ConfigState | None = None,
) -> FastAPI:
    """A receiver for one brand; `store` defaults to the backend the settings name."""
    contract = contract or default_contract()
    store = store if store is not None else make_store(config.store)
    log = InboundLog(config.log_size)
    service = WebhookService(config, contract, store, log)
    outbound = build_outbound(config, store)
    app = FastAPI(
        title="Antavo Segment webhook (reference receiver)",
        description=API_DESCRIPTION,
        version="1.0.0",
        openapi_tags=TAGS,
        lifespan=outbound.lifespan(),
    )
    app.state.outbound = outbound
    app.state.config, app.state.store, app.state.log, app.state.service = config, store, log, service
    install_handlers(app)
    install_ingest(app, config, service)
    app.state.sessions = SessionStore()
    install_configuration(app, config, store, service, outbound, state=config_state)
    customers = service.customer_ids
    assert customers is not None
    key = config.api_key_bytes()

    def require_bearer(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
        if credentials is None or not same_secret(credentials.credentials, key):
            raise unauthorized("Send the brand API key as 'Authorization: Bearer <key>'.", bearer=True)

    authed = [Depends(require_bearer)]
    app.include_router(outbound_log_router(outbound.log, dependencies=authed))
    webhook_path = load_definition().request["path"]

    @app.post(
        webhook_path,
        tags=["Segment webhook"],
        summary="Receive one event from the Antavo (Actions) destination",
        description=WEBHOOK_DESCRIPTION,
        status_code=202,
        response_model=models.Accepted,
        responses=models.error_responses(400, 401, 409, 413, 415, 422),
        openapi_extra=webhook_openapi(contract),
    )
    async def segment_webhook(request: Request) -> JSONResponse:
        return await service.handle(request)

    @app.get(
        "/v1/logs",
        tags=["Inspection"],
        summary="The inbound log",
        description="One entry per webhook request, accepted or refused, newest first. Bodies are redacted.",
        response_model=models.LogPage,
        responses=models.error_responses(401),
        dependencies=authed,
    )
    async def inbound_log(query: Annotated[LogQuery, Depends()]) -> dict[str, Any]:
        return query.page(log)

    @app.get(
        "/v1/customers/{customer_id}",
        tags=["Inspection"],
        summary="A customer's profile, membership and balances",
        response_model=models.Customer,
        responses=models.error_responses(401, 404),
        dependencies=authed,
    )
    async def get_customer(customer_id: CustomerId) -> dict[str, Any]:
        found = await customers.find(customer_id)
        if found is None:
            raise ApiError(404, "CUSTOMER_NOT_FOUND", "No customer with this ID.", field="customer_id")
        return {**vars(found), "external_ids": await customers.external_ids(found.id)}

    @app.get(
        "/v1/customers/{customer_id}/events",
        tags=["Inspection"],
        summary="A customer's event history",
        description="Accepted events, oldest first, as written (events are never changed).",
        response_model=models.EventPage,
        responses=models.error_responses(401, 404),
        dependencies=authed,
    )
    async def customer_events(
        customer_id: CustomerId,
        offset: Annotated[int, Query(ge=0, description="Events to skip.")] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Events per page.")] = 50,
    ) -> dict[str, Any]:
        internal = await customers.internal_id(customer_id)
        found = await store.events(internal, offset=offset, limit=limit) if internal is not None else None
        if found is None:
            raise ApiError(404, "CUSTOMER_NOT_FOUND", "No customer with this ID.", field="customer_id")
        events, total = found
        following = offset + len(events)
        return {
            "items": [vars(event) for event in events],
            "total": total,
            "offset": offset,
            "limit": limit,
            "next_offset": following if following < total else None,
        }

    @app.get("/healthz", tags=["Health"], summary="Liveness", response_model=models.Health)
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "stack": config.stack, "store": config.store, "multi_accounts": config.multi_accounts}

    pages = pages_router(config, store, log, contract, sessions=app.state.sessions, outbound_log=outbound.log)
    app.include_router(pages)
    app.mount(STATIC_PATH, static_files(), name="static")
    return app
