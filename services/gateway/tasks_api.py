"""The task-token API for quick scripted use without an account.

POST /create_task gives a task id and a token; the token (Authorization: Bearer tsk_...) authorizes
that task's /upload_files, /process_task and /task_status and nothing else. Underneath, a task is a
hidden owner with one job, so it runs through the same pipeline as the recruiter API. A task expires
with its files after TASK_TTL_SECONDS.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import FastAPI, File, Request, UploadFile
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy import select

from services.common.errors import InvalidInput, Unauthorized
from services.gateway.models import Batch, Job, Resume, Task, User
from services.gateway.pipeline import UploadItem, job_content_hash
from services.gateway.repository import Repository

TOKEN_PREFIX = "tsk_"
_bearer = HTTPBearer(auto_error=False)


class ProcessRequest(BaseModel):
    role: str = Field(min_length=1, max_length=300)
    job_description: str = Field(default="", max_length=50_000)
    wait_seconds: float = Field(default=60, ge=0, le=300, description="how long to wait for the results")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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


def add_task_routes(app: FastAPI) -> None:
    async def current_task(request: Request) -> tuple[Task, Any]:
        credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
        if credentials is None or not credentials.credentials.startswith(TOKEN_PREFIX):
            raise Unauthorized("a task token is required")
        ctx = request.app.state.ctx
        async with ctx.sessions() as db:
            task = await db.scalar(select(Task).where(Task.token_hash == _hash(credentials.credentials)))
        if task is None or task.expires_at < datetime.now(UTC):
            raise Unauthorized("unknown or expired task token")
        return task, ctx

    @app.post("/create_task", status_code=201, tags=["task token API"])
    async def create_task(request: Request) -> dict[str, Any]:
        """A new task and its token; the token is shown once."""
        ctx = request.app.state.ctx
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        task_id = uuid.uuid4()
        expires = datetime.now(UTC) + timedelta(seconds=ctx.limits.task_ttl_seconds)
        async with ctx.sessions() as db, db.begin():
            owner = User(
                email=f"task-{task_id}@tasks.screener.invalid", name="task", password_hash="!", verified=False
            )
            db.add(owner)
            await db.flush()
            job = Job(
                owner_id=owner.id,
                title="Task",
                description="",
                required_skills=[],
                preferred_skills=[],
                min_years_experience=0,
                content_hash="",
                total_resumes=0,
                completed_resumes=0,
                failed_resumes=0,
            )
            db.add(job)
            await db.flush()
            db.add(
                Task(id=task_id, token_hash=_hash(token), user_id=owner.id, job_id=job.id, expires_at=expires)
            )
        return {"task_id": str(task_id), "token": token, "expires_at": expires.isoformat()}

    @app.post("/upload_files", status_code=201, tags=["task token API"])
    async def upload_files(request: Request, files: Annotated[list[UploadFile], File()]) -> dict[str, Any]:
        task, ctx = await current_task(request)
        items = [UploadItem(u.filename or "resume", await u.read(ctx.max_file_bytes + 1)) for u in files]
        async with ctx.sessions() as db, db.begin():
            outcomes = await ctx.pipeline.register_files(Repository(db), task.user_id, task.job_id, items)
        out = [
            {"filename": o.filename, "error": {"code": o.error.code, "message": o.error.message}}
            if o.error
            else {"resume_id": str(o.resume.id), "filename": o.filename, "duplicate": o.duplicate}
            for o in outcomes
        ]
        if all("error" in item for item in out):
            raise InvalidInput("none of the files can be screened", details=out)
        return {"task_id": str(task.id), "files": out}

    async def _status(ctx: Any, task: Task) -> tuple[str, list[dict[str, Any]]]:
        async with ctx.sessions() as db:
            batch = await db.get(Batch, task.batch_id) if task.batch_id else None
            resumes = list(await db.scalars(select(Resume).where(Resume.job_id == task.job_id)))
        status = "not_started" if batch is None else batch.status
        return status, task_results(resumes)

    @app.post("/process_task", tags=["task token API"])
    async def process_task(request: Request, body: ProcessRequest) -> JSONResponse:
        """Attach the role and description, screen every uploaded file, and wait for the results a while."""
        task, ctx = await current_task(request)
        async with ctx.sessions() as db, db.begin():
            repo = Repository(db)
            job = await repo.job_for_owner(task.job_id, task.user_id, lock=True)
            assert job is not None
            job.title, job.description = body.role, body.job_description
            job.content_hash = job_content_hash(job.title, job.description, [], [], 0)
            # New files are screened; files screened before are re-scored against the new role.
            if await repo.resumes_for_batch(job.id, None):
                batch = await ctx.pipeline.start_batch(repo, task.user_id, job.id, None)
            else:
                batch = await ctx.pipeline.rescore_job(repo, job)
            if batch is None:
                raise InvalidInput("upload files with /upload_files first")
            stored = await db.get(Task, task.id)
            assert stored is not None
            stored.batch_id = task.batch_id = batch.id
        deadline = asyncio.get_running_loop().time() + body.wait_seconds
        while True:
            status, results = await _status(ctx, task)
            if status == "done" or asyncio.get_running_loop().time() >= deadline:
                break
            await asyncio.sleep(0.5)
        content = {"task_id": str(task.id), "status": status, "results": results}
        if status != "done":
            content["poll"] = "/task_status"
        return JSONResponse(content, status_code=200 if status == "done" else 202)

    @app.get("/task_status", tags=["task token API"])
    async def task_status(request: Request) -> dict[str, Any]:
        task, ctx = await current_task(request)
        status, results = await _status(ctx, task)
        return {"task_id": str(task.id), "status": status, "results": results}


async def expire_tasks(ctx: Any) -> int:
    """Delete expired tasks with their hidden owner, job, resumes and files."""
    async with ctx.sessions() as db, db.begin():
        expired = list(
            await db.scalars(select(Task).where(Task.expires_at < datetime.now(UTC)).with_for_update())
        )
        shas: list[str] = []
        for task in expired:
            repo = Repository(db)
            job = await db.get(Job, task.job_id)
            if job is not None:
                shas += await repo.delete_job(job)
            owner = await db.get(User, task.user_id)
            await db.delete(task)
            if owner is not None:
                await db.delete(owner)
        await db.flush()
        for sha256 in set(shas):
            if not await Repository(db).file_in_use(sha256):
                await ctx.pipeline.delete_file(sha256)
    return len(expired)
