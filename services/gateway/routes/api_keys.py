"""API keys for scripts and the gRPC API, managed by a signed-in recruiter."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from screener.contract import schemas
from services.gateway import api_keys
from services.gateway.deps import Repo, SignedInUserId

router = APIRouter(tags=["api keys"])


@router.post(
    "/api/keys",
    status_code=201,
    response_model=schemas.ApiKeyCreated,
    responses=schemas.error_responses(400, 401, 403, 422),
)
async def create_api_key(
    body: schemas.ApiKeyCreate, user_id: SignedInUserId, r: Repo
) -> schemas.ApiKeyCreated:
    """A key acting for this account on the REST API (X-API-Key, or as a Bearer token) and the gRPC
    ScreeningService; the secret is shown only here."""
    key, secret = await api_keys.create_key(r, user_id, body.name)
    return schemas.ApiKeyCreated(
        **schemas.ApiKeyOut.model_validate(key, from_attributes=True).__dict__, key=secret
    )


@router.get(
    "/api/keys",
    response_model=schemas.ApiKeyList,
    responses=schemas.error_responses(401, 403),
)
async def list_api_keys(user_id: SignedInUserId, r: Repo) -> schemas.ApiKeyList:
    keys = await api_keys.list_keys(r, user_id)
    return schemas.ApiKeyList(items=[schemas.ApiKeyOut.model_validate(k, from_attributes=True) for k in keys])


@router.delete(
    "/api/keys/{key_id}",
    status_code=204,
    responses=schemas.error_responses(401, 403, 404, 422),
)
async def revoke_api_key(key_id: uuid.UUID, user_id: SignedInUserId, r: Repo) -> None:
    """Revoke a key: every later call with it is refused."""
    await api_keys.revoke_key(r, user_id, key_id)
