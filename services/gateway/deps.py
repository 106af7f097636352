"""What the REST routes depend on: the request context, the transaction, and who is calling."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from screener.contract import schemas
from services.common.errors import Forbidden, Unauthorized
from services.gateway import api_keys, audit
from services.gateway.context import ApiContext
from services.gateway.operations import ResumeQuery
from services.gateway.repository import Repository


def client_host(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def context(request: Request) -> ApiContext:
    return request.app.state.ctx  # type: ignore[no-any-return]


Ctx = Annotated[ApiContext, Depends(context)]


async def _session(ctx: Ctx) -> AsyncIterator[AsyncSession]:
    # The transaction boundary for a request: commit on success, roll back on any error. Routes use it
    # with scope="function", so the commit happens before the response is sent.
    async with ctx.sessions() as db, db.begin():
        yield db


async def _repo(db: Annotated[AsyncSession, Depends(_session, scope="function")]) -> Repository:
    return Repository(db)


_bearer = HTTPBearer(auto_error=False)
_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="an API key (sk_...) from POST /api/keys"
)


async def _current_user(
    ctx: Ctx,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
) -> uuid.UUID:
    """The account a call acts for: an access token, or an API key (as X-API-Key or a Bearer token)."""
    bearer = credentials.credentials if credentials and credentials.scheme.lower() == "bearer" else None
    secret = api_key or bearer
    if not secret:
        raise Unauthorized("missing bearer token or API key")
    if secret.startswith(api_keys.KEY_PREFIX):
        async with ctx.sessions() as db, db.begin():
            return await api_keys.authenticate_key(Repository(db), secret, client_host(request))
    user_id = await _session_user(ctx, secret)
    audit.acting(audit.Actor(user_id, None, client_host(request)))
    return user_id


async def _session_user(ctx: ApiContext, token: str) -> uuid.UUID:
    async with ctx.sessions() as db:
        return await ctx.auth.session_user(Repository(db), token)


async def _signed_in_user(
    ctx: Ctx, request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> uuid.UUID:
    """A recruiter signed in with an access token: API keys cannot create or revoke API keys."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("missing bearer token")
    if credentials.credentials.startswith(api_keys.KEY_PREFIX):
        raise Forbidden("API keys are managed by a signed-in recruiter, not with an API key")
    user_id = await _session_user(ctx, credentials.credentials)
    audit.acting(audit.Actor(user_id, None, client_host(request)))
    return user_id


Repo = Annotated[Repository, Depends(_repo)]
UserId = Annotated[uuid.UUID, Depends(_current_user)]
SignedInUserId = Annotated[uuid.UUID, Depends(_signed_in_user)]


def _resume_filters(
    status: Annotated[schemas.ResumeStatus | None, Query()] = None,
    passed: bool | None = None,
    sort: schemas.ResumeSort = "rank",
    min_score: Annotated[float | None, Query(ge=0, le=100)] = None,
    skill: Annotated[str | None, Query(max_length=100, description="a skill the resume lists")] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="text in the name, file name or skills")
    ] = None,
    decision: Annotated[
        schemas.DecisionFilter | None, Query(description="the current decision; none: not decided yet")
    ] = None,
) -> ResumeQuery:
    """The filters and order of a job's ranked table: the same for a page of it and for its export."""
    return ResumeQuery(
        status=status, passed=passed, sort=sort, min_score=min_score, skill=skill, text=q, decision=decision
    )


ResumeFilters = Annotated[ResumeQuery, Depends(_resume_filters)]
