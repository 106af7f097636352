"""`python -m services.gateway`: REST API, gRPC health, and the stage-event consumer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import uvicorn
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import async_sessionmaker

from screener.v1 import gateway_pb2, gateway_pb2_grpc
from services.common import healthcheck, jetstream
from services.common.grpc_server import (
    LANGUAGE_MODEL_CAPABILITY,
    GrpcServer,
    ServiceTokenInterceptor,
    install_stop_signals,
)
from services.common.logging import configure_logging
from services.common.metrics import (
    DEAD_LETTERS,
    QUEUE_ACK_PENDING,
    QUEUE_PENDING,
    QUEUE_REDELIVERED,
    serve_metrics,
)
from services.common.skills import load_taxonomy
from services.common.tracing import setup_tracing, shutdown_tracing
from services.common.worker_service import connect_bus, finish
from services.gateway import retention
from services.gateway.api import create_app
from services.gateway.auth import AuthService
from services.gateway.context import ApiContext
from services.gateway.db import make_engine, make_sessionmaker, migrate
from services.gateway.grpc_api import AnalysisCacheServicer, ScreeningServicer
from services.gateway.limits import UploadSlots
from services.gateway.mailer import Mailer
from services.gateway.pipeline import EventApplier, PipelineService
from services.gateway.quotas import Quotas
from services.gateway.ratelimit import RateLimiter
from services.gateway.repository import Repository
from services.gateway.settings import GatewaySettings
from services.gateway.token_tasks import expire_tasks

log = logging.getLogger(__name__)


def http_config(app: Any, settings: GatewaySettings) -> uvicorn.Config:
    """The HTTP server's configuration. Forwarded headers are believed only from FORWARDED_ALLOW_IPS
    (uvicorn on its own would trust 127.0.0.1, or read that variable with "127.0.0.1" for unset)."""
    proxies = settings.forwarded_allow_ips.strip()
    return uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
    )


async def check_grpc_health(channel: grpc.aio.Channel) -> str:
    found = await healthcheck.status_of(channel)
    return "ok" if found == healthcheck.SERVING else found


def worker_channels(settings: GatewaySettings) -> dict[str, grpc.aio.Channel]:
    return {
        name: grpc.aio.insecure_channel(addr)
        for name, addr in (
            ("extractor", settings.extractor_addr),
            ("ranker", settings.ranker_addr),
            ("analyzer", settings.analyzer_addr),
        )
    }


def readiness_check(
    sessions: async_sessionmaker, nc: NatsClient, channels: dict[str, grpc.aio.Channel]
) -> Callable[[], Awaitable[dict[str, str]]]:
    async def readiness() -> dict[str, str]:
        checks: dict[str, str] = {}
        try:
            async with sessions() as db:
                await Repository(db).ping()
            checks["postgres"] = "ok"
        except Exception as exc:
            checks["postgres"] = f"unreachable: {type(exc).__name__}"
        checks["nats"] = "ok" if nc.is_connected else "disconnected"
        # The workers are reported, not required: work waits for them in NATS, and the analyzer has no
        # replica at all while nothing waits (KEDA scales it to zero).
        results = await asyncio.gather(*(check_grpc_health(ch) for ch in channels.values()))
        checks.update(zip(channels, results, strict=True))
        return checks

    return readiness


def analysis_kind_check(analyzer: grpc.aio.Channel) -> Callable[[], Awaitable[str | None]]:
    async def analysis_kind() -> str | None:
        """Ask the analyzer whether it has a language model: SERVING for the capability, unknown name for
        the rule-based analysis, no answer while no analyzer runs."""
        found = await healthcheck.status_of(analyzer, LANGUAGE_MODEL_CAPABILITY)
        return {healthcheck.SERVING: "language_model", "unknown service": "rule_based"}.get(found)

    return analysis_kind


def grpc_servers(settings: GatewaySettings, ctx: ApiContext) -> tuple[GrpcServer, GrpcServer]:
    """The public API (what platform teams call with their API keys) and the internal one (the analysis
    cache, for the analyzer alone): they never share a listener."""
    cache_servicer = AnalysisCacheServicer(ctx.sessions)
    screening_servicer = ScreeningServicer(ctx)
    public = GrpcServer(
        settings.grpc_host,
        settings.grpc_port,
        [gateway_pb2.DESCRIPTOR.services_by_name["ScreeningService"].full_name],
        [lambda server: gateway_pb2_grpc.add_ScreeningServiceServicer_to_server(screening_servicer, server)],
        metrics_name="gateway",
    )
    internal = GrpcServer(
        settings.grpc_host,
        settings.internal_grpc_port,
        [gateway_pb2.DESCRIPTOR.services_by_name["AnalysisCacheService"].full_name],
        [lambda server: gateway_pb2_grpc.add_AnalysisCacheServiceServicer_to_server(cache_servicer, server)],
        metrics_name="gateway",
        interceptors=[ServiceTokenInterceptor(settings.internal_api_token)],
    )
    return public, internal


async def every(
    stop: asyncio.Event, seconds: float, action: Callable[[], Awaitable[None]], what: str
) -> None:
    """Run `action` every `seconds` until stopped; a failure is logged and the next round comes."""
    while not stop.is_set():
        try:
            await action()
        except Exception as exc:
            log.warning("%s failed: %s", what, exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)


def queue_watcher(js: JetStreamContext) -> Callable[[], Awaitable[None]]:
    async def watch() -> None:
        # Queue depth per consumer and the dead-letter count, for dashboards and alerts.
        for durable, (stream, _) in jetstream.CONSUMERS.items():
            info = await js.consumer_info(stream, durable)
            QUEUE_PENDING.labels(durable).set(info.num_pending or 0)
            QUEUE_ACK_PENDING.labels(durable).set(info.num_ack_pending or 0)
            QUEUE_REDELIVERED.labels(durable).set(info.num_redelivered or 0)
        DEAD_LETTERS.set((await js.stream_info(jetstream.DEAD_STREAM)).state.messages)

    return watch


def task_sweeper(ctx: ApiContext) -> Callable[[], Awaitable[None]]:
    """Housekeeping on TASK_SWEEP_SECONDS: expired task-API tasks, then resumes past their retention."""

    async def sweep() -> None:
        expired = await expire_tasks(ctx)
        if expired:
            log.info("expired %d tasks", expired)
        await retention.sweep(ctx)

    return sweep


def api_context(
    settings: GatewaySettings,
    sessions: async_sessionmaker,
    pipeline: PipelineService,
    readiness: Callable[[], Awaitable[dict[str, str]]],
    channels: dict[str, grpc.aio.Channel],
) -> ApiContext:
    return ApiContext(
        sessions=sessions,
        auth=AuthService(settings, Mailer(settings.smtp_url, settings.smtp_from)),
        pipeline=pipeline,
        readiness=readiness,
        max_files_per_upload=settings.max_files_per_upload,
        max_file_bytes=settings.max_file_bytes,
        taxonomy=load_taxonomy(),
        limiter=RateLimiter(sessions),
        limits=settings,
        upload_slots=UploadSlots(settings.upload_slots, settings.upload_slot_wait_seconds),
        analysis_kind=analysis_kind_check(channels["analyzer"]),
        ranker=channels["ranker"],
    )


async def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level, settings.log_json)
    setup_tracing("gateway")
    stop = asyncio.Event()
    install_stop_signals(stop)

    engine = make_engine(settings.sqlalchemy_url)
    await migrate(engine)
    sessions = make_sessionmaker(engine)
    nc, js, store = await connect_bus(settings, "gateway")
    pipeline = PipelineService(
        sessions,
        js,
        store,
        max_file_bytes=settings.max_file_bytes,
        job_token_budget=settings.job_token_budget,
        user_token_budget=settings.user_token_budget,
        max_queued_work=settings.max_queued_work,
        dispatch_window=settings.dispatch_window,
        quotas=Quotas(settings.quota_resumes, settings.quota_bytes, settings.quota_batches_per_hour),
    )
    applier = EventApplier(sessions, pipeline)
    channels = worker_channels(settings)
    ctx = api_context(settings, sessions, pipeline, readiness_check(sessions, nc, channels), channels)
    app = create_app(ctx, settings.console_dir)
    grpc_server, internal_server = grpc_servers(settings, ctx)
    await grpc_server.start()
    await internal_server.start()
    serve_metrics(settings.metrics_port, settings.metrics_host)
    worker = jetstream.PullWorker(
        js,
        "gateway",
        applier,
        give_up=applier.give_up,
        batch_size=settings.event_batch_size,
        concurrency=settings.event_concurrency,
        ack_wait_seconds=settings.ack_wait_seconds,
        max_deliver=settings.max_deliver,
    )
    consumer = asyncio.create_task(worker.run(stop, grace_seconds=settings.shutdown_grace_seconds))
    expiry = asyncio.create_task(every(stop, settings.task_sweep_seconds, task_sweeper(ctx), "task expiry"))
    queue_watch = asyncio.create_task(
        every(stop, settings.queue_watch_seconds, queue_watcher(js), "queue watch")
    )
    dispatcher = asyncio.create_task(pipeline.run_dispatcher(stop))
    http = uvicorn.Server(http_config(app, settings))
    # The gateway handles SIGTERM itself (stop event); uvicorn must not capture and re-raise it.
    http.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    serving = asyncio.create_task(http.serve())
    log.info("gateway ready: http://%s:%d", settings.http_host, settings.http_port)
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({serving, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stop.set()
    http.should_exit = True
    expiry.cancel()
    queue_watch.cancel()
    log.info("gateway stopping (at most %.0f s)", settings.shutdown_grace_seconds)
    await finish(
        settings.shutdown_grace_seconds,
        [
            serving,
            consumer,
            dispatcher,
            asyncio.create_task(grpc_server.stop(settings.shutdown_grace_seconds)),
            asyncio.create_task(internal_server.stop(settings.shutdown_grace_seconds)),
        ],
    )
    for channel in channels.values():
        await channel.close()
    with contextlib.suppress(Exception):
        await nc.drain()
    await engine.dispose()
    shutdown_tracing()
    log.info("gateway stopped")


if __name__ == "__main__":
    asyncio.run(main())
