"""The pull-worker loop every worker service (and the gateway's event consumer) runs.

A worker acks only after its handler has published the result; a retryable failure is nak'ed with a
growing delay; after `max_deliver` attempts the failure is reported as the resume's outcome, the message
dead-lettered and terminated.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator

import nats
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from opentelemetry import trace

from services.common.jetstream.publishing import dead_letter
from services.common.jetstream.topology import CONSUMERS
from services.common.logging import bind_log_context, reset_log_context
from services.common.metrics import MESSAGES, QUEUE_WAIT_SECONDS, REDELIVERIES, STAGE_SECONDS
from services.common.tracing import REQUEST_ID, RESUME_ID, context_from, trace_id, tracer

log = logging.getLogger(__name__)


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


BatchHandler = Callable[[list[Msg]], Awaitable[list[BaseException | None]]]


class PullWorker:
    """Runs `handler` over the messages of a durable pull consumer, up to `batch_size` at once.

    For work that is cheaper in bulk (one LLM request for several resumes, one embedding pass, one
    transaction) a handler takes several messages; when fewer than `batch_size` are waiting the worker
    waits `gather_seconds` for more (0: takes what is there). A message handler of its own runs as a
    batch of one (`PullWorker.each`). `concurrency` batches are handled at a time. The handler publishes
    its results and returns one outcome per message: None (done: ack) or the exception (nak with backoff,
    or give up after `max_deliver` deliveries through `give_up`). While it runs, the worker heartbeats
    (`in_progress`) so long work is not redelivered. On shutdown it stops fetching, lets in-flight work
    finish within the grace period and naks the rest, so another replica takes it at once.
    """

    def __init__(
        self,
        js: JetStreamContext,
        durable: str,
        handler: BatchHandler,
        *,
        give_up: GiveUp,
        batch_size: int = 1,
        concurrency: int = 1,
        ack_wait_seconds: float = 30.0,
        max_deliver: int = 5,
        gather_seconds: float = 0.0,
        fetch_timeout: float = 1.0,
    ) -> None:
        self._js = js
        self._durable = durable
        self._stream, self._subject = CONSUMERS[durable]
        self._handler = handler
        self._give_up = give_up
        self._batch_size = batch_size
        self._concurrency = max(1, concurrency)
        self._ack_wait = ack_wait_seconds
        self._max_deliver = max_deliver
        self._gather = gather_seconds
        self._fetch_timeout = fetch_timeout
        self._slots = asyncio.Semaphore(self._concurrency)
        self._in_flight: set[asyncio.Task[None]] = set()

    @classmethod
    def each(
        cls,
        js: JetStreamContext,
        durable: str,
        handler: Handler,
        *,
        give_up: GiveUp,
        concurrency: int = 2,
        ack_wait_seconds: float = 30.0,
        max_deliver: int = 5,
        fetch_timeout: float = 1.0,
    ) -> PullWorker:
        """A worker whose handler takes one message at a time, `concurrency` messages at once."""

        async def one(msgs: list[Msg]) -> list[BaseException | None]:
            await handler(msgs[0])
            return [None]

        return cls(
            js,
            durable,
            one,
            give_up=give_up,
            concurrency=concurrency,
            ack_wait_seconds=ack_wait_seconds,
            max_deliver=max_deliver,
            fetch_timeout=fetch_timeout,
        )

    async def run(self, stop: asyncio.Event, grace_seconds: float = 10.0) -> None:
        sub = await self._js.pull_subscribe_bind(self._durable, stream=self._stream)
        log.info(
            "worker pulling %s (%s), %d at a time, concurrency %d",
            self._durable,
            self._subject,
            self._batch_size,
            self._concurrency,
        )
        try:
            while not stop.is_set():
                await self._slots.acquire()
                try:
                    msgs = await sub.fetch(batch=self._batch_size, timeout=self._fetch_timeout)
                except (TimeoutError, nats.errors.TimeoutError):
                    self._slots.release()
                    continue
                except Exception as exc:  # connection trouble: back off and keep the loop alive
                    self._slots.release()
                    log.warning("fetch from %s failed: %s", self._durable, exc)
                    await asyncio.sleep(1.0)
                    continue
                if len(msgs) < self._batch_size and self._gather > 0:
                    # Give messages published a moment apart the chance to share the handling.
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
            # Shutdown before the work finished: hand the messages back for another replica.
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
