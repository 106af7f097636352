"""Quotas per account: resumes stored, bytes stored and batches started per hour, each bounded by the
gateway's default (QUOTA_RESUMES, QUOTA_BYTES, QUOTA_BATCHES_PER_HOUR) or by the account's own bound an
operator set (users.quota_*). Past a bound a request is refused with the quota named and the usage
counted: a file over the storage quotas is refused on its own (403 when no file of an upload fits), a
batch over the hourly quota waits (429 with Retry-After). Analysis tokens have their budgets already
(JOB_TOKEN_BUDGET, USER_TOKEN_BUDGET)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.common.errors import Forbidden, TooManyRequests
from services.gateway.repository import Repository

HOUR = timedelta(hours=1)


class QuotaExceeded(Forbidden):
    code = "quota_exceeded"


@dataclass(frozen=True)
class Quotas:
    resumes: int = 100_000
    bytes: int = 50 * 1024**3
    batches_per_hour: int = 300


@dataclass
class Storage:
    """An account's stored resumes and bytes as an upload adds to them, against its quotas."""

    quotas: Quotas
    resumes: int
    bytes: int

    def refusal(self, size: int) -> QuotaExceeded | None:
        if self.resumes + 1 > self.quotas.resumes:
            return QuotaExceeded(
                f"resumes stored: {self.resumes:,} of this account's {self.quotas.resumes:,}"
            )
        if self.bytes + size > self.quotas.bytes:
            return QuotaExceeded(
                f"storage: {self.bytes:,} of this account's {self.quotas.bytes:,} bytes used; "
                f"this file needs {size:,} more"
            )
        return None

    def add(self, size: int) -> None:
        self.resumes += 1
        self.bytes += size


async def quotas_of(r: Repository, owner_id: uuid.UUID, defaults: Quotas) -> Quotas:
    user = await r.user_by_id(owner_id)
    if user is None:
        return defaults
    return Quotas(
        resumes=user.quota_resumes if user.quota_resumes is not None else defaults.resumes,
        bytes=user.quota_bytes if user.quota_bytes is not None else defaults.bytes,
        batches_per_hour=(
            user.quota_batches_per_hour
            if user.quota_batches_per_hour is not None
            else defaults.batches_per_hour
        ),
    )


async def storage_of(r: Repository, owner_id: uuid.UUID, defaults: Quotas) -> Storage:
    resumes, stored = await r.holdings_of(owner_id)
    return Storage(await quotas_of(r, owner_id, defaults), resumes, stored)


async def check_batch(r: Repository, owner_id: uuid.UUID, defaults: Quotas) -> None:
    """Refuse a batch past the hourly quota, saying when the next one may start."""
    quotas = await quotas_of(r, owner_id, defaults)
    now = datetime.now(UTC)
    started = await r.batches_since(owner_id, now - HOUR)
    if len(started) >= quotas.batches_per_hour:
        wait = max(1, int((started[0] + HOUR - now).total_seconds()) + 1)
        raise TooManyRequests(
            f"batches started in the last hour: {len(started)} of this account's {quotas.batches_per_hour}",
            code="quota_exceeded",
            retry_after=wait,
        )
