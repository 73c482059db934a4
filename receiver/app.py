"""The receiver's app factory: it builds the state every route reads, and includes the routers.

The routes themselves live in `receiver.routes` (module-level routers whose dependencies read
`app.state`); nothing here handles a request. What the browser configures (saved settings,
Customer ID mapping, the Mappings page's set) lives in the store's `ConfigState` and is wired
here: the settings' listeners apply a save to the outbox, the webhook resolves external
customer IDs per the current mapping, and the ingest asks the mappings service before each
call whether the set moved. Saved settings and mappings are loaded when the app starts,
before anything is served, so a restart on a durable store comes back as it was saved.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from destination.definition.model import Definition, load_definition
from receiver.config import ReceiverConfig
from receiver.core.contract import WebhookContract, build_contract
from receiver.core.customer_ids import CustomerIds
from receiver.core.customers import Customers
from receiver.core.service import WebhookService
from receiver.core.settings_service import SettingsService
from receiver.docs_ui import mount_assets
from receiver.errors import install_handlers
from receiver.ingest.mappings_service import MappingsService
from receiver.ingest.not_found import install_not_found
from receiver.ingest.service import Ingest, load_subscriptions
from receiver.logs.ring import InboundLog, bounded_log
from receiver.metrics import install_metrics
from receiver.nostore import NoStore
from receiver.outbound.messages import Outbound, build_outbound
from receiver.routes import (
    customers,
    dashboard,
    docs,
    health,
    ingest,
    logs,
    mappings,
    metrics,
    pages,
    settings,
    tester,
    webhook,
)
from receiver.sessions import SessionStore
from receiver.store.config_state import ConfigState, MemoryConfigState
from receiver.store.memory import LoyaltyStore, make_store


def create_app(
    config: ReceiverConfig,
    *,
    store: LoyaltyStore | None = None,
    contract: WebhookContract | None = None,
    definition: Definition | None = None,
    config_state: ConfigState | None = None,
    environ: Mapping[str, str] | None = None,
) -> FastAPI:
    """A receiver for one brand; `store` defaults to the backend the settings name.

    `definition` defaults to the shipped destination's, and `contract` to the one it describes;
    `config_state` (what the pages configure) to one kept in memory; `environ` to `os.environ`.
    """
    definition = definition if definition is not None else load_definition()
    contract = contract if contract is not None else build_contract(definition)
    store = store if store is not None else make_store(config.store)
    config_state = config_state if config_state is not None else MemoryConfigState()
    live = SettingsService(config, config_state, os.environ if environ is None else environ)
    log = bounded_log(config, InboundLog)
    service = WebhookService(config, contract, store, log)
    outbound = build_outbound(config, store, definition)
    live.listeners.append(lambda current: outbound.reconfigure(current.outbound))
    profile_fields = contract.action_by_type("identify").data_properties
    ids = CustomerIds(config_state, store, live.refresh, profile_fields)
    live.listeners.append(lambda current: ids.use_attribute(current.outbound.user_id_attribute))
    service.customer_ids = ids
    tracking = Ingest(config, service, load_subscriptions(config, definition), definition)
    mapping_set = MappingsService(config, config_state, definition, tracking.fanout)
    tracking.before = mapping_set.sync_ingest
    app = FastAPI(
        title="Antavo Segment webhook (reference receiver)",
        description=docs.API_DESCRIPTION,
        version="1.0.0",
        openapi_tags=docs.TAGS,
        lifespan=_lifespan(live, mapping_set, outbound),
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(NoStore)
    state = app.state
    state.config, state.definition, state.contract = config, definition, contract
    state.store, state.log, state.service, state.outbound = store, log, service, outbound
    state.customers = Customers(store, service.customer_ids)
    state.sessions = SessionStore()
    state.ingest = tracking
    state.config_state, state.settings, state.mappings = config_state, live, mapping_set
    install_handlers(app)
    install_not_found(app)
    app.include_router(ingest.router)
    app.include_router(webhook.router(definition.request["path"], docs.webhook_openapi(contract)))
    for module in (logs, customers, health, docs, pages, dashboard, tester, metrics, settings, mappings):
        app.include_router(module.router)
    install_metrics(app)
    app.mount(pages.STATIC_PATH, pages.static_files(), name="static")
    mount_assets(app)
    return app


def _lifespan(live: SettingsService, mapping_set: MappingsService, outbound: Outbound) -> Callable[[FastAPI], Any]:
    """Saved settings and mappings first (so the outbox starts with the saved key), then the outbox."""
    running = outbound.lifespan()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await live.load()
        await mapping_set.sync_ingest()
        async with running(app):
            yield

    return lifespan
