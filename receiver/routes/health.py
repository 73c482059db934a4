"""`GET /healthz`: liveness, without authentication, with what this receiver plays."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from receiver.routes.deps import Config, IngestDep, Service
from receiver.web import models

router = APIRouter(tags=["Health"])


@router.get("/healthz", summary="Liveness", response_model=models.Health)
async def healthz(config: Config, ingest: IngestDep, service: Service) -> dict[str, Any]:
    return {
        "status": "ok",
        "stack": config.stack,
        "store": service.store.name,
        "multi_accounts": config.multi_accounts,
        "warnings": service.store.warnings(),
        "details": {"fast_path_failures": ingest.fanout.pipeline.fast_path_failures},
    }
