"""The task-token API for quick scripted use without an account: POST /create_task gives a task id and
a token; the token (Authorization: Bearer tsk_...) authorizes that task's /upload_files, /process_task
and /task_status and nothing else."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from screener.contract.schemas import error_responses
from services.common.errors import InvalidInput
from services.gateway import operations, token_tasks
from services.gateway.deps import Ctx, client_host
from services.gateway.models import Task
from services.gateway.notice import notice_for
from services.gateway.pipeline import UploadItem, UploadOutcome
from services.gateway.repository import Repository
from services.gateway.routes.presenters import upload_item

router = APIRouter(tags=["task token API"])
_bearer = HTTPBearer(auto_error=False)
_TOKEN_ERRORS = error_responses(400, 401, 413, 422, 429, 503)


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
    notice: str = Field(default="", description="the notice to candidates: what the tool assesses and uses")


async def _current_task(
    ctx: Ctx, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Task:
    async with ctx.sessions() as db:
        return await token_tasks.authenticate(
            Repository(db), credentials.credentials if credentials else None
        )


CurrentTask = Annotated[Task, Depends(_current_task)]


@router.post("/create_task", status_code=201, response_model=TaskCreated, responses=error_responses(429))
async def create_task(ctx: Ctx, request: Request) -> TaskCreated:
    """A new task and its token; the token is shown once."""
    await ctx.limiter.hit(
        f"task:client:{client_host(request)}", ctx.limits.tasks_per_client_per_hour, 3600, "new tasks"
    )
    async with ctx.sessions() as db, db.begin():
        task, token = await token_tasks.create_task(Repository(db), ctx.limits.task_ttl_seconds)
    return TaskCreated(task_id=task.id, token=token, expires_at=task.expires_at)


@router.post(
    "/upload_files",
    status_code=201,
    response_model=TaskUpload,
    response_model_exclude_none=True,
    responses=_TOKEN_ERRORS,
)
async def upload_files(
    ctx: Ctx, task: CurrentTask, files: Annotated[list[UploadFile], File()], request: Request
) -> dict[str, Any]:
    """Files for the task: at most TASK_MAX_FILES of them and TASK_MAX_BYTES in all, over every call."""
    await ctx.limiter.hit(
        f"upload:client:{client_host(request)}", ctx.limits.upload_per_client, 60, "uploads"
    )
    items = [UploadItem(u.filename or "resume", u.file) for u in files]
    async with ctx.sessions() as db, db.begin():
        outcomes = await token_tasks.add_files(
            ctx, Repository(db), task, items, sum(u.size or 0 for u in files)
        )
    out = [_file_out(o) for o in outcomes]
    if all("error" in item for item in out):
        raise InvalidInput("none of the files can be screened", details=out)
    return {"task_id": str(task.id), "files": out}


def _file_out(outcome: UploadOutcome) -> dict[str, Any]:
    """The recruiter API's answer for the file, in the task API's words (resume_id for id)."""
    item = upload_item(outcome)
    if item.error is not None:
        return {"filename": item.filename, "error": item.error}
    return {"resume_id": str(item.id), "filename": item.filename, "duplicate": item.duplicate}


async def _status(ctx: Ctx, task: Task) -> dict[str, Any]:
    """The task's state, its results, and the notice to the candidates it screens."""
    async with ctx.sessions() as db:
        r = Repository(db)
        status, results = await token_tasks.status(r, task)
        job = await r.job_for_owner(task.job_id, task.user_id)
        notice = notice_for(job, ctx.taxonomy) if job is not None else ""
    return {"task_id": str(task.id), "status": status, "results": results, "notice": notice}


@router.post(
    "/process_task",
    response_model=TaskStatus,
    responses={
        202: {"model": TaskStatus, "description": "not done within wait_seconds; poll `poll`"},
        **_TOKEN_ERRORS,
    },
)
async def process_task(ctx: Ctx, task: CurrentTask, body: ProcessRequest) -> JSONResponse:
    """Attach the role and description, screen every uploaded file, and wait for the results a while."""
    async with ctx.sessions() as db, db.begin():
        batch = await token_tasks.start(ctx, Repository(db), task, body.role, body.job_description)
    updates = operations.watch_batch(
        ctx.sessions,
        task.user_id,
        batch.id,
        stall_seconds=ctx.limits.batch_stall_seconds,
        max_seconds=body.wait_seconds,
        outcomes=False,
    )
    async for _ in updates:  # until the batch is done or the wait is over
        pass
    content = await _status(ctx, task)
    if content["status"] != "done":
        content["poll"] = "/task_status"
    return JSONResponse(content, status_code=200 if content["status"] == "done" else 202)


@router.get("/task_status", response_model=TaskStatus, responses=error_responses(401))
async def task_status(ctx: Ctx, task: CurrentTask) -> dict[str, Any]:
    return await _status(ctx, task)
