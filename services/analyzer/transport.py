"""Analyzer transports: gRPC servicer and the JetStream stage handler."""

from __future__ import annotations

import time

import grpc
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from screener.v1 import analyzer_pb2, analyzer_pb2_grpc, pipeline_pb2
from services.analyzer.analysis import Analyst
from services.common import nats as screener_nats
from services.common.errors import InvalidInput, ScreeningError
from services.common.worker_service import failure_event


class AnalyzerServicer(analyzer_pb2_grpc.AnalyzerServiceServicer):
    def __init__(self, analyst: Analyst) -> None:
        self.analyst = analyst

    async def Analyze(
        self, request: analyzer_pb2.AnalyzeRequest, context: grpc.aio.ServicerContext
    ) -> analyzer_pb2.AnalyzeResponse:
        if not request.resume.full_text.strip():
            raise InvalidInput("the resume has no text")
        analysis = await self.analyst.analyze(request.job, request.resume, request.rank)
        return analyzer_pb2.AnalyzeResponse(analysis=analysis)


class AnalyzeStageHandler:
    """Handles screener.work.analyze and publishes the analyzed (or failed) stage event."""

    def __init__(self, analyst: Analyst, worker: str) -> None:
        self.analyst = analyst
        self.worker = worker

    async def __call__(self, msg: Msg, js: JetStreamContext) -> None:
        task = pipeline_pb2.AnalyzeTask.FromString(msg.data)
        started = time.perf_counter()
        try:
            analysis = await self.analyst.analyze(task.job, task.resume, task.rank)
        except InvalidInput as exc:
            event = failure_event(task.ref, pipeline_pb2.STAGE_ANALYZE, self.worker, exc.code, exc.message)
        except ScreeningError:
            raise  # the model is unavailable: retry with backoff, give up after max_deliver
        else:
            event = pipeline_pb2.StageEvent(
                ref=task.ref, stage=pipeline_pb2.STAGE_ANALYZE, worker=self.worker, analyzed=analysis
            )
        event.duration_seconds = time.perf_counter() - started
        await screener_nats.publish_event(js, event)

    async def give_up(self, msg: Msg, exc: BaseException, js: JetStreamContext) -> None:
        task = pipeline_pb2.AnalyzeTask.FromString(msg.data)
        await screener_nats.publish_event(
            js, failure_event(task.ref, pipeline_pb2.STAGE_ANALYZE, self.worker, "analysis_error", str(exc))
        )
