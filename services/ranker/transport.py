"""Ranker transports: gRPC servicer and the JetStream stage handler."""

from __future__ import annotations

import asyncio
import time

import grpc
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from screener.v1 import pipeline_pb2, ranker_pb2, ranker_pb2_grpc, resume_pb2
from services.common import jetstream
from services.common.errors import InvalidInput
from services.common.worker_service import failure_event
from services.ranker.scoring import Scorer


def _validate(job: resume_pb2.JobSpec, resume: resume_pb2.ParsedResume) -> None:
    if not (job.title or job.description):
        raise InvalidInput("the job needs a title or a description")
    if not resume.full_text.strip():
        raise InvalidInput("the resume has no text")


class RankerServicer(ranker_pb2_grpc.RankerServiceServicer):
    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer

    async def Rank(
        self, request: ranker_pb2.RankRequest, context: grpc.aio.ServicerContext
    ) -> ranker_pb2.RankResponse:
        _validate(request.job, request.resume)
        stored = request.embeddings if request.HasField("embeddings") else None
        result = await asyncio.to_thread(self.scorer.rank, request.job, request.resume, stored)
        return ranker_pb2.RankResponse(result=result)

    async def GetStats(
        self, request: ranker_pb2.StatsRequest, context: grpc.aio.ServicerContext
    ) -> ranker_pb2.StatsResponse:
        embedder = self.scorer.embedder
        return ranker_pb2.StatsResponse(
            embeddings_computed=embedder.computed,
            embedding_cache_hits=embedder.cache_hits,
            embeddings_reused=embedder.reused,
            model=embedder.model_name,
        )


class RankStageHandler:
    """Handles batches of screener.work.rank messages and publishes each ranked (or failed) stage event."""

    def __init__(self, scorer: Scorer, worker: str) -> None:
        self.scorer = scorer
        self.worker = worker

    async def __call__(self, msgs: list[Msg], js: JetStreamContext) -> list[BaseException | None]:
        """Rank every resume of the batch with one embedding pass, then publish each one's event."""
        started = time.perf_counter()
        outcomes: list[BaseException | None] = [None] * len(msgs)
        events: dict[int, pipeline_pb2.StageEvent] = {}
        valid: list[tuple[int, pipeline_pb2.RankTask]] = []
        for index, msg in enumerate(msgs):
            try:
                task = pipeline_pb2.RankTask.FromString(msg.data)
                _validate(task.job, task.resume)
            except InvalidInput as exc:
                events[index] = failure_event(
                    task.ref, pipeline_pb2.STAGE_RANK, self.worker, exc.code, exc.message
                )
            except Exception as exc:  # undecodable: retried, then dead-lettered
                outcomes[index] = exc
            else:
                valid.append((index, task))
        if valid:
            items = [
                (task.job, task.resume, task.embeddings if task.HasField("embeddings") else None)
                for _, task in valid
            ]
            results: list[resume_pb2.RankResult | Exception]
            try:
                results = list(await asyncio.to_thread(self.scorer.rank_many, items))
            except Exception:
                # One resume's trouble must not fail the others: rank them one by one.
                results = []
                for item in items:
                    try:
                        results.extend(await asyncio.to_thread(self.scorer.rank_many, [item]))
                    except Exception as exc:
                        results.append(exc)
            for (index, task), result in zip(valid, results, strict=True):
                if isinstance(result, Exception):
                    outcomes[index] = result
                else:
                    events[index] = pipeline_pb2.StageEvent(
                        ref=task.ref, stage=pipeline_pb2.STAGE_RANK, worker=self.worker, ranked=result
                    )
        per_resume = (time.perf_counter() - started) / len(msgs)
        for index, event in sorted(events.items()):
            event.duration_seconds = per_resume
            with jetstream.each_message("ranker", msgs, msgs[index]):
                try:
                    await jetstream.publish_event(js, event)
                except Exception as exc:  # not published: the message is retried
                    outcomes[index] = exc
        return outcomes

    async def give_up(self, msg: Msg, exc: BaseException, js: JetStreamContext) -> None:
        task = pipeline_pb2.RankTask.FromString(msg.data)
        await jetstream.publish_event(
            js, failure_event(task.ref, pipeline_pb2.STAGE_RANK, self.worker, "ranking_error", str(exc))
        )
