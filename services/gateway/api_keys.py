"""API keys for scripts (REST) and the gRPC screening API: shown once, stored as a SHA-256, scoped to an
owner, revocable."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from services.common.errors import NotFound, Unauthorized
from services.gateway import audit
from services.gateway.models import ApiKey
from services.gateway.repository import Repository

KEY_PREFIX = "sk_"
LAST_USED_PRECISION = timedelta(minutes=1)


def key_hash(secret: str) -> str:
    # A key carries 256 random bits, so a plain SHA-256 cannot be brute-forced and keeps lookups indexed.
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_key(r: Repository, owner_id: uuid.UUID, name: str) -> tuple[ApiKey, str]:
    """A new key; the secret is returned once and never stored."""
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(owner_id=owner_id, name=name.strip(), prefix=secret[:10], key_hash=key_hash(secret))
    r.add(key)
    await r.session.flush()
    await r.session.refresh(key)
    await r.audit(owner_id, "key.created", "api_key", key.id, {"name": key.name, "prefix": key.prefix})
    return key, secret


async def list_keys(r: Repository, owner_id: uuid.UUID) -> list[ApiKey]:
    return await r.api_keys_of(owner_id)


async def revoke_key(r: Repository, owner_id: uuid.UUID, key_id: uuid.UUID) -> None:
    key = await r.api_key_of(owner_id, key_id)
    if key is None:
        raise NotFound("API key not found")
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        await r.audit(owner_id, "key.revoked", "api_key", key.id, {"name": key.name, "prefix": key.prefix})


async def authenticate_key(r: Repository, secret: str, client: str = "") -> uuid.UUID:
    """The owner a key acts for (and, for the audit trail, the key they act with); Unauthorized for
    unknown and revoked keys alike."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 100:
        raise Unauthorized("invalid API key")
    key = await r.active_api_key(key_hash(secret))
    if key is None:
        raise Unauthorized("invalid or revoked API key")
    now = datetime.now(UTC)
    # Every call authenticates; last use is written at most once a minute, not on every call.
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_PRECISION:
        key.last_used_at = now
    audit.acting(audit.Actor(key.owner_id, key.id, client))
    return key.owner_id
