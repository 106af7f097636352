"""Retention: a closed job keeps its resumes for the account's retention period (RETENTION_DAYS by
default), then they are erased with everything made from them, unless the job is on legal hold. The
sweep runs on the gateway's housekeeping schedule; it is idempotent (an erased job has nothing left to
sweep) and records each job it swept in the audit trail, as the system."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from services.gateway.candidate_rights import BUSY, erase_resumes
from services.gateway.context import ApiContext
from services.gateway.repository import Repository

log = logging.getLogger(__name__)


async def sweep(ctx: ApiContext, now: datetime | None = None) -> int:
    """Erase the resumes of every closed job past its retention; returns how many resumes went."""
    erased = 0
    async with ctx.sessions() as db, db.begin():
        r = Repository(db)
        for job in await r.jobs_past_retention(ctx.limits.retention_days, now or datetime.now(UTC)):
            resumes = await r.resumes_of_job(job.id)
            if any(resume.status in BUSY for resume in resumes):
                continue  # a batch still runs: next time
            done = await erase_resumes(r, ctx.pipeline, resumes)
            erased += done.resumes
            facts = {**done.__dict__, "closed_at": job.closed_at.isoformat() if job.closed_at else None}
            await r.audit(job.owner_id, "retention.swept", "job", job.id, facts)
    if erased:
        log.info("retention: erased %d resumes of closed jobs", erased)
    return erased
