"""The shape every worker service shares: a gRPC API plus a JetStream pull worker, one process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from grpc_health.v1 import health_pb2
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.object_store import ObjectStore

from screener.v1 import pipeline_pb2
from services.common import jetstream
from services.common.grpc_server import GrpcServer, Registrar, install_stop_signals
from services.common.metrics import serve_metrics
from services.common.settings import ServiceSettings
from services.common.tracing import setup_tracing, shutdown_tracing

log = logging.getLogger(__name__)

# A stage handler gets the raw message and the JetStream context and publishes its StageEvent.
StageHandler = Callable[[Msg, JetStreamContext], Awaitable[None]]


def failure_event(
    ref: pipeline_pb2.WorkRef, stage: int, worker: str, reason: str, message: str
) -> pipeline_pb2.StageEvent:
    return pipeline_pb2.StageEvent(
        ref=ref,
        stage=stage,  # type: ignore[arg-type]
        worker=worker,
        failed=pipeline_pb2.StageFailure(reason=reason, message=message[:2000]),
    )


@dataclass
class WorkerParts:
    """What a worker service plugs into the shared runtime."""

    grpc_service_names: list[str]
    registrars: list[Registrar]
    handler: StageHandler | None
    give_up: Callable[[Msg, BaseException, JetStreamContext], Awaitable[None]]
    # Set instead of `handler` for work taken in batches: one call per batch, one outcome per message.
    batch_handler: Callable[[list[Msg], JetStreamContext], Awaitable[list[BaseException | None]]] | None = (
        None
    )
    batch_size: int = 1
    batch_gather_seconds: float = 0.5
    # Health-check names answered SERVING beside the services (what this instance can do).
    capabilities: list[str] = field(default_factory=list)
    batch_concurrency: int = 1


async def connect_bus(
    settings: ServiceSettings, name: str
) -> tuple[NatsClient, JetStreamContext, ObjectStore]:
    """The NATS connection, its JetStream context and the resume store, the topology ensured first."""
    nc = await jetstream.connect(settings.nats_url, name=name)
    js = nc.jetstream()
    topology = jetstream.Topology(
        ack_wait_seconds=settings.ack_wait_seconds,
        max_deliver=settings.max_deliver,
        replicas=settings.stream_replicas,
    )
    return nc, js, await jetstream.ensure_topology(js, topology)


async def finish(grace: float, phases: list[asyncio.Task[Any]]) -> None:
    """Every phase of a shutdown at once under one deadline, `grace` seconds from now, so the whole stop
    fits the pod's terminationGracePeriodSeconds (which the manifests size from SHUTDOWN_GRACE_SECONDS)."""
    _, late = await asyncio.wait(phases, timeout=grace)
    for phase in late:
        phase.cancel()
    await asyncio.gather(*phases, return_exceptions=True)


def pull_worker(
    service: str, settings: ServiceSettings, parts: WorkerParts, js: JetStreamContext
) -> jetstream.PullWorker:
    """The worker over `service`'s consumer: batches when the parts take them, else one message at a time."""
    give_up = parts.give_up

    async def on_give_up(msg: Msg, exc: BaseException) -> None:
        await give_up(msg, exc, js)

    if parts.batch_handler is not None:
        batch_handler = parts.batch_handler

        async def handle_batch(msgs: list[Msg]) -> list[BaseException | None]:
            return await batch_handler(msgs, js)

        return jetstream.PullWorker(
            js,
            service,
            handle_batch,
            give_up=on_give_up,
            batch_size=parts.batch_size,
            gather_seconds=parts.batch_gather_seconds,
            concurrency=parts.batch_concurrency,
            ack_wait_seconds=settings.ack_wait_seconds,
            max_deliver=settings.max_deliver,
        )
    handler = parts.handler
    assert handler is not None

    async def handle(msg: Msg) -> None:
        await handler(msg, js)

    return jetstream.PullWorker.each(
        js,
        service,
        handle,
        give_up=on_give_up,
        concurrency=settings.worker_concurrency,
        ack_wait_seconds=settings.ack_wait_seconds,
        max_deliver=settings.max_deliver,
    )


async def run_worker_service(
    *,
    service: str,
    settings: ServiceSettings,
    build: Callable[[JetStreamContext, ObjectStore], WorkerParts],
    stop: asyncio.Event | None = None,
) -> None:
    """Serve gRPC and consume `service`'s work until SIGTERM/SIGINT, then shut down gracefully.

    Order on stop: health goes NOT_SERVING, the pull loop stops fetching and finishes (or hands
    back) in-flight messages, the gRPC server drains, and the NATS connection is drained last so
    every result published by in-flight work is flushed.
    """
    setup_tracing(service)
    stop = stop or asyncio.Event()
    install_stop_signals(stop)
    nc, js, store = await connect_bus(settings, settings.worker_name or service)
    parts = build(js, store)
    server = GrpcServer(
        settings.grpc_host,
        settings.grpc_port,
        parts.grpc_service_names,
        parts.registrars,
        metrics_name=service,
    )
    await server.start()
    for capability in parts.capabilities:
        await server.health.set(capability, health_pb2.HealthCheckResponse.SERVING)
    serve_metrics(settings.metrics_port, settings.metrics_host)
    worker = pull_worker(service, settings, parts, js)
    pull = asyncio.create_task(worker.run(stop, grace_seconds=settings.shutdown_grace_seconds))
    log.info("%s ready", service)
    await stop.wait()
    log.info("%s stopping", service)
    await server.set_serving(False)
    grace = settings.shutdown_grace_seconds
    await finish(grace, [pull, asyncio.create_task(server.stop(grace))])
    with contextlib.suppress(Exception):
        await nc.drain()
    shutdown_tracing()
    log.info("%s stopped", service)
