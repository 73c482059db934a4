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
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI

from destination.definition.model import Definition, load_definition
from receiver.config import ReceiverConfig, load_config
from receiver.core.contract import WebhookContract, build_contract
from receiver.core.customer_ids import CustomerIds
from receiver.core.customers import Customers
from receiver.core.service import WebhookService
from receiver.core.user_admin import UserAdmin
from receiver.errors import install_handlers
from receiver.ingest.not_found import install_not_found
from receiver.ingest.plan_audit import PlanAuditor
from receiver.ingest.plan_gate import PlanGate, PlanPii, gate_from_config
from receiver.ingest.recent import RecentFeed
from receiver.ingest.replay import Quarantine
from receiver.ingest.service import Ingest, load_subscriptions
from receiver.ingest.verdicts import Verdicts
from receiver.ingest.versions import MappingVersions
from receiver.live.history import HistoryService
from receiver.live.mappings import MappingsService
from receiver.live.settings import SettingsService
from receiver.logs.stored import StoredLog
from receiver.outbound.messages import build_outbound
from receiver.outbound.queue_depth import QueueDepthHistory
from receiver.pages.sessions import SessionStore
from receiver.pages.sign_in import SignIn
from receiver.routes import (
    audit_page,
    customers,
    dashboard,
    docs,
    health,
    history,
    ingest,
    logs,
    mapping_api,
    mappings,
    messages,
    metrics,
    overview,
    overview_page,
    page_kit,
    pages,
    quarantine,
    quarantine_page,
    settings,
    tester,
    users_page,
    webhook,
)
from receiver.store import config_state_for, make_store, recent_messages_for
from receiver.store.config_state import ConfigState
from receiver.store.contract import LoyaltyStore
from receiver.store.limits import StoreLimits
from receiver.store.recent import RecentBounds
from receiver.store.retention import retention_of
from receiver.store.retention_task import RetentionTask
from receiver.web.docs_ui import mount_assets
from receiver.web.metrics import install_metrics
from receiver.web.nostore import NoStore


def create_app(
    config: ReceiverConfig,
    *,
    store: LoyaltyStore | None = None,
    contract: WebhookContract | None = None,
    definition: Definition | None = None,
    config_state: ConfigState | None = None,
    environ: Mapping[str, str] | None = None,
    plan_gate: PlanGate | None = None,
) -> FastAPI:
    """A receiver for one brand; `store` defaults to the backend the settings name (`store.url`).

    `definition` defaults to the shipped destination's, and `contract` to the one it describes;
    `config_state` (what the pages configure) to one kept in memory; `environ` to `os.environ`;
    `plan_gate` to the tracking plan the `tracking_plan` setting names (PlanSetupError when it is broken).
    """
    definition = definition if definition is not None else load_definition()
    contract = contract if contract is not None else build_contract(definition)
    store = store if store is not None else store_from_config(config)
    config_state = config_state if config_state is not None else config_state_for(store)
    live = SettingsService(config, config_state, os.environ if environ is None else environ)
    log = StoredLog(store, "inbound")
    gate = plan_gate if plan_gate is not None else gate_from_config(config)
    defaults = [action.default_mapping for action in definition.actions.values()]
    # The plan's PII, with the fields the running mappings fill from it (`tracking` is built below).
    pii = PlanPii(gate, lambda: [*defaults, *(each.mapping for each in tracking.fanout.subscriptions)])
    outbound = build_outbound(config, store, definition, pii.current)
    live.listeners.append(lambda current: outbound.reconfigure(current.outbound))
    profile_fields = contract.action_by_type("identify").data_properties
    ids = CustomerIds(config_state, store, live.refresh, profile_fields)
    live.listeners.append(lambda current: ids.use_attribute(current.outbound.user_id_attribute))
    service = WebhookService(config, contract, store, log, customer_ids=ids)
    bounds = RecentBounds(config.limits.recent_messages, config.limits.recent_messages_max_bytes)
    recent = RecentFeed(recent_messages_for(store, bounds))
    versions = MappingVersions(config_state.record_mapping_versions)
    subscriptions = load_subscriptions(config, definition)
    plan_auditor = PlanAuditor(config_state)
    gate.listener = plan_auditor
    tracking = Ingest(config, service, subscriptions, definition, recent=recent, versions=versions, gate=gate)
    # The one wiring after construction: the mappings service edits the ingest's fan-out, and the
    # ingest asks it before each call whether the saved set moved.
    mapping_set = MappingsService(config, config_state, definition, tracking.fanout)
    tracking.before = mapping_set.sync_ingest
    queue_depth = QueueDepthHistory(store.outbox_pending, config.queue_sample_seconds)
    sweeper = RetentionTask(store, config_state, retention_of(config))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        """Connect the store (refusing a schema behind the code); saved settings and mappings next (so the
        outbox starts with the saved key), then the outbox and the queue-depth sampler; the reverse on stop."""
        await store.open()
        await live.load()
        await mapping_set.sync_ingest()
        await outbound.start()
        queue_depth.start()
        sweeper.start()
        live.start()
        try:
            yield
        finally:
            await live.stop()
            await sweeper.stop()
            await queue_depth.stop()
            await outbound.stop()
            await tracking.fanout.recent.stop()
            await plan_auditor.drain()
            await store.close()

    app = FastAPI(
        title="Antavo Segment webhook (reference receiver)",
        description=docs.API_DESCRIPTION,
        version="1.0.0",
        openapi_tags=docs.TAGS,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    hook_path = definition.request["path"]
    hook_routes = webhook.router(hook_path, docs.webhook_openapi(contract))
    # Innermost of the receiver's middleware: NoStore and the metrics still see every webhook answer.
    app.add_middleware(webhook.DirectWebhook, owner=app, route=hook_routes.routes[0], path=hook_path)
    app.add_middleware(NoStore)
    state = app.state
    state.config, state.definition, state.contract = config, definition, contract
    state.store, state.log, state.service, state.outbound = store, log, service, outbound
    state.customers = Customers(store, service.customer_ids)
    state.sessions = SessionStore(store)
    state.sign_in = SignIn(store, state.sessions, service.api_gate)
    state.user_admin = UserAdmin(store, config_state)
    state.ingest = tracking
    state.config_state, state.settings, state.mappings = config_state, live, mapping_set
    state.history = HistoryService(live, mapping_set)
    state.queue_depth, state.retention = queue_depth, sweeper
    state.pii = pii
    state.verdicts = Verdicts(log, tracking.fanout.duplicates, config_state)
    state.quarantine = Quarantine(tracking.fanout, config_state)
    install_handlers(app)
    page_kit.install_page_denied(app)
    install_not_found(app)
    app.include_router(ingest.router)
    app.include_router(hook_routes)
    for module in (
        logs,
        customers,
        mapping_api,
        messages,
        quarantine,
        quarantine_page,
        overview,
        overview_page,
        health,
        docs,
        pages,
        dashboard,
        tester,
        metrics,
        history,
        settings,
        mappings,
        users_page,
        audit_page,
    ):
        app.include_router(module.router)
    install_metrics(app)
    app.mount(page_kit.STATIC_PATH, page_kit.static_files(), name="static")
    mount_assets(app)
    return app


def store_from_config(config: ReceiverConfig) -> LoyaltyStore:
    """The one place a store is built from the settings."""
    bounds = config.limits
    limits = StoreLimits(
        log_size=config.log_size,
        retention=retention_of(config),  # `store.log_max_age_seconds` is folded in as a cap
        max_messages=config.dedup_max_messages,
        outbox_size=config.outbound.queue_size,
        log_max_bytes=bounds.log_max_bytes,
        log_body_bytes=bounds.log_entry_body_bytes,
        log_anonymous_share=bounds.log_anonymous_share,
        idempotency_max_bytes=bounds.idempotency_max_bytes,
        dedup_max_bytes=bounds.dedup_max_bytes,
        quarantine_size=bounds.quarantine_size,
        quarantine_max_bytes=bounds.quarantine_max_bytes,
    )
    return make_store(
        config.store.url, limits, pool_size=config.store.pool_size, timeout=config.store.connect_timeout_seconds
    )


CONFIG_FILE_ENV = "ANTAVO_CONFIG_FILE"


def create_app_from_env() -> FastAPI:
    """The app as `serve --workers N` starts it in each worker (uvicorn's factory): settings from
    `ANTAVO_CONFIG_FILE` (if set) and the `ANTAVO_*` variables `serve` passes on."""
    import os
    from pathlib import Path

    path = os.environ.get(CONFIG_FILE_ENV)
    return create_app(load_config(Path(path) if path else None))
