"""NATS JetStream topology and the pull-worker loop every worker service runs.

Streams, consumers and the object store are declared here, in one place, idempotently at start.
Work messages and stage events are protobuf. A worker acks only after its result event is
published; a retryable failure is nak'ed with a growing delay; after `max_deliver` attempts the
worker reports the failure as the resume's outcome and terminates the message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import nats
from nats import errors as nats_errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
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
from opentelemetry import trace
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from screener.v1 import pipeline_pb2
from services.common.errors import TooLarge
from services.common.logging import bind_log_context, log_context, reset_log_context
from services.common.metrics import MESSAGES, QUEUE_WAIT_SECONDS, REDELIVERIES, STAGE_SECONDS
from services.common.tracing import REQUEST_ID, RESUME_ID, carrier, context_from, trace_id, tracer

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


async def publish_event(js: JetStreamContext, event: pipeline_pb2.StageEvent) -> None:
    """Publish a stage event; the message id makes a re-published duplicate a no-op in JetStream."""
    outcome = event.WhichOneof("outcome") or "none"
    msg_id = f"{event.ref.run_id}:{event.stage}:{outcome}"
    headers = {**_trace_headers(event.ref.resume_id), "Nats-Msg-Id": msg_id}
    await js.publish(event_subject(event.stage), event.SerializeToString(), headers=headers)


WorkTask = pipeline_pb2.ExtractTask | pipeline_pb2.RankTask | pipeline_pb2.AnalyzeTask


async def publish_work(js: JetStreamContext, subject: str, task: WorkTask, msg_id: str) -> None:
    """Publish a work message; TooLarge (nothing sent) when it would pass the server's payload limit."""
    headers = {**_trace_headers(task.ref.resume_id), "Nats-Msg-Id": msg_id}
    try:
        await js.publish(subject, task.SerializeToString(), headers=headers)
    except nats_errors.MaxPayloadError as exc:
        raise TooLarge(
            f"the work message for this resume ({task.ByteSize():,} bytes) is larger than the message "
            "bus accepts",
        ) from exc


def _trace_headers(resume_id: str) -> dict[str, str]:
    return carrier(request_id=log_context().get("request_id", ""), resume_id=resume_id)


@contextlib.contextmanager
def consuming(durable: str, msgs: list[Msg]) -> Iterator[None]:
    """The span and log context of handling messages: a child of the publisher's trace for one message,
    linked to each publisher's trace for a batch."""
    headers = (msgs[0].headers or {}) if len(msgs) == 1 else {}
    parent = context_from(headers)
    links = (
        []
        if len(msgs) == 1
        else [
            trace.Link(span.get_span_context())
            for span in (trace.get_current_span(context_from(m.headers or {})) for m in msgs)
            if span.get_span_context().is_valid
        ]
    )
    name = f"consume {durable}" if len(msgs) == 1 else f"consume {durable} batch"
    with tracer.start_as_current_span(
        name, context=parent, kind=trace.SpanKind.CONSUMER, links=links
    ) as span:
        span.set_attribute("messaging.system", "nats")
        span.set_attribute("messaging.destination.name", msgs[0].subject)
        if headers.get(RESUME_ID):
            span.set_attribute("screener.resume_id", headers[RESUME_ID])
        token = bind_log_context(
            request_id=headers.get(REQUEST_ID, ""), resume_id=headers.get(RESUME_ID, ""), trace_id=trace_id()
        )
        try:
            yield
        finally:
            reset_log_context(token)


def each_message(durable: str, msgs: list[Msg], msg: Msg) -> contextlib.AbstractContextManager[None]:
    """Inside a batch handler: the span and log context of one message's own result, in its own trace
    (a batch of one already runs in it)."""
    return contextlib.nullcontext() if len(msgs) == 1 else consuming(durable, [msg])


def observe_queue_wait(durable: str, msgs: list[Msg]) -> None:
    """How long each message sat in the stream (first deliveries only: a retry waits on purpose)."""
    now = time.time()
    for msg in msgs:
        meta = msg.metadata
        if meta is not None and meta.num_delivered == 1 and meta.timestamp is not None:
            QUEUE_WAIT_SECONDS.labels(durable).observe(max(0.0, now - meta.timestamp.timestamp()))


class RetryableError(Exception):
    """A failure worth another attempt (a dependency was briefly unavailable)."""


Handler = Callable[[Msg], Awaitable[None]]
GiveUp = Callable[[Msg, BaseException], Awaitable[None]]


async def dead_letter(js: JetStreamContext, msg: Msg, durable: str, exc: BaseException) -> None:
    """Keep a message that was given up on in the dead-letter stream, with where it came from and why."""
    meta = msg.metadata
    seq = meta.sequence.stream if meta else 0
    await js.publish(
        f"screener.dead.{durable}",
        msg.data,
        headers={
            "Nats-Msg-Id": f"dead:{durable}:{seq}",
            H_SUBJECT: msg.subject,
            H_ERROR: f"{type(exc).__name__}: {exc}"[:1000],
            H_DELIVERIES: str(meta.num_delivered if meta else 0),
            H_CONSUMER: durable,
        },
    )


async def settle_failure(
    js: JetStreamContext, durable: str, msg: Msg, exc: BaseException, give_up: GiveUp, max_deliver: int
) -> None:
    """A failed attempt: nak with a growing delay. Past `max_deliver` deliveries the failure is recorded
    as the resume's outcome (give_up), the message is dead-lettered and removed from the work stream."""
    delivered = msg.metadata.num_delivered if msg.metadata else 1
    if delivered >= max_deliver:
        MESSAGES.labels(durable, "dead_lettered").inc()
        log.error("giving up on %s after %d deliveries: %s", msg.subject, delivered, exc)
        try:
            await give_up(msg, exc)
        except Exception:  # e.g. a payload that cannot even be parsed: the dead letter keeps it
            log.exception("could not record the give-up of %s", msg.subject)
        try:
            await dead_letter(js, msg, durable, exc)
            await msg.term()
        except Exception:
            # Not dead-lettered: leave it un-acked, so it is redelivered once NATS is back.
            log.exception("could not dead-letter %s; it will be redelivered", msg.subject)
        return
    MESSAGES.labels(durable, "retried").inc()
    delay = min(2.0**delivered, 60.0)
    log.warning("attempt %d of %s failed (%s); retrying in %.0fs", delivered, msg.subject, exc, delay)
    with contextlib.suppress(Exception):
        await msg.nak(delay=delay)


async def drain(in_flight: set[asyncio.Task[None]], grace_seconds: float) -> None:
    """On shutdown: let in-flight handling finish within the grace period, cancel the rest (their
    handlers hand the messages back)."""
    if not in_flight:
        return
    log.info("waiting for %d in-flight handlers", len(in_flight))
    _, pending = await asyncio.wait(set(in_flight), timeout=grace_seconds)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)


class PullWorker:
    """Runs `handler` for each message of a durable pull consumer, `concurrency` at a time.

    The handler publishes its own result and returns; the worker then acks. While it runs the
    worker heartbeats (`in_progress`) so long work is not redelivered. On shutdown it stops
    fetching, lets in-flight messages finish within the grace period and naks the rest so
    another replica takes them at once.
    """

    def __init__(
        self,
        js: JetStreamContext,
        durable: str,
        handler: Handler,
        *,
        give_up: GiveUp,
        concurrency: int = 2,
        ack_wait_seconds: float = 30.0,
        max_deliver: int = 5,
        fetch_timeout: float = 1.0,
    ) -> None:
        self._js = js
        self._durable = durable
        self._stream, self._subject = CONSUMERS[durable]
        self._handler = handler
        self._give_up = give_up
        self._concurrency = concurrency
        self._ack_wait = ack_wait_seconds
        self._max_deliver = max_deliver
        self._fetch_timeout = fetch_timeout
        self._in_flight: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(concurrency)

    async def run(self, stop: asyncio.Event, grace_seconds: float = 10.0) -> None:
        sub = await self._js.pull_subscribe_bind(self._durable, stream=self._stream)
        log.info("worker pulling %s (%s), concurrency %d", self._durable, self._subject, self._concurrency)
        try:
            while not stop.is_set():
                await self._slots.acquire()
                try:
                    msgs = await sub.fetch(batch=1, timeout=self._fetch_timeout)
                except (TimeoutError, nats.errors.TimeoutError):
                    self._slots.release()
                    continue
                except Exception as exc:  # connection trouble: back off and keep the loop alive
                    self._slots.release()
                    log.warning("fetch from %s failed: %s", self._durable, exc)
                    await asyncio.sleep(1.0)
                    continue
                for msg in msgs:
                    task = asyncio.create_task(self._handle(msg))
                    self._in_flight.add(task)
                    task.add_done_callback(self._in_flight.discard)
        finally:
            await drain(self._in_flight, grace_seconds)
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def _heartbeat(self, msg: Msg) -> None:
        interval = max(self._ack_wait / 3.0, 0.5)
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(Exception):
                await msg.in_progress()

    async def _handle(self, msg: Msg) -> None:
        observe_queue_wait(self._durable, [msg])
        heartbeat = asyncio.create_task(self._heartbeat(msg))
        if msg.metadata and msg.metadata.num_delivered > 1:
            REDELIVERIES.labels(self._durable).inc()
        started = time.perf_counter()
        try:
            with consuming(self._durable, [msg]):
                await self._handler(msg)
            heartbeat.cancel()
            await msg.ack()
            MESSAGES.labels(self._durable, "acked").inc()
            STAGE_SECONDS.labels(self._durable).observe(time.perf_counter() - started)
        except asyncio.CancelledError:
            # Shutdown before the work finished: hand the message back for another replica.
            heartbeat.cancel()
            with contextlib.suppress(Exception):
                await msg.nak()
            raise
        except Exception as exc:
            heartbeat.cancel()
            await settle_failure(self._js, self._durable, msg, exc, self._give_up, self._max_deliver)
        finally:
            self._slots.release()


BatchHandler = Callable[[list[Msg]], Awaitable[list[BaseException | None]]]


class BatchPullWorker:
    """Fetches up to `batch_size` messages at once and hands them to `handler` together.

    For work that is cheaper in bulk (one LLM request for several resumes, one embedding pass, one
    transaction). When fewer than `batch_size` are waiting it waits `gather_seconds` for more (0: takes
    what is there); `concurrency` batches are handled at a time. The handler returns one outcome per
    message: None (done: ack) or the exception (nak with backoff, or give up after `max_deliver`
    deliveries through `give_up`). On shutdown, unfinished batches are handed back (nak).
    """

    def __init__(
        self,
        js: JetStreamContext,
        durable: str,
        handler: BatchHandler,
        *,
        give_up: GiveUp,
        batch_size: int = 4,
        concurrency: int = 1,
        ack_wait_seconds: float = 30.0,
        max_deliver: int = 5,
        gather_seconds: float = 0.5,
    ) -> None:
        self._js = js
        self._durable = durable
        self._stream, _ = CONSUMERS[durable]
        self._handler = handler
        self._give_up = give_up
        self._batch_size = batch_size
        self._ack_wait = ack_wait_seconds
        self._max_deliver = max_deliver
        self._gather = gather_seconds
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._in_flight: set[asyncio.Task[None]] = set()

    async def run(self, stop: asyncio.Event, grace_seconds: float = 10.0) -> None:
        sub = await self._js.pull_subscribe_bind(self._durable, stream=self._stream)
        try:
            while not stop.is_set():
                await self._slots.acquire()
                try:
                    msgs = await sub.fetch(batch=self._batch_size, timeout=1.0)
                except (TimeoutError, nats.errors.TimeoutError):
                    self._slots.release()
                    continue
                except Exception as exc:
                    self._slots.release()
                    log.warning("fetch from %s failed: %s", self._durable, exc)
                    await asyncio.sleep(1.0)
                    continue
                if len(msgs) < self._batch_size and self._gather > 0:
                    # Give messages published a moment apart the chance to share the request.
                    with contextlib.suppress(TimeoutError, nats.errors.TimeoutError):
                        msgs += await sub.fetch(batch=self._batch_size - len(msgs), timeout=self._gather)
                task = asyncio.create_task(self._handle(msgs))
                self._in_flight.add(task)
                task.add_done_callback(self._in_flight.discard)
        finally:
            await drain(self._in_flight, grace_seconds)
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def _heartbeat(self, msgs: list[Msg]) -> None:
        while True:
            await asyncio.sleep(max(self._ack_wait / 3.0, 0.5))
            for msg in msgs:
                with contextlib.suppress(Exception):
                    await msg.in_progress()

    async def _handle(self, msgs: list[Msg]) -> None:
        try:
            await self._handle_batch(msgs)
        finally:
            self._slots.release()

    async def _handle_batch(self, msgs: list[Msg]) -> None:
        observe_queue_wait(self._durable, msgs)
        for msg in msgs:
            if msg.metadata and msg.metadata.num_delivered > 1:
                REDELIVERIES.labels(self._durable).inc()
        heartbeat = asyncio.create_task(self._heartbeat(msgs))
        started = time.perf_counter()
        try:
            with consuming(self._durable, msgs):
                outcomes = await self._handler(msgs)
        except asyncio.CancelledError:
            # Shutdown before the batch finished: hand its messages back for another replica.
            heartbeat.cancel()
            for msg in msgs:
                with contextlib.suppress(Exception):
                    await msg.nak()
            raise
        except Exception as exc:  # the whole batch failed the same way
            outcomes = [exc] * len(msgs)
        finally:
            heartbeat.cancel()
        for _ in msgs:
            STAGE_SECONDS.labels(self._durable).observe((time.perf_counter() - started) / len(msgs))
        for msg, outcome in zip(msgs, outcomes, strict=True):
            if outcome is None:
                with contextlib.suppress(Exception):
                    await msg.ack()
                MESSAGES.labels(self._durable, "acked").inc()
                continue
            await settle_failure(self._js, self._durable, msg, outcome, self._give_up, self._max_deliver)
