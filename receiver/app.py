"""The receiver's app factory: it builds the state every route reads, and includes the routers.

The routes themselves live in `receiver.routes` (module-level routers whose dependencies read
`app.state`); nothing here handles a request.
"""

from __future__ import annotations

from fastapi import FastAPI

from destination.definition.model import Definition, load_definition
from receiver.config import ReceiverConfig
from receiver.core.contract import WebhookContract, build_contract
from receiver.core.customers import Customers
from receiver.core.service import WebhookService
from receiver.docs_ui import mount_assets
from receiver.errors import install_handlers
from receiver.ingest.not_found import install_not_found
from receiver.ingest.service import Ingest, load_subscriptions
from receiver.logs.ring import InboundLog, bounded_log
from receiver.metrics import install_metrics
from receiver.nostore import NoStore
from receiver.outbound.messages import build_outbound
from receiver.routes import customers, dashboard, docs, health, ingest, logs, metrics, pages, tester, webhook
from receiver.sessions import SessionStore
from receiver.store.memory import LoyaltyStore, make_store


def create_app(
    config: ReceiverConfig,
    *,
    store: LoyaltyStore | None = None,
    contract: WebhookContract | None = None,
    definition: Definition | None = None,
) -> FastAPI:
    """A receiver for one brand; `store` defaults to the backend the settings name.

    `definition` defaults to the shipped destination's, and `contract` to the one it describes.
    """
    definition = definition if definition is not None else load_definition()
    contract = contract if contract is not None else build_contract(definition)
    store = store if store is not None else make_store(config.store)
    log = bounded_log(config, InboundLog)
    service = WebhookService(config, contract, store, log)
    outbound = build_outbound(config, store, definition)
    app = FastAPI(
        title="Antavo Segment webhook (reference receiver)",
        description=docs.API_DESCRIPTION,
        version="1.0.0",
        openapi_tags=docs.TAGS,
        lifespan=outbound.lifespan(),
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(NoStore)
    state = app.state
    state.config, state.definition, state.contract = config, definition, contract
    state.store, state.log, state.service, state.outbound = store, log, service, outbound
    state.customers = Customers(store)
    state.sessions = SessionStore()
    state.ingest = Ingest(config, service, load_subscriptions(config, definition), definition)
    install_handlers(app)
    install_not_found(app)
    app.include_router(ingest.router)
    app.include_router(webhook.router(definition.request["path"], docs.webhook_openapi(contract)))
    for module in (logs, customers, health, docs, pages, dashboard, tester, metrics):
        app.include_router(module.router)
    install_metrics(app)
    app.mount(pages.STATIC_PATH, pages.static_files(), name="static")
    mount_assets(app)
    return app
