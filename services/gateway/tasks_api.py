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
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, File, Request, UploadFile
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from services.common.errors import InvalidInput, TooLarge, Unauthorized
from services.gateway.models import Batch, Job, Resume, Task, User
from services.gateway.pipeline import UploadItem, job_content_hash
from services.gateway.repository import Repository
from services.gateway.schemas import error_responses

TOKEN_PREFIX = "tsk_"
_bearer = HTTPBearer(auto_error=False)


class ProcessRequest(BaseModel):
    role: str = Field(min_length=1, max_length=300)
    job_description: str = Field(default="", max_length=50_000)
    wait_seconds: float = Field(default=60, ge=0, le=300, description="how long to wait for the results")


class TaskCreated(BaseModel):
    task_id: uuid.UUID
    token: str = Field(description="send as `Authorization: Bearer <token>`; shown only here")
    expires_at: datetime


class TaskFile(BaseModel):
    resume_id: uuid.UUID | None = None
    filename: str
    duplicate: bool = False
    error: dict[str, str] | None = None


class TaskUpload(BaseModel):
    task_id: uuid.UUID
    files: list[TaskFile]


class ItemScore(BaseModel):
    label: str
    score: float


class Relevance(BaseModel):
    overall: float | None = Field(description="0-100; empty until the resume is ranked")
    experiences: list[ItemScore]
    projects: list[ItemScore]


class TaskResult(BaseModel):
    resume_id: uuid.UUID
    filename: str
    status: str
    failure_reason: str | None
    details: dict[str, Any] | None = Field(description="the structured resume")
    relevance: Relevance
    passed: bool | None
    reasons: list[str]


class TaskStatus(BaseModel):
    task_id: uuid.UUID
    status: Literal["not_started", "running", "done"]
    results: list[TaskResult]
    poll: str | None = Field(default=None, description="where to poll while the task still runs")


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


async def current_task(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> tuple[Task, Any]:
    if credentials is None or not credentials.credentials.startswith(TOKEN_PREFIX):
        raise Unauthorized("a task token is required")
    ctx = request.app.state.ctx
    async with ctx.sessions() as db:
        task = await db.scalar(select(Task).where(Task.token_hash == _hash(credentials.credentials)))
    if task is None or task.expires_at < datetime.now(UTC):
        raise Unauthorized("unknown or expired task token")
    return task, ctx


CurrentTask = Annotated[tuple[Task, Any], Depends(current_task)]


def add_task_routes(app: FastAPI) -> None:
    token_errors = error_responses(400, 401, 413, 422, 429, 503)

    @app.post(
        "/create_task",
        status_code=201,
        response_model=TaskCreated,
        tags=["task token API"],
        responses=error_responses(429),
    )
    async def create_task(request: Request) -> TaskCreated:
        """A new task and its token; the token is shown once."""
        ctx = request.app.state.ctx
        client = request.client.host if request.client else "unknown"
        await ctx.limiter.hit(
            f"task:client:{client}", ctx.limits.tasks_per_client_per_hour, 3600, "new tasks"
        )
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
        return TaskCreated(task_id=task_id, token=token, expires_at=expires)

    @app.post(
        "/upload_files",
        status_code=201,
        response_model=TaskUpload,
        response_model_exclude_none=True,
        tags=["task token API"],
        responses=token_errors,
    )
    async def upload_files(
        current: CurrentTask, files: Annotated[list[UploadFile], File()], request: Request
    ) -> dict[str, Any]:
        """Files for the task: at most TASK_MAX_FILES of them and TASK_MAX_BYTES in all, over every call."""
        task, ctx = current
        client = request.client.host if request.client else "unknown"
        await ctx.limiter.hit(f"upload:client:{client}", ctx.limits.upload_per_client, 60, "uploads")
        items = [UploadItem(u.filename or "resume", u.file) for u in files]
        async with ctx.sessions() as db, db.begin():
            held = (
                await db.execute(
                    select(func.count(Resume.id), func.coalesce(func.sum(Resume.size_bytes), 0)).where(
                        Resume.job_id == task.job_id
                    )
                )
            ).one()
            adding = sum(u.size or 0 for u in files)
            if held[0] + len(files) > ctx.limits.task_max_files:
                raise InvalidInput(
                    f"a task holds at most {ctx.limits.task_max_files} files ({held[0]} so far)"
                )
            if held[1] + adding > ctx.limits.task_max_bytes:
                raise TooLarge(f"a task holds at most {ctx.limits.task_max_bytes:,} bytes of files")
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

    @app.post(
        "/process_task",
        response_model=TaskStatus,
        tags=["task token API"],
        responses={
            202: {"model": TaskStatus, "description": "not done within wait_seconds; poll `poll`"},
            **token_errors,
        },
    )
    async def process_task(current: CurrentTask, body: ProcessRequest) -> JSONResponse:
        """Attach the role and description, screen every uploaded file, and wait for the results a while."""
        task, ctx = current
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

    @app.get(
        "/task_status", response_model=TaskStatus, tags=["task token API"], responses=error_responses(401)
    )
    async def task_status(current: CurrentTask) -> dict[str, Any]:
        task, ctx = current
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
