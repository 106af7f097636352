"""Analyzer transports: the gRPC servicer and the JetStream batch handler. They only translate."""

from __future__ import annotations

import time
from collections import defaultdict

import grpc
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from screener.v1 import analyzer_pb2, analyzer_pb2_grpc, pipeline_pb2
from services.analyzer.service import AnalysisItem, AnalysisService
from services.common import jetstream
from services.common.errors import InvalidInput, ScreeningError
from services.common.worker_service import failure_event

# Failures worth another delivery: the model endpoint is down or rate-limited.
RETRYABLE_CODES = {"llm_unavailable"}


class AnalyzerServicer(analyzer_pb2_grpc.AnalyzerServiceServicer):
    def __init__(self, service: AnalysisService) -> None:
        self.service = service

    async def Analyze(
        self, request: analyzer_pb2.AnalyzeRequest, context: grpc.aio.ServicerContext
    ) -> analyzer_pb2.AnalyzeResponse:
        if not request.resume.full_text.strip():
            raise InvalidInput("the resume has no text")
        (result,) = await self.service.analyze_many(request.job, [AnalysisItem(request.resume, request.rank)])
        if isinstance(result, ScreeningError):
            raise result
        return analyzer_pb2.AnalyzeResponse(analysis=result)


class AnalyzeBatchHandler:
    """Handles screener.work.analyze in batches: resumes of one job share LLM requests."""

    def __init__(self, service: AnalysisService, worker: str) -> None:
        self.service = service
        self.worker = worker

    async def __call__(self, msgs: list[Msg], js: JetStreamContext) -> list[BaseException | None]:
        outcomes: list[BaseException | None] = [None] * len(msgs)
        groups: dict[str, list[tuple[int, pipeline_pb2.AnalyzeTask]]] = defaultdict(list)
        for index, msg in enumerate(msgs):
            try:
                task = pipeline_pb2.AnalyzeTask.FromString(msg.data)
            except Exception:
                continue  # undecodable: acked and dropped
            groups[task.job.content_hash or task.job.job_id].append((index, task))
        for tasks in groups.values():
            started = time.perf_counter()
            job = tasks[0][1].job
            results = await self.service.analyze_many(job, [AnalysisItem(t.resume, t.rank) for _, t in tasks])
            elapsed = (time.perf_counter() - started) / len(tasks)
            for (index, task), result in zip(tasks, results, strict=True):
                if isinstance(result, ScreeningError) and result.code in RETRYABLE_CODES:
                    outcomes[index] = result
                    continue
                if isinstance(result, ScreeningError):
                    event = failure_event(
                        task.ref, pipeline_pb2.STAGE_ANALYZE, self.worker, result.code, result.message
                    )
                else:
                    event = pipeline_pb2.StageEvent(
                        ref=task.ref, stage=pipeline_pb2.STAGE_ANALYZE, worker=self.worker, analyzed=result
                    )
                event.duration_seconds = elapsed
                with jetstream.each_message("analyzer", msgs, msgs[index]):
                    await jetstream.publish_event(js, event)
        return outcomes

    async def give_up(self, msg: Msg, exc: BaseException, js: JetStreamContext) -> None:
        task = pipeline_pb2.AnalyzeTask.FromString(msg.data)
        code = exc.code if isinstance(exc, ScreeningError) else "analysis_error"
        await jetstream.publish_event(
            js, failure_event(task.ref, pipeline_pb2.STAGE_ANALYZE, self.worker, code, str(exc))
        )
