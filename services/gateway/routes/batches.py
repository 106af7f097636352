"""Batches: start one, read its progress, or follow it live as Server-Sent Events."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from screener.contract import schemas
from services.common.errors import NotFound
from services.gateway import operations
from services.gateway.deps import Ctx, Repo, UserId
from services.gateway.routes.presenters import batch_out

router = APIRouter(tags=["batches"])


@router.post(
    "/api/batches",
    status_code=202,
    response_model=schemas.BatchOut,
    responses=schemas.error_responses(400, 401, 404, 409, 422, 503),
)
async def create_batch(ctx: Ctx, body: schemas.BatchCreate, user_id: UserId, r: Repo) -> schemas.BatchOut:
    batch = await ctx.pipeline.start_batch(r, user_id, body.job_id, body.resume_ids)
    await r.session.refresh(batch)
    return batch_out(batch, ctx.limits.batch_stall_seconds)


@router.get(
    "/api/batches/{batch_id}/events",
    response_class=StreamingResponse,
    responses={**{200: {"content": {"text/event-stream": {}}}}, **schemas.error_responses(401, 404, 422)},
)
async def batch_events(ctx: Ctx, batch_id: uuid.UUID, user_id: UserId, r: Repo) -> StreamingResponse:
    """Live batch progress as Server-Sent Events: `progress` on every change, `done` at the end."""
    if await r.batch_for_owner(batch_id, user_id) is None:
        raise NotFound("batch not found")

    async def stream() -> AsyncIterator[str]:
        last = None
        updates = operations.watch_batch(
            ctx.sessions,
            user_id,
            batch_id,
            stall_seconds=ctx.limits.batch_stall_seconds,
            max_seconds=ctx.sse_max_seconds,
            outcomes=False,
        )
        with contextlib.suppress(NotFound):  # deleted while followed: the stream ends
            async for update in updates:
                state = batch_out(update.batch, ctx.limits.batch_stall_seconds).model_dump_json()
                if state != last:
                    last = state
                    yield f"event: progress\ndata: {state}\n\n"
                if update.batch.status == "done":
                    yield f"event: done\ndata: {state}\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.get(
    "/api/batches/{batch_id}",
    response_model=schemas.BatchOut,
    responses=schemas.error_responses(401, 404, 422),
)
async def get_batch(ctx: Ctx, batch_id: uuid.UUID, user_id: UserId, r: Repo) -> schemas.BatchOut:
    return batch_out(await operations.owned_batch(r, user_id, batch_id), ctx.limits.batch_stall_seconds)
