"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from screener.contract import schemas
from services.gateway.deps import Ctx

# What the gateway cannot serve without; every other check of /readyz is informational.
READINESS_REQUIRED = ("postgres", "nats")

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    response_model=schemas.Readiness,
    responses={503: {"model": schemas.Readiness, "description": "a dependency is not ready"}},
)
async def readyz(ctx: Ctx) -> JSONResponse:
    """Ready when Postgres and NATS answer. The workers' health is reported beside them but never makes
    the gateway unready: work waits in NATS until a worker takes it."""
    checks = await ctx.readiness()
    ready = all(checks.get(name) == "ok" for name in READINESS_REQUIRED)
    return JSONResponse(
        status_code=200 if ready else 503,
        content={"status": "ready" if ready else "not_ready", "checks": checks},
    )
