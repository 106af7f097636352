"""The JetStream topology: streams, durable consumers and the resume object store, declared here in one
place and idempotently at start; the subjects work and events travel on."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass

import nats
from nats import errors as nats_errors
from nats.aio.client import Client as NatsClient
from nats.errors import NoRespondersError
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    ObjectStoreConfig,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import BadRequestError, NotFoundError, ServiceUnavailableError
from nats.js.object_store import ObjectStore
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from screener.v1 import pipeline_pb2

log = logging.getLogger(__name__)

WORK_STREAM = "SCREENER_WORK"
EVENTS_STREAM = "SCREENER_EVENTS"
DEAD_STREAM = "SCREENER_DEAD"
RESUME_BUCKET = "resumes"
# The stream JetStream keeps an object store in.
RESUME_STREAM = f"OBJ_{RESUME_BUCKET}"

SUBJECT_EXTRACT = "screener.work.extract"
SUBJECT_RANK = "screener.work.rank"
SUBJECT_ANALYZE = "screener.work.analyze"
EVENTS_SUBJECTS = "screener.events.>"
DEAD_SUBJECTS = "screener.dead.>"
DEAD_KEEP_SECONDS = 30 * 24 * 3600

# Headers of a dead-lettered message: where it came from and why it was given up.
H_SUBJECT = "Screener-Subject"
H_ERROR = "Screener-Error"
H_DELIVERIES = "Screener-Deliveries"
H_CONSUMER = "Screener-Consumer"

# durable consumer name -> (stream, filter subject)
CONSUMERS: dict[str, tuple[str, str]] = {
    "extractor": (WORK_STREAM, SUBJECT_EXTRACT),
    "ranker": (WORK_STREAM, SUBJECT_RANK),
    "analyzer": (WORK_STREAM, SUBJECT_ANALYZE),
    "gateway": (EVENTS_STREAM, EVENTS_SUBJECTS),
}

STAGE_NAMES: dict[int, str] = {
    pipeline_pb2.STAGE_EXTRACT: "extract",
    pipeline_pb2.STAGE_RANK: "rank",
    pipeline_pb2.STAGE_ANALYZE: "analyze",
}


def event_subject(stage: int) -> str:
    return f"screener.events.{STAGE_NAMES.get(stage, 'unknown')}"


def default_worker_name(service: str) -> str:
    return f"{service}@{socket.gethostname()}:{os.getpid()}"


async def connect(url: str, name: str) -> NatsClient:
    """Connect with unbounded reconnects, so a restarted nats-server is picked up again by itself."""

    async def on_error(exc: Exception) -> None:
        log.warning("nats error: %s", exc)

    async def on_disconnect() -> None:
        log.warning("nats disconnected")

    async def on_reconnect() -> None:
        log.info("nats reconnected")

    return await nats.connect(
        url,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        connect_timeout=5,
        error_cb=on_error,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
    )


@dataclass(frozen=True)
class Topology:
    ack_wait_seconds: float = 30.0
    max_deliver: int = 5
    replicas: int = 1
    max_ack_pending: int = 256


async def ensure_topology(
    js: JetStreamContext, topology: Topology, *, patience_seconds: float = 120.0
) -> ObjectStore:
    """Create (or update) streams, durable consumers and the resume object store.

    A JetStream cluster that is still electing its leader (every server starting at once, a rolling
    restart) answers with timeouts or "unavailable" for a while: the calls are retried for up to
    `patience_seconds` before the service gives up."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type((nats_errors.TimeoutError, ServiceUnavailableError, NoRespondersError)),
        wait=wait_exponential(multiplier=0.5, max=5),
        stop=stop_after_delay(patience_seconds),
        reraise=True,
    ):
        with attempt:
            if attempt.retry_state.attempt_number > 1:
                log.warning(
                    "JetStream is not available yet; trying again (attempt %d)",
                    attempt.retry_state.attempt_number,
                )
            return await _ensure_topology(js, topology)
    raise AssertionError("unreachable")


async def _ensure_topology(js: JetStreamContext, topology: Topology) -> ObjectStore:
    streams = {
        WORK_STREAM: ["screener.work.>"],
        EVENTS_STREAM: [EVENTS_SUBJECTS],
    }
    for name, subjects in streams.items():
        stream_config = StreamConfig(
            name=name,
            subjects=subjects,
            retention=RetentionPolicy.WORK_QUEUE,
            storage=StorageType.FILE,
            num_replicas=topology.replicas,
            duplicate_window=120.0,
        )
        try:
            await js.add_stream(stream_config)
        except BadRequestError:
            await js.update_stream(stream_config)
    # Dead letters are kept (limits retention) until an operator replays or they age out.
    dead_config = StreamConfig(
        name=DEAD_STREAM,
        subjects=[DEAD_SUBJECTS],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        num_replicas=topology.replicas,
        max_age=DEAD_KEEP_SECONDS,
        duplicate_window=120.0,
    )
    try:
        await js.add_stream(dead_config)
    except BadRequestError:
        await js.update_stream(dead_config)
    for durable, (stream, subject) in CONSUMERS.items():
        config = ConsumerConfig(
            durable_name=durable,
            filter_subject=subject,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=topology.ack_wait_seconds,
            max_deliver=topology.max_deliver,
            max_ack_pending=topology.max_ack_pending,
        )
        await js.add_consumer(stream, config)
    return await _ensure_resume_store(js, topology.replicas)


async def _ensure_resume_store(js: JetStreamContext, replicas: int) -> ObjectStore:
    """The object store of original files, with as many replicas as the streams: losing a node must not
    lose the only copy of an upload. A store created with fewer replicas is raised to the setting."""
    try:
        store = await js.object_store(RESUME_BUCKET)
    except (NotFoundError, BadRequestError):
        return await js.create_object_store(
            RESUME_BUCKET, config=ObjectStoreConfig(storage=StorageType.FILE, replicas=replicas)
        )
    info = await js.stream_info(RESUME_STREAM)
    if info.config.num_replicas != replicas:
        info.config.num_replicas = replicas
        await js.update_stream(info.config)
    return store
