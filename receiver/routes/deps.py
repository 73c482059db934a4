"""The routes' dependencies: each reads one piece of the app's state, built by `create_app`.

Routes declare what they use (`service: Service`), so a test can replace any piece with
`app.dependency_overrides[get_service] = ...` without building a whole app by hand. Every
dependency is `async def`: none blocks, and FastAPI runs a plain `def` one in its thread pool,
a hop between threads on every request (measured by `bench/profile_receiver.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from destination.plan.pii import PiiFields
from receiver.config import ReceiverConfig
from receiver.core.contract import WebhookContract
from receiver.core.customers import Customers
from receiver.core.service import WebhookService
from receiver.core.user_admin import UserAdmin
from receiver.errors import unauthorized
from receiver.ingest.replay import Quarantine
from receiver.ingest.service import Ingest
from receiver.ingest.verdicts import Verdicts
from receiver.live.history import HistoryService
from receiver.live.mappings import MappingsService
from receiver.live.settings import SettingsService
from receiver.logs.stored import StoredLog
from receiver.outbound.messages import Outbound
from receiver.outbound.queue_depth import QueueDepthHistory
from receiver.pages.sessions import SessionStore
from receiver.pages.sign_in import SignIn

_bearer = HTTPBearer(auto_error=False, description="The brand API key, as `Authorization: Bearer <key>`.")


def config_of(request: Request) -> ReceiverConfig:
    """The settings, for code that runs outside FastAPI's dependencies (the pages' rendering)."""
    return request.app.state.config


def pii_of(request: Request) -> PiiFields:
    """The tracking plan's personal data as it is now, for the pages' masking (`receiver.pages.pii`)."""
    return request.app.state.pii.current()


async def get_config(request: Request) -> ReceiverConfig:
    return config_of(request)


async def get_contract(request: Request) -> WebhookContract:
    return request.app.state.contract


async def get_service(request: Request) -> WebhookService:
    return request.app.state.service


async def get_ingest(request: Request) -> Ingest:
    return request.app.state.ingest


async def get_customers(request: Request) -> Customers:
    return request.app.state.customers


async def get_log(request: Request) -> StoredLog:
    """The inbound log: one entry per webhook request."""
    return request.app.state.log


async def get_outbound_log(request: Request) -> StoredLog:
    """The outbound log: one entry per message sent to (or refused for) Segment."""
    return request.app.state.outbound.log


async def get_sessions(request: Request) -> SessionStore:
    return request.app.state.sessions


async def get_sign_in(request: Request) -> SignIn:
    """The sign-in form's checks: the API key until the store has a user, then users only."""
    return request.app.state.sign_in


async def get_user_admin(request: Request) -> UserAdmin:
    """Managing the store's users, audited (`receiver.core.user_admin`)."""
    return request.app.state.user_admin


async def get_settings(request: Request) -> SettingsService:
    """The effective module settings (`/settings`): file < saved < environment."""
    return request.app.state.settings


async def get_verdicts(request: Request) -> Verdicts:
    return request.app.state.verdicts


async def get_quarantine(request: Request) -> Quarantine:
    """The messages the tracking plan blocked, and their replay (`receiver.ingest.replay`)."""
    return request.app.state.quarantine


async def get_mappings(request: Request) -> MappingsService:
    """The set of mappings the ingest runs (`/mappings`): files overlaid by saved ones."""
    return request.app.state.mappings


async def get_history(request: Request) -> HistoryService:
    """The saved versions of the settings and the mappings, and their restore (`receiver.live.history`)."""
    return request.app.state.history


@dataclass(frozen=True)
class DashboardSources:
    """What the dashboard reads: the inbound and duplicate logs, the outbound side, the actions, the queue's history."""

    inbound: StoredLog
    duplicates: StoredLog
    outbound: Outbound
    contract: WebhookContract
    queue_depth: QueueDepthHistory


async def get_dashboard_sources(request: Request) -> DashboardSources:
    state = request.app.state
    return DashboardSources(
        state.log, state.ingest.fanout.duplicates, state.outbound, state.contract, state.queue_depth
    )


Config = Annotated[ReceiverConfig, Depends(get_config)]
Contract = Annotated[WebhookContract, Depends(get_contract)]
Service = Annotated[WebhookService, Depends(get_service)]
IngestDep = Annotated[Ingest, Depends(get_ingest)]
CustomersDep = Annotated[Customers, Depends(get_customers)]
Log = Annotated[StoredLog, Depends(get_log)]
OutLog = Annotated[StoredLog, Depends(get_outbound_log)]
Sessions = Annotated[SessionStore, Depends(get_sessions)]
SignInDep = Annotated[SignIn, Depends(get_sign_in)]
Users = Annotated[UserAdmin, Depends(get_user_admin)]
LiveSettings = Annotated[SettingsService, Depends(get_settings)]
MappingSet = Annotated[MappingsService, Depends(get_mappings)]
History = Annotated[HistoryService, Depends(get_history)]
DashboardDep = Annotated[DashboardSources, Depends(get_dashboard_sources)]
VerdictsDep = Annotated[Verdicts, Depends(get_verdicts)]
QuarantineDep = Annotated[Quarantine, Depends(get_quarantine)]


async def require_bearer(
    request: Request,
    service: Service,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """The inspection routes' guard: the brand API key as a Bearer token, compared in constant time.

    An address that failed too often gets 429 before its token is looked at (see `ratelimit`).
    """
    if not service.api_gate.admit(request, credentials.credentials if credentials is not None else None):
        raise unauthorized("Send the brand API key as 'Authorization: Bearer <key>'.", bearer=True)


AUTHED = [Depends(require_bearer)]
BearerToken = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
