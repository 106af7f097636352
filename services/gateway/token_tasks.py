"""The task-token API's service: a task is a hidden owner with one job, so its files run through the
same pipeline as a recruiter's. Its token (tsk_...) authorizes that task and nothing else; a task expires
with its files after TASK_TTL_SECONDS."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from services.common.errors import InvalidInput, TooLarge, Unauthorized
from services.gateway.context import ApiContext
from services.gateway.models import Batch, Resume, Task
from services.gateway.pipeline import UploadItem, UploadOutcome, job_content_hash
from services.gateway.repository import Repository

TOKEN_PREFIX = "tsk_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_task(r: Repository, ttl_seconds: int) -> tuple[Task, str]:
    """A new task and its token (shown once; only its hash is stored)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(seconds=ttl_seconds)
    return await r.create_task(uuid.uuid4(), _hash(token), expires), token


async def authenticate(r: Repository, token: str | None) -> Task:
    if not token or not token.startswith(TOKEN_PREFIX):
        raise Unauthorized("a task token is required")
    task = await r.task_by_token_hash(_hash(token))
    if task is None or task.expires_at < datetime.now(UTC):
        raise Unauthorized("unknown or expired task token")
    return task


async def add_files(
    ctx: ApiContext, r: Repository, task: Task, items: list[UploadItem], sizes: int
) -> list[UploadOutcome]:
    """Files for the task: at most TASK_MAX_FILES and TASK_MAX_BYTES over every call."""
    held, held_bytes = await r.job_holdings(task.job_id)
    if held + len(items) > ctx.limits.task_max_files:
        raise InvalidInput(f"a task holds at most {ctx.limits.task_max_files} files ({held} so far)")
    if held_bytes + sizes > ctx.limits.task_max_bytes:
        raise TooLarge(f"a task holds at most {ctx.limits.task_max_bytes:,} bytes of files")
    return await ctx.pipeline.register_files(r, task.user_id, task.job_id, items)


async def start(ctx: ApiContext, r: Repository, task: Task, role: str, description: str) -> Batch:
    """Attach the role and description and screen every file: new files are screened, files screened
    before are re-scored against the new role."""
    job = await r.job_for_owner(task.job_id, task.user_id, lock=True)
    assert job is not None
    job.title, job.description = role, description
    job.content_hash = job_content_hash(job.title, job.description, [], [], 0)
    batch: Batch | None
    if await r.resumes_for_batch(job.id, None):
        batch = await ctx.pipeline.start_batch(r, task.user_id, job.id, None)
    else:
        batch = await ctx.pipeline.rescore_job(r, job)
    if batch is None:
        raise InvalidInput("upload files with /upload_files first")
    stored = await r.task(task.id)
    assert stored is not None
    stored.batch_id = task.batch_id = batch.id
    return batch


async def status(r: Repository, task: Task) -> tuple[str, list[dict[str, Any]]]:
    batch = await r.batch(task.batch_id) if task.batch_id else None
    resumes = await r.job_resumes(task.job_id)
    return ("not_started" if batch is None else batch.status), task_results(resumes)


def _item_scores(ranking: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [
        {"label": i.get("label", ""), "score": i.get("score", 0.0)}
        for i in ranking.get("items", [])
        if i.get("kind") == kind
    ]


def task_results(resumes: list[Resume]) -> list[dict[str, Any]]:
    """Per resume: its structured details and relevance scores for projects, experiences and overall."""
    out = []
    for resume in resumes:
        ranking = resume.ranking or {}
        parsed = dict(resume.parsed or {})
        parsed.pop("full_text", None)
        parsed.pop("sections", None)
        out.append(
            {
                "resume_id": str(resume.id),
                "filename": resume.filename,
                "status": resume.status,
                "failure_reason": resume.failure_reason,
                "details": parsed or None,
                "relevance": {
                    "overall": resume.final_score,
                    "experiences": _item_scores(ranking, "experience"),
                    "projects": _item_scores(ranking, "project"),
                },
                "passed": resume.passed,
                "reasons": ranking.get("reasons", []),
            }
        )
    return sorted(out, key=lambda r: -(r["relevance"]["overall"] or -1))


async def expire_tasks(ctx: ApiContext) -> int:
    """Delete expired tasks with their hidden owner, job, resumes and files."""
    async with ctx.sessions() as db, db.begin():
        r = Repository(db)
        count, shas = await r.delete_expired_tasks(datetime.now(UTC))
        for sha256 in set(shas):
            if not await r.file_in_use(sha256):
                await ctx.pipeline.delete_file(sha256)
    return count
