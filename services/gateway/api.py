"""The REST application: middleware, error mapping and body limits around the routers of
services.gateway.routes (one module per resource) and the task-token API."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from opentelemetry import trace
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.common.errors import ScreeningError
from services.common.logging import bind_log_context, reset_log_context
from services.common.metrics import HTTP_REQUESTS, HTTP_SECONDS
from services.common.tracing import context_from, trace_id, tracer
from services.gateway.context import ApiContext
from services.gateway.db import refused_value
from services.gateway.limits import MULTIPART_OVERHEAD, BodyLimit, is_job_upload
from services.gateway.routes import (
    account,
    api_keys,
    audit,
    auth,
    batches,
    bias,
    candidates,
    health,
    jobs,
    resumes,
    token_api,
)
from services.gateway.routes.console import Console, mount_console
from services.gateway.routes.docs import mount_docs

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def _error(
    status: int, code: str, message: str, details: object = None, headers: dict | None = None
) -> JSONResponse:
    body: dict = {"error": {"code": code, "message": message}}
    if details is not None:
        body["error"]["details"] = details
    return JSONResponse(status_code=status, content=body, headers=headers)


def create_app(ctx: ApiContext, console_dir: str | None = None) -> FastAPI:
    """The REST app; with `console_dir` (empty: console/dist) it also serves the console at /."""
    app = FastAPI(
        title="Screener API",
        version="1.0",
        description="Resume screening: upload resumes to a job, start a batch, read the ranked results.",
        docs_url=None,  # served from our own copy of Swagger UI (routes/docs.py), not a CDN
        redoc_url=None,
    )
    app.state.ctx = ctx
    mount_docs(app)
    console = mount_console(app, console_dir) if console_dir is not None else None

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

    add_error_handlers(app, console)
    routers = (token_api, health, auth, jobs, resumes, batches, api_keys, audit, bias, candidates, account)
    for module in routers:
        app.include_router(module.router)

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


def add_error_handlers(app: FastAPI, console: Console | None = None) -> None:
    """One error body everywhere: {"error": {"code", "message", "details"}}, with the HTTP status of
    each error kind."""

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
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and console is not None:
            page = console.page_for(request)
            if page is not None:
                return page
        return _error(exc.status_code, "http_error", str(exc.detail))
