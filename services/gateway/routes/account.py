"""The account's own settings and use: how long closed jobs keep their resumes, and its quotas."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from screener.contract import schemas
from services.common.errors import NotFound
from services.gateway import quotas
from services.gateway.deps import Ctx, Repo, SignedInUserId, UserId

router = APIRouter(tags=["account"])


async def _retention(ctx: Ctx, r: Repo, user_id: SignedInUserId) -> schemas.RetentionOut:
    user = await r.user_by_id(user_id)
    if user is None:
        raise NotFound("account not found")
    default = ctx.limits.retention_days
    days = user.retention_days if user.retention_days is not None else default
    return schemas.RetentionOut(
        retention_days=days, default_days=default, custom=user.retention_days is not None
    )


@router.get(
    "/api/account/retention", response_model=schemas.RetentionOut, responses=schemas.error_responses(401)
)
async def read_retention(ctx: Ctx, user_id: SignedInUserId, r: Repo) -> schemas.RetentionOut:
    """How long a closed job keeps its resumes before they are erased (legal hold aside)."""
    return await _retention(ctx, r, user_id)


@router.put(
    "/api/account/retention",
    response_model=schemas.RetentionOut,
    responses=schemas.error_responses(400, 401, 403, 422),
)
async def set_retention(
    ctx: Ctx, body: schemas.Retention, user_id: SignedInUserId, r: Repo
) -> schemas.RetentionOut:
    """Set the account's retention period in days (0 to 3650), or clear it to use the default."""
    user = await r.user_by_id(user_id)
    if user is None:
        raise NotFound("account not found")
    before = user.retention_days
    user.retention_days = body.retention_days
    await r.audit(
        user_id, "retention.changed", "account", user_id, {"from": before, "to": body.retention_days}
    )
    return await _retention(ctx, r, user_id)


@router.get("/api/account/usage", response_model=schemas.AccountUsage, responses=schemas.error_responses(401))
async def read_usage(ctx: Ctx, user_id: UserId, r: Repo) -> schemas.AccountUsage:
    """The account's use of each quota: resumes and bytes stored, batches started in the last hour,
    analysis tokens spent."""
    user = await r.user_by_id(user_id)
    if user is None:
        raise NotFound("account not found")
    storage = await quotas.storage_of(r, user_id, ctx.pipeline.quotas)
    batches = await r.batches_since(user_id, datetime.now(UTC) - quotas.HOUR)
    return schemas.AccountUsage(
        resumes=schemas.QuotaUse(used=storage.resumes, limit=storage.quotas.resumes),
        storage_bytes=schemas.QuotaUse(used=storage.bytes, limit=storage.quotas.bytes),
        batches_last_hour=schemas.QuotaUse(used=len(batches), limit=storage.quotas.batches_per_hour),
        analysis_tokens=schemas.QuotaUse(used=user.tokens_used, limit=ctx.pipeline.user_token_budget),
    )
