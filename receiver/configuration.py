"""Configuring in the browser: wires the saved settings, the Customer ID mapping and the Mappings page into an app.

`install_configuration` builds, on the store's `ConfigState`:
- the `SettingsService` (effective settings; listeners apply a save to the outbox),
- the `CustomerIds` resolver the webhook uses (the external-ID attribute is read from the
  current settings on every request, after the throttled refresh on a shared store),
- the `MappingsService`, which the ingest asks before each call whether the set moved,
and adds the `/settings` and `/mappings` routers. The saved settings are loaded when the app
starts, before anything is served, so a restart on a durable store comes back as it was saved.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from destination.definition.model import load_definition
from receiver.config import ReceiverConfig
from receiver.core.customer_ids import CustomerIds
from receiver.core.service import WebhookService
from receiver.mappings_service import MappingsService
from receiver.outbound.messages import Outbound
from receiver.routes import mappings, settings
from receiver.settings_service import SettingsService
from receiver.store.config_state import ConfigState, MemoryConfigState
from receiver.store.memory import LoyaltyStore


def install_configuration(
    app: FastAPI,
    config: ReceiverConfig,
    store: LoyaltyStore,
    service: WebhookService,
    outbound: Outbound,
    *,
    state: ConfigState | None = None,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Add the configuration pages and the live settings to `app` (its ingest must be installed)."""
    state = state if state is not None else MemoryConfigState()
    live = SettingsService(config, state, os.environ if environ is None else environ)

    async def apply_outbound(current: ReceiverConfig) -> None:
        await outbound.reconfigure(current.outbound)

    live.listeners.append(apply_outbound)

    async def attribute() -> str | None:
        return (await live.refresh()).outbound.user_id_attribute

    profile_fields = service.contract.action_by_type("identify").data_properties
    service.customer_ids = CustomerIds(state, store, attribute, profile_fields)
    ingest = app.state.ingest
    mapping_set = MappingsService(config, state, load_definition(), ingest.fanout)
    ingest.before = mapping_set.sync_ingest
    app.state.config_state, app.state.settings, app.state.mappings = state, live, mapping_set
    app.include_router(settings.router)
    app.include_router(mappings.router)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(running: FastAPI) -> AsyncIterator[Any]:
        await live.load()
        await mapping_set.sync_ingest()
        async with inner(running) as value:
            yield value

    app.router.lifespan_context = lifespan
