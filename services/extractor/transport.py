"""Extractor transports: the gRPC servicer and the JetStream stage handler. They only translate."""

from __future__ import annotations

import logging
import time
from datetime import date

import grpc
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.object_store import ObjectStore

from screener.v1 import extractor_pb2, extractor_pb2_grpc, pipeline_pb2, resume_pb2
from services.common import jetstream
from services.common.errors import InvalidInput, NotFound, ScreeningError
from services.common.metrics import PAGES, PHASE_SECONDS, RESUMES_EXTRACTED
from services.common.worker_service import failure_event
from services.extractor.service import ExtractionService

log = logging.getLogger(__name__)


async def fetch_file(store: ObjectStore, sha256: str) -> bytes:
    """The stored file; a store that cannot give it now (reconnecting, or the file not yet or no longer
    there) is worth retrying, and past the delivery bound the resume fails and the message is
    dead-lettered for an operator to replay."""
    try:
        result = await store.get(sha256)
    except Exception as exc:
        raise jetstream.RetryableError(
            f"file {sha256} could not be read from the resume store: {exc}"
        ) from exc
    return bytes(result.data or b"")


def as_of_date(value: resume_pb2.YearMonth) -> date | None:
    """The month a resume was received, as a date; None when the caller did not say."""
    if not value.year:
        return None
    if not 1 <= value.month <= 12:
        raise InvalidInput("as_of needs a month from 1 to 12")
    return date(value.year, value.month, 1)


class ExtractorServicer(extractor_pb2_grpc.ExtractorServiceServicer):
    def __init__(self, service: ExtractionService, store: ObjectStore) -> None:
        self.service = service
        self.store = store

    async def Extract(
        self, request: extractor_pb2.ExtractRequest, context: grpc.aio.ServicerContext
    ) -> extractor_pb2.ExtractResponse:
        source = request.WhichOneof("source")
        if source == "content":
            content = request.content
        elif source == "file_sha256":
            try:
                content = await fetch_file(self.store, request.file_sha256)
            except jetstream.RetryableError as exc:
                raise NotFound(str(exc)) from exc
        else:
            raise InvalidInput("give the file as content or file_sha256")
        parsed = await self.service.extract(content, request.filename, as_of=as_of_date(request.as_of))
        return extractor_pb2.ExtractResponse(resume=parsed)


class ExtractStageHandler:
    """Handles screener.work.extract: fetch the file, extract, publish the stage event."""

    def __init__(self, service: ExtractionService, store: ObjectStore, worker: str) -> None:
        self.service = service
        self.store = store
        self.worker = worker

    async def __call__(self, msg: Msg, js: JetStreamContext) -> None:
        task = pipeline_pb2.ExtractTask.FromString(msg.data)
        started = time.perf_counter()
        await jetstream.publish_event(
            js,
            pipeline_pb2.StageEvent(
                ref=task.ref,
                stage=pipeline_pb2.STAGE_EXTRACT,
                worker=self.worker,
                started=pipeline_pb2.StageStarted(worker=self.worker),
            ),
        )
        try:
            content = await fetch_file(self.store, task.file_sha256)
            parsed = await self.service.extract(content, task.filename, as_of=as_of_date(task.as_of))
        except ScreeningError as exc:
            RESUMES_EXTRACTED.labels(exc.code).inc()
            # An expected outcome for this resume (bad file, no text): report it, do not retry.
            log.info("resume %s failed extraction: %s", task.ref.resume_id, exc.message)
            event = failure_event(task.ref, pipeline_pb2.STAGE_EXTRACT, self.worker, exc.code, exc.message)
        else:
            RESUMES_EXTRACTED.labels("ok").inc()
            PAGES.labels("ocr").inc(parsed.stats.ocr_pages)
            for _ in range(parsed.stats.ocr_pages):
                PHASE_SECONDS.labels("ocr_page").observe(parsed.stats.ocr_seconds / parsed.stats.ocr_pages)
            PAGES.labels("text").inc(max(0, parsed.stats.page_count - parsed.stats.ocr_pages))
            event = pipeline_pb2.StageEvent(
                ref=task.ref, stage=pipeline_pb2.STAGE_EXTRACT, worker=self.worker, extracted=parsed
            )
        event.duration_seconds = time.perf_counter() - started
        await jetstream.publish_event(js, event)

    async def give_up(self, msg: Msg, exc: BaseException, js: JetStreamContext) -> None:
        task = pipeline_pb2.ExtractTask.FromString(msg.data)
        await jetstream.publish_event(
            js, failure_event(task.ref, pipeline_pb2.STAGE_EXTRACT, self.worker, "extraction_error", str(exc))
        )
