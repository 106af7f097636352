"""The account's own settings: how long closed jobs keep their resumes."""

from __future__ import annotations

from fastapi import APIRouter

from screener.contract import schemas
from services.common.errors import NotFound
from services.gateway.deps import Ctx, Repo, SignedInUserId

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
