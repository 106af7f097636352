"""What both transports (REST and gRPC) are handed: the gateway's services and limits, built once in
main."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import grpc
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.common.skills import SkillTaxonomy
from services.gateway.auth import AuthService
from services.gateway.limits import UploadSlots
from services.gateway.pipeline import PipelineService
from services.gateway.ratelimit import RateLimiter
from services.gateway.settings import GatewaySettings


async def _unknown() -> str | None:
    return None


@dataclass
class ApiContext:
    """The gateway's services and limits, as both transports use them."""

    sessions: async_sessionmaker
    auth: AuthService
    pipeline: PipelineService
    readiness: Callable[[], Awaitable[dict[str, str]]]
    max_files_per_upload: int
    max_file_bytes: int
    taxonomy: SkillTaxonomy
    limiter: RateLimiter
    limits: GatewaySettings
    upload_slots: UploadSlots
    # "language_model" or "rule_based" as the analyzer says, None when it cannot be asked (not running).
    analysis_kind: Callable[[], Awaitable[str | None]] = field(default=lambda: _unknown())
    sse_max_seconds: float = 600.0
    # The ranker, asked directly for the counterfactual audit (scores computed, nothing stored).
    ranker: grpc.aio.Channel | None = None
