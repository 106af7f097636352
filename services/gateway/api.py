"""The REST API: routes only translate HTTP to the services below and back."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Literal, TypeVar

from fastapi import BackgroundTasks, Depends, FastAPI, File, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from opentelemetry import trace
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.common.errors import (
    BadFile,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ScreeningError,
    TooManyRequests,
    Unauthorized,
)
from services.common.logging import bind_log_context, reset_log_context
from services.common.metrics import HTTP_REQUESTS, HTTP_SECONDS
from services.common.skills import SkillTaxonomy
from services.common.tracing import context_from, trace_id, tracer
from services.gateway import api_keys, operations, schemas
from services.gateway.auth import AuthService
from services.gateway.db import refused_value
from services.gateway.limits import MULTIPART_OVERHEAD, BodyLimit, UploadSlots, is_job_upload
from services.gateway.operations import batch_out, job_out, resume_row
from services.gateway.pipeline import PipelineService, UploadItem
from services.gateway.ratelimit import RateLimiter
from services.gateway.repository import Repository
from services.gateway.settings import GatewaySettings
from services.gateway.tasks_api import add_task_routes

T = TypeVar("T")
log = logging.getLogger(__name__)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _unknown() -> str | None:
    return None


# What the gateway cannot serve without; every other check of /readyz is informational.
READINESS_REQUIRED = ("postgres", "nats")


@dataclass
class ApiContext:
    """What the routes need, built once in main and handed to create_app."""

    sessions: async_sessionmaker
    auth: AuthService
    pipeline: PipelineService
    readiness: Callable[[], Awaitable[dict[str, str]]]
    max_files_per_upload: int
    max_file_bytes: int
    taxonomy: SkillTaxonomy
    limiter: RateLimiter
    limits: GatewaySettings
    upload_slots: UploadSlots
    # "language_model" or "rule_based" as the analyzer says, None when it cannot be asked (not running).
    analysis_kind: Callable[[], Awaitable[str | None]] = field(default=lambda: _unknown())
    sse_max_seconds: float = 600.0


def _error(
    status: int, code: str, message: str, details: object = None, headers: dict | None = None
) -> JSONResponse:
    body: dict = {"error": {"code": code, "message": message}}
    if details is not None:
        body["error"]["details"] = details
    return JSONResponse(status_code=status, content=body, headers=headers)


_bearer = HTTPBearer(auto_error=False)


def _ctx(request: Request) -> ApiContext:
    return request.app.state.ctx  # type: ignore[no-any-return]


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    # The transaction boundary for a request: commit on success, roll back on any error. Routes use it
    # with scope="function", so the commit happens before the response is sent.
    async with _ctx(request).sessions() as db, db.begin():
        yield db


async def _repo(db: Annotated[AsyncSession, Depends(_session, scope="function")]) -> Repository:
    return Repository(db)


_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="an API key (sk_...) from POST /api/keys"
)


async def _current_user(
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
        async with _ctx(request).sessions() as db, db.begin():
            return await api_keys.authenticate_key(Repository(db), secret)
    return await _session_user(request, secret)


async def _session_user(request: Request, token: str) -> uuid.UUID:
    async with _ctx(request).sessions() as db:
        return await _ctx(request).auth.session_user(Repository(db), token)


async def _signed_in_user(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> uuid.UUID:
    """A recruiter signed in with an access token: API keys cannot create or revoke API keys."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("missing bearer token")
    if credentials.credentials.startswith(api_keys.KEY_PREFIX):
        raise Forbidden("API keys are managed by a signed-in recruiter, not with an API key")
    return await _session_user(request, credentials.credentials)


Repo = Annotated[Repository, Depends(_repo)]
UserId = Annotated[uuid.UUID, Depends(_current_user)]
SignedInUserId = Annotated[uuid.UUID, Depends(_signed_in_user)]


def create_app(ctx: ApiContext) -> FastAPI:
    app = FastAPI(
        title="Screener API",
        version="1.0",
        description="Resume screening: upload resumes to a job, start a batch, read the ranked results.",
    )
    app.state.ctx = ctx
    add_task_routes(app)

    @app.middleware("http")
    async def observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # One request id per request: taken from X-Request-ID or made here, logged and sent back.
        request_id = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
        started = time.perf_counter()
        status = 500
        with tracer.start_as_current_span(
            f"{request.method} {request.url.path}",
            context=context_from(request.headers.items()),
            kind=trace.SpanKind.SERVER,
        ) as span:
            token = bind_log_context(request_id=request_id, trace_id=trace_id())
            try:
                response = await call_next(request)
                status = response.status_code
                response.headers["X-Request-ID"] = request_id
                # No response is ever sniffed into another type; nothing about accounts is cached.
                response.headers["X-Content-Type-Options"] = "nosniff"
                if request.url.path.startswith("/api/auth/"):
                    response.headers["Cache-Control"] = "no-store"
                return response
            finally:
                route = getattr(request.scope.get("route"), "path", "unmatched")
                span.update_name(f"{request.method} {route}")
                span.set_attribute("http.route", route)
                span.set_attribute("http.response.status_code", status)
                HTTP_REQUESTS.labels(request.method, route, str(status)).inc()
                HTTP_SECONDS.labels(request.method, route).observe(time.perf_counter() - started)
                reset_log_context(token)

    @app.exception_handler(ScreeningError)
    async def screening_error(_: Request, exc: ScreeningError) -> JSONResponse:
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        return _error(exc.http_status, exc.code, exc.message, exc.details, headers)

    @app.exception_handler(DBAPIError)
    async def database_error(_: Request, exc: DBAPIError) -> JSONResponse:
        if refused_value(exc):
            # The database's own wording stays in the log: every field is bounded by the request
            # schemas, so this is a value no schema foresaw.
            log.warning("a value was refused by the database: %s", str(exc.orig)[:300])
            return _error(422, "invalid_input", "a value in the request cannot be stored")
        log.exception("database error", exc_info=exc)
        return _error(500, "internal", "the request failed; it can be retried")

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"loc": ".".join(str(p) for p in e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        return _error(422, "invalid_input", "the request is not valid", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, "http_error", str(exc.detail))

    # health
    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["health"],
        response_model=schemas.Readiness,
        responses={503: {"model": schemas.Readiness, "description": "a dependency is not ready"}},
    )
    async def readyz() -> JSONResponse:
        """Ready when Postgres and NATS answer. The workers' health is reported beside them but never makes
        the gateway unready: work waits in NATS until a worker takes it."""
        checks = await ctx.readiness()
        ready = all(checks.get(name) == "ok" for name in READINESS_REQUIRED)
        return JSONResponse(
            status_code=200 if ready else 503,
            content={"status": "ready" if ready else "not_ready", "checks": checks},
        )

    # auth
    @app.post(
        "/api/auth/signup",
        status_code=202,
        response_model=schemas.SignupResponse,
        tags=["auth"],
        responses=schemas.error_responses(400, 422, 429),
    )
    async def signup(
        body: schemas.SignupRequest, r: Repo, background: BackgroundTasks, request: Request
    ) -> schemas.SignupResponse:
        """Ask for an account. The answer is the same whether or not the address already has one: a new
        account gets its code by mail, an existing one is never changed and its owner is mailed instead."""
        await ctx.limiter.hit(
            f"signup:client:{_client(request)}", ctx.limits.signup_per_client, 60, "sign-ups"
        )
        user = await ctx.auth.signup(r, body.email, body.password, body.name)
        mail = None
        if user is not None:
            mail = await ctx.auth.new_code(r, user, "verify")
        else:
            # The owner of an existing account is mailed at most once per cooldown, and silently.
            with contextlib.suppress(TooManyRequests):
                await ctx.limiter.hit(
                    f"signup-again:account:{body.email}", 1, ctx.limits.resend_cooldown_seconds
                )
                mail = await ctx.auth.owner_notice(r, body.email)
        if mail is not None:
            # Sent after the response, which is after the commit: the code is valid when it arrives.
            background.add_task(ctx.auth.mailer.deliver, mail)
        return schemas.SignupResponse(
            email=body.email,
            message="if the address can be used, a verification code was sent to it; verify it to sign in",
        )

    async def guess_limits(request: Request, email: str, what: str) -> None:
        """Code guesses, verification and reset together: per client, and per account (the email is
        canonical, so no spelling of it is a new key). Each code also dies after OTP_MAX_ATTEMPTS tries."""
        await ctx.limiter.hit(f"code:client:{_client(request)}", ctx.limits.verify_per_client, 600, what)
        await ctx.limiter.hit(f"verify:account:{email}", ctx.limits.verify_per_account, 600, what)

    async def committing_even_on_error(action: Callable[[Repository], Awaitable[T]]) -> T:
        # A wrong code must still count as an attempt and a reused refresh token must stay revoked,
        # so these calls commit what they wrote whether or not they succeed.
        async with ctx.sessions() as db:
            try:
                return await action(Repository(db))
            finally:
                await db.commit()

    @app.post(
        "/api/auth/verify",
        response_model=schemas.TokenResponse,
        tags=["auth"],
        responses=schemas.error_responses(400, 401, 422, 429),
    )
    async def verify(body: schemas.VerifyRequest, request: Request) -> schemas.TokenResponse:
        await guess_limits(request, body.email, "verification attempts")
        pair = await committing_even_on_error(lambda r: ctx.auth.verify(r, body.email, body.code))
        return schemas.TokenResponse(**pair.__dict__)

    @app.post(
        "/api/auth/resend",
        status_code=202,
        response_model=schemas.Accepted,
        tags=["auth"],
        responses=schemas.error_responses(400, 422, 429),
    )
    async def resend_code(
        body: schemas.EmailRequest, r: Repo, background: BackgroundTasks
    ) -> schemas.Accepted:
        """A new verification code, one per cooldown; the answer never tells whether the account exists."""
        await ctx.limiter.hit(
            f"resend:account:{body.email}", 1, ctx.limits.resend_cooldown_seconds, "code requests"
        )
        mail = await ctx.auth.resend_code(r, body.email)
        if mail is not None:
            background.add_task(ctx.auth.mailer.deliver, mail)
        return schemas.Accepted(message="if the account waits for verification, a new code was sent")

    @app.post(
        "/api/auth/password/forgot",
        status_code=202,
        response_model=schemas.Accepted,
        tags=["auth"],
        responses=schemas.error_responses(400, 422, 429),
    )
    async def forgot_password(
        body: schemas.EmailRequest, r: Repo, background: BackgroundTasks
    ) -> schemas.Accepted:
        await ctx.limiter.hit(
            f"forgot:account:{body.email}", 1, ctx.limits.resend_cooldown_seconds, "reset requests"
        )
        mail = await ctx.auth.request_password_reset(r, body.email)
        if mail is not None:
            background.add_task(ctx.auth.mailer.deliver, mail)
        return schemas.Accepted(message="if the account exists, a reset code was sent")

    @app.post(
        "/api/auth/password/reset",
        response_model=schemas.Accepted,
        tags=["auth"],
        responses=schemas.error_responses(400, 401, 422, 429),
    )
    async def reset_password(body: schemas.PasswordResetRequest, request: Request) -> schemas.Accepted:
        await guess_limits(request, body.email, "reset attempts")

        async def reset(r: Repository) -> None:
            await ctx.auth.reset_password(r, body.email, body.code, body.new_password)

        await committing_even_on_error(reset)
        return schemas.Accepted(message="password changed; every session was signed out")

    @app.post(
        "/api/auth/login",
        response_model=schemas.TokenResponse,
        tags=["auth"],
        responses=schemas.error_responses(400, 401, 403, 422, 429),
    )
    async def login(body: schemas.LoginRequest, r: Repo, request: Request) -> schemas.TokenResponse:
        await ctx.limiter.hit(
            f"login:client:{_client(request)}", ctx.limits.login_per_client, 60, "sign-in attempts"
        )
        await ctx.limiter.hit(
            f"login:account:{body.email}", ctx.limits.login_per_account, 60, "sign-in attempts"
        )
        pair = await ctx.auth.login(r, body.email, body.password)
        return schemas.TokenResponse(**pair.__dict__)

    @app.post(
        "/api/auth/refresh",
        response_model=schemas.TokenResponse,
        tags=["auth"],
        responses=schemas.error_responses(400, 401, 422),
    )
    async def refresh(body: schemas.RefreshRequest) -> schemas.TokenResponse:
        pair = await committing_even_on_error(lambda r: ctx.auth.refresh(r, body.refresh_token))
        return schemas.TokenResponse(**pair.__dict__)

    @app.post(
        "/api/auth/logout", status_code=204, tags=["auth"], responses=schemas.error_responses(400, 401, 422)
    )
    async def logout(body: schemas.RefreshRequest, r: Repo) -> None:
        await ctx.auth.logout(r, body.refresh_token)

    # jobs
    @app.post(
        "/api/jobs",
        status_code=201,
        response_model=schemas.JobOut,
        tags=["jobs"],
        responses=schemas.error_responses(400, 401, 422),
    )
    async def create_job(body: schemas.JobCreate, user_id: UserId, r: Repo) -> schemas.JobOut:
        return job_out(await operations.create_job(r, user_id, body))

    @app.post(
        "/api/jobs/preview",
        response_model=schemas.JobPreview,
        tags=["jobs"],
        responses=schemas.error_responses(401, 422),
    )
    async def preview_job(body: schemas.JobCreate, user_id: UserId) -> schemas.JobPreview:
        """What the ranker will read from this job (skills, years, seniority, education, the weights and
        rules in force), derived without creating anything."""
        return operations.preview_job(body, ctx.taxonomy)

    @app.patch(
        "/api/jobs/{job_id}",
        response_model=schemas.JobOut,
        tags=["jobs"],
        responses=schemas.error_responses(400, 401, 404, 422, 503),
    )
    async def update_job(
        job_id: uuid.UUID, body: schemas.JobUpdate, user_id: UserId, r: Repo
    ) -> schemas.JobOut:
        """Edit a job; when anything that scores changes, every processed resume is re-scored (202-style:
        the returned rescore_batch_id reports progress) from stored data, without re-extraction."""
        job, batch = await operations.update_job(r, ctx.pipeline, user_id, job_id, body)
        out = job_out(job)
        out.rescore_batch_id = batch.id if batch else None
        return out

    @app.get(
        "/api/jobs", response_model=schemas.JobList, tags=["jobs"], responses=schemas.error_responses(401)
    )
    async def list_jobs(user_id: UserId, r: Repo) -> schemas.JobList:
        return schemas.JobList(items=[job_out(job) for job in await r.jobs_for_owner(user_id)])

    @app.get(
        "/api/jobs/{job_id}",
        response_model=schemas.JobOut,
        tags=["jobs"],
        responses=schemas.error_responses(401, 404, 422),
    )
    async def get_job(job_id: uuid.UUID, user_id: UserId, r: Repo) -> schemas.JobOut:
        return job_out(await operations.owned_job(r, user_id, job_id))

    # resumes
    @app.post(
        "/api/jobs/{job_id}/resumes",
        status_code=201,
        response_model=schemas.UploadResponse,
        tags=["resumes"],
        responses=schemas.error_responses(400, 401, 404, 413, 422, 429),
    )
    async def upload_resumes(
        job_id: uuid.UUID,
        user_id: UserId,
        r: Repo,
        request: Request,
        files: Annotated[list[UploadFile], File()],
    ) -> schemas.UploadResponse:
        await ctx.limiter.hit(f"upload:account:{user_id}", ctx.limits.upload_per_account, 60, "uploads")
        await ctx.limiter.hit(
            f"upload:client:{_client(request)}", ctx.limits.upload_per_client, 60, "uploads"
        )
        if len(files) > ctx.max_files_per_upload:
            raise InvalidInput(f"at most {ctx.max_files_per_upload} files per request")
        # The parts are spooled to disk past a megabyte; each is read when its turn comes.
        items = [UploadItem(upload.filename or "resume", upload.file) for upload in files]
        outcomes = await ctx.pipeline.register_files(r, user_id, job_id, items)
        out = []
        for outcome in outcomes:
            if outcome.error is not None:
                out.append(
                    schemas.UploadItemOut(
                        filename=outcome.filename,
                        error={"code": outcome.error.code, "message": outcome.error.message},
                    )
                )
            else:
                assert outcome.resume is not None
                out.append(
                    schemas.UploadItemOut(
                        id=outcome.resume.id,
                        filename=outcome.filename,
                        sha256=outcome.resume.sha256,
                        status=outcome.resume.status,
                        duplicate=outcome.duplicate,
                    )
                )
        if all(item.error for item in out):
            raise BadFile(
                "none of the files can be screened",
                details=[{"filename": i.filename, **(i.error or {})} for i in out],
            )
        return schemas.UploadResponse(items=out)

    @app.get(
        "/api/jobs/{job_id}/resumes",
        response_model=schemas.ResumePage,
        tags=["resumes"],
        responses=schemas.error_responses(401, 404, 422),
    )
    async def list_resumes(
        job_id: uuid.UUID,
        user_id: UserId,
        r: Repo,
        page: Annotated[int, Query(ge=1)] = 1,
        page_size: Annotated[int, Query(ge=1, le=200)] = 50,
        status: Annotated[schemas.ResumeStatus | None, Query()] = None,
        passed: bool | None = None,
        sort: schemas.ResumeSort = "rank",
        min_score: Annotated[float | None, Query(ge=0, le=100)] = None,
        skill: Annotated[str | None, Query(max_length=100, description="a skill the resume lists")] = None,
        q: Annotated[
            str | None, Query(max_length=100, description="text in the name, file name or skills")
        ] = None,
    ) -> schemas.ResumePage:
        query = operations.ResumeQuery(page, page_size, status, passed, sort, min_score, skill, q)
        items, total = await operations.list_resumes(r, ctx.taxonomy, user_id, job_id, query)
        return schemas.ResumePage(items=items, total=total, page=page, page_size=page_size)

    @app.get(
        "/api/jobs/{job_id}/export",
        tags=["jobs"],
        response_class=Response,
        responses={
            **{200: {"content": {"text/csv": {}, "application/json": {}}}},
            **schemas.error_responses(401, 404, 422),
        },
    )
    async def export_job(
        job_id: uuid.UUID, user_id: UserId, r: Repo, format: Literal["csv", "json"] = "csv"
    ) -> Response:
        """The job's whole ranked table, as CSV or JSON."""
        job = await operations.owned_job(r, user_id, job_id)
        rows: list[schemas.ResumeRow] = []
        page = 1
        while True:
            chunk, total = await r.ranked_page(
                job_id, page=page, page_size=200, status=None, passed=None, sort="rank"
            )
            rows += [resume_row(resume, rank, job) for resume, rank in chunk]
            if len(rows) >= total or not chunk:
                break
            page += 1
        if format == "json":
            body = json.dumps(schemas.ranked_document(job.id, job.title, rows))
            return Response(body, media_type="application/json")
        return Response(
            schemas.ranked_csv(rows),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="job-{job.id}.csv"'},
        )

    @app.delete(
        "/api/jobs/{job_id}",
        status_code=204,
        tags=["jobs"],
        responses=schemas.error_responses(401, 404, 409, 422),
    )
    async def delete_job(job_id: uuid.UUID, user_id: UserId, r: Repo) -> None:
        """Delete a job, its resumes, batches and (unless another job holds them) its files."""
        await operations.delete_job(r, ctx.pipeline, user_id, job_id)

    @app.get(
        "/api/resumes/lookup",
        response_model=schemas.IdMatches,
        tags=["resumes"],
        responses=schemas.error_responses(401, 422),
    )
    async def lookup_resume(
        user_id: UserId,
        r: Repo,
        prefix: Annotated[str, Query(min_length=4, max_length=36, pattern=r"^[0-9a-fA-F-]+$")],
    ) -> schemas.IdMatches:
        """Your resumes whose id starts with `prefix` (at most two), for tools that accept short ids."""
        return schemas.IdMatches(ids=await r.resume_ids_starting(user_id, prefix.lower()))

    @app.delete(
        "/api/resumes/{resume_id}",
        status_code=204,
        tags=["resumes"],
        responses=schemas.error_responses(401, 404, 409, 422),
    )
    async def delete_resume(resume_id: uuid.UUID, user_id: UserId, r: Repo) -> None:
        resume = await r.resume_for_owner(resume_id, user_id, lock=True)
        if resume is None:
            raise NotFound("resume not found")
        if resume.status in ("queued", "extracting", "ranking"):
            raise Conflict("the resume is being processed; delete it when it is done")
        await r.delete_resume(resume)
        await r.session.flush()
        if not await r.file_in_use(resume.sha256):
            await ctx.pipeline.delete_file(resume.sha256)

    @app.get(
        "/api/resumes/{resume_id}/file",
        tags=["resumes"],
        response_class=Response,
        responses={**{200: {"content": {"application/pdf": {}}}}, **schemas.error_responses(401, 404, 422)},
    )
    async def resume_file(resume_id: uuid.UUID, user_id: UserId, r: Repo) -> Response:
        """The original file, for its owner only."""
        resume = await r.resume_for_owner(resume_id, user_id)
        if resume is None:
            raise NotFound("resume not found")
        content = await ctx.pipeline.read_file(resume.sha256)
        safe_name = re.sub(r"[^\w.-]", "_", resume.filename) or "resume"
        return Response(
            content,
            media_type=resume.content_type,
            headers={
                "Content-Disposition": f'attachment; filename="{safe_name}"',
                # A file is someone's upload: should a browser render it anyway, it runs nothing and
                # reaches nothing.
                "Content-Security-Policy": "default-src 'none'; sandbox",
                "Cache-Control": "private, no-store",
            },
        )

    @app.get(
        "/api/resumes/{resume_id}",
        response_model=schemas.ResumeDetail,
        tags=["resumes"],
        responses=schemas.error_responses(401, 404, 422),
    )
    async def get_resume(
        resume_id: uuid.UUID,
        user_id: UserId,
        r: Repo,
        reveal: Annotated[
            bool, Query(description="show personal details of a blind-screened resume")
        ] = False,
    ) -> schemas.ResumeDetail:
        return await operations.get_resume(r, user_id, resume_id, reveal=reveal)

    @app.post(
        "/api/resumes/{resume_id}/analysis",
        status_code=202,
        response_model=schemas.AnalysisAccepted,
        tags=["resumes"],
        responses=schemas.error_responses(401, 404, 409, 422, 429),
    )
    async def analyze_resume(resume_id: uuid.UUID, user_id: UserId, r: Repo) -> schemas.AnalysisAccepted:
        resume = await ctx.pipeline.request_analysis(r, user_id, resume_id)
        kind = await ctx.analysis_kind()
        message = {
            "rule_based": operations.RULE_BASED + "; the analysis is written by fixed rules",
            "language_model": "a language model writes the analysis",
        }.get(kind or "", "queued: the analyzer starts when work waits")
        return schemas.AnalysisAccepted(
            resume_id=resume.id,
            analysis_status=resume.analysis_status or "pending",
            analysis_kind=kind,  # type: ignore[arg-type]
            message=message,
        )

    # API keys for scripts and the gRPC API
    @app.post(
        "/api/keys",
        status_code=201,
        response_model=schemas.ApiKeyCreated,
        tags=["api keys"],
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

    @app.get(
        "/api/keys",
        response_model=schemas.ApiKeyList,
        tags=["api keys"],
        responses=schemas.error_responses(401, 403),
    )
    async def list_api_keys(user_id: SignedInUserId, r: Repo) -> schemas.ApiKeyList:
        keys = await api_keys.list_keys(r, user_id)
        return schemas.ApiKeyList(
            items=[schemas.ApiKeyOut.model_validate(k, from_attributes=True) for k in keys]
        )

    @app.delete(
        "/api/keys/{key_id}",
        status_code=204,
        tags=["api keys"],
        responses=schemas.error_responses(401, 403, 404, 422),
    )
    async def revoke_api_key(key_id: uuid.UUID, user_id: SignedInUserId, r: Repo) -> None:
        """Revoke a key: every later call with it is refused."""
        await api_keys.revoke_key(r, user_id, key_id)

    # batches
    @app.post(
        "/api/batches",
        status_code=202,
        response_model=schemas.BatchOut,
        tags=["batches"],
        responses=schemas.error_responses(400, 401, 404, 409, 422, 503),
    )
    async def create_batch(body: schemas.BatchCreate, user_id: UserId, r: Repo) -> schemas.BatchOut:
        batch = await ctx.pipeline.start_batch(r, user_id, body.job_id, body.resume_ids)
        await r.session.refresh(batch)
        return batch_out(batch, ctx.limits.batch_stall_seconds)

    @app.get(
        "/api/batches/{batch_id}/events",
        tags=["batches"],
        response_class=StreamingResponse,
        responses={**{200: {"content": {"text/event-stream": {}}}}, **schemas.error_responses(401, 404, 422)},
    )
    async def batch_events(batch_id: uuid.UUID, user_id: UserId, r: Repo) -> StreamingResponse:
        """Live batch progress as Server-Sent Events: `progress` on every change, `done` at the end."""
        if await r.batch_for_owner(batch_id, user_id) is None:
            raise NotFound("batch not found")

        async def stream() -> AsyncIterator[str]:
            last = None
            deadline = asyncio.get_running_loop().time() + ctx.sse_max_seconds
            while asyncio.get_running_loop().time() < deadline:
                async with ctx.sessions() as db:
                    batch = await Repository(db).batch_for_owner(batch_id, user_id)
                if batch is None:
                    return
                state = batch_out(batch, ctx.limits.batch_stall_seconds).model_dump_json()
                if state != last:
                    last = state
                    yield f"event: progress\ndata: {state}\n\n"
                if batch.status == "done":
                    yield f"event: done\ndata: {state}\n\n"
                    return
                await asyncio.sleep(0.5)

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    @app.get(
        "/api/batches/{batch_id}",
        response_model=schemas.BatchOut,
        tags=["batches"],
        responses=schemas.error_responses(401, 404, 422),
    )
    async def get_batch(batch_id: uuid.UUID, user_id: UserId, r: Repo) -> schemas.BatchOut:
        return batch_out(await operations.owned_batch(r, user_id, batch_id), ctx.limits.batch_stall_seconds)

    def body_limit(method: str, path: str) -> int:
        if is_job_upload(method, path):
            return ctx.max_files_per_upload * ctx.max_file_bytes + MULTIPART_OVERHEAD
        if (method, path) == ("POST", "/upload_files"):
            return ctx.limits.task_max_bytes + MULTIPART_OVERHEAD
        return ctx.limits.max_json_body_bytes

    def is_upload(method: str, path: str) -> bool:
        return is_job_upload(method, path) or (method, path) == ("POST", "/upload_files")

    app.add_middleware(BodyLimit, limit_for=body_limit, is_upload=is_upload, slots=lambda: ctx.upload_slots)
    return app
