"""`python -m services.gateway`: REST API, gRPC health, and the stage-event consumer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import grpc
import uvicorn
from sqlalchemy import text

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
from services.gateway.api import create_app
from services.gateway.auth import AuthService
from services.gateway.context import ApiContext
from services.gateway.db import make_engine, make_sessionmaker, migrate
from services.gateway.grpc_api import AnalysisCacheServicer, ScreeningServicer
from services.gateway.limits import UploadSlots
from services.gateway.mailer import Mailer
from services.gateway.pipeline import EventApplier, PipelineService
from services.gateway.ratelimit import RateLimiter
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


async def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level, settings.log_json)
    setup_tracing("gateway")
    stop = asyncio.Event()
    install_stop_signals(stop)

    engine = make_engine(settings.sqlalchemy_url)
    await migrate(engine)
    sessions = make_sessionmaker(engine)
    nc = await jetstream.connect(settings.nats_url, name="gateway")
    js = nc.jetstream()
    store = await jetstream.ensure_topology(
        js,
        jetstream.Topology(
            ack_wait_seconds=settings.ack_wait_seconds,
            max_deliver=settings.max_deliver,
            replicas=settings.stream_replicas,
        ),
    )

    pipeline = PipelineService(
        sessions,
        js,
        store,
        max_file_bytes=settings.max_file_bytes,
        job_token_budget=settings.job_token_budget,
        user_token_budget=settings.user_token_budget,
        max_queued_work=settings.max_queued_work,
        dispatch_window=settings.dispatch_window,
    )
    applier = EventApplier(sessions, pipeline)
    channels = {
        name: grpc.aio.insecure_channel(addr)
        for name, addr in (
            ("extractor", settings.extractor_addr),
            ("ranker", settings.ranker_addr),
            ("analyzer", settings.analyzer_addr),
        )
    }

    async def readiness() -> dict[str, str]:
        checks: dict[str, str] = {}
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["postgres"] = "ok"
        except Exception as exc:
            checks["postgres"] = f"unreachable: {type(exc).__name__}"
        checks["nats"] = "ok" if nc.is_connected else "disconnected"
        # The workers are reported, not required: work waits for them in NATS, and the analyzer has no
        # replica at all while nothing waits (KEDA scales it to zero).
        results = await asyncio.gather(*(check_grpc_health(ch) for ch in channels.values()))
        checks.update(zip(channels, results, strict=True))
        return checks

    async def analysis_kind() -> str | None:
        """Ask the analyzer whether it has a language model: SERVING for the capability, unknown name for
        the rule-based analysis, no answer while no analyzer runs."""
        found = await healthcheck.status_of(channels["analyzer"], LANGUAGE_MODEL_CAPABILITY)
        return {healthcheck.SERVING: "language_model", "unknown service": "rule_based"}.get(found)

    app = create_app(
        ApiContext(
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
            analysis_kind=analysis_kind,
        )
    )
    cache_servicer = AnalysisCacheServicer(sessions)
    screening_servicer = ScreeningServicer(app.state.ctx)
    # The public API (what platform teams call with their API keys) and the internal one (the analysis
    # cache, for the analyzer alone) never share a listener.
    grpc_server = GrpcServer(
        settings.grpc_host,
        settings.grpc_port,
        [gateway_pb2.DESCRIPTOR.services_by_name["ScreeningService"].full_name],
        [lambda server: gateway_pb2_grpc.add_ScreeningServiceServicer_to_server(screening_servicer, server)],
        metrics_name="gateway",
    )
    internal_server = GrpcServer(
        settings.grpc_host,
        settings.internal_grpc_port,
        [gateway_pb2.DESCRIPTOR.services_by_name["AnalysisCacheService"].full_name],
        [lambda server: gateway_pb2_grpc.add_AnalysisCacheServiceServicer_to_server(cache_servicer, server)],
        metrics_name="gateway",
        interceptors=[ServiceTokenInterceptor(settings.internal_api_token)],
    )
    await grpc_server.start()
    await internal_server.start()
    serve_metrics(settings.metrics_port, settings.metrics_host)
    worker = jetstream.PullWorker(
        js,
        "gateway",
        applier,
        give_up=applier.give_up,
        batch_size=settings.event_batch_size,
        gather_seconds=0.0,
        concurrency=settings.event_concurrency,
        ack_wait_seconds=settings.ack_wait_seconds,
        max_deliver=settings.max_deliver,
    )
    consumer = asyncio.create_task(worker.run(stop, grace_seconds=settings.shutdown_grace_seconds))

    async def expire_tasks_periodically() -> None:
        while not stop.is_set():
            try:
                expired = await expire_tasks(app.state.ctx)
                if expired:
                    log.info("expired %d tasks", expired)
            except Exception as exc:
                log.warning("task expiry failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=settings.task_sweep_seconds)

    expiry = asyncio.create_task(expire_tasks_periodically())

    async def watch_queues() -> None:
        # Queue depth per consumer and the dead-letter count, for dashboards and alerts.
        while not stop.is_set():
            with contextlib.suppress(Exception):
                for durable, (stream, _) in jetstream.CONSUMERS.items():
                    info = await js.consumer_info(stream, durable)
                    QUEUE_PENDING.labels(durable).set(info.num_pending or 0)
                    QUEUE_ACK_PENDING.labels(durable).set(info.num_ack_pending or 0)
                    QUEUE_REDELIVERED.labels(durable).set(info.num_redelivered or 0)
                DEAD_LETTERS.set((await js.stream_info(jetstream.DEAD_STREAM)).state.messages)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=settings.queue_watch_seconds)

    queue_watch = asyncio.create_task(watch_queues())
    dispatcher = asyncio.create_task(pipeline.run_dispatcher(stop))
    http = uvicorn.Server(http_config(app, settings))
    # The gateway handles SIGTERM itself (stop event); uvicorn must not capture and re-raise it.
    http.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    serving = asyncio.create_task(http.serve())
    log.info("gateway ready: http://%s:%d", settings.http_host, settings.http_port)
    stopped = asyncio.create_task(stop.wait())
    await asyncio.wait({serving, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stop.set()
    # Every phase of the shutdown runs at once under one deadline, SHUTDOWN_GRACE_SECONDS from now, so
    # the whole stop fits the pod's terminationGracePeriodSeconds (which the manifests size from it).
    grace = settings.shutdown_grace_seconds
    log.info("gateway stopping (at most %.0f s)", grace)
    http.should_exit = True
    expiry.cancel()
    queue_watch.cancel()
    phases = [
        serving,
        consumer,
        dispatcher,
        asyncio.create_task(grpc_server.stop(grace)),
        asyncio.create_task(internal_server.stop(grace)),
    ]
    _, late = await asyncio.wait(phases, timeout=grace)
    for phase in late:
        phase.cancel()
    await asyncio.gather(*phases, return_exceptions=True)
    for channel in channels.values():
        await channel.close()
    with contextlib.suppress(Exception):
        await nc.drain()
    await engine.dispose()
    shutdown_tracing()
    log.info("gateway stopped")


if __name__ == "__main__":
    asyncio.run(main())
