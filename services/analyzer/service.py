"""The analysis service: cache first, then one LLM request per batch of resumes (or the offline analysis)."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import grpc

from screener.v1 import gateway_pb2, gateway_pb2_grpc, resume_pb2
from services.analyzer.analysis import (
    PROMPT_VERSION,
    LlmAnalyst,
    OfflineAnalyst,
    resume_summary,
    summary_hash,
)
from services.common.errors import ScreeningError
from services.common.metrics import ANALYSIS_CACHE
from services.common.tracing import carrier

log = logging.getLogger(__name__)


@dataclass
class AnalysisItem:
    resume: resume_pb2.ParsedResume
    rank: resume_pb2.RankResult


class AnalysisCache:
    """The gateway's Postgres-backed cache over its internal gRPC port, called with the service
    credential; when it cannot be reached (or no credential is set) it is skipped."""

    def __init__(self, address: str, token: str) -> None:
        self.channel = grpc.aio.insecure_channel(address)
        self.stub = gateway_pb2_grpc.AnalysisCacheServiceStub(self.channel)
        self.credential = (("authorization", f"Bearer {token}"),)

    async def get(self, key: str) -> resume_pb2.Analysis | None:
        try:
            entry = await self.stub.GetAnalysis(
                gateway_pb2.AnalysisCacheKey(key=key),
                timeout=5,
                metadata=(*carrier().items(), *self.credential),
            )
        except grpc.aio.AioRpcError as exc:
            log.warning("analysis cache unavailable: %s", exc.code().name)
            return None
        return entry.analysis if entry.found else None

    async def put(self, key: str, analysis: resume_pb2.Analysis) -> None:
        try:
            await self.stub.PutAnalysis(
                gateway_pb2.AnalysisCacheEntry(key=key, analysis=analysis, model=analysis.model),
                timeout=5,
                metadata=self.credential,
            )
        except grpc.aio.AioRpcError as exc:
            log.warning("could not store an analysis in the cache: %s", exc.code().name)

    async def close(self) -> None:
        await self.channel.close()


def cache_key(model: str, job: resume_pb2.JobSpec, resume: resume_pb2.ParsedResume) -> str:
    """(model, prompt version, job, resume): the same pair is never paid for twice, even across jobs."""
    job_part = job.content_hash or hashlib.sha256(job.SerializeToString(deterministic=True)).hexdigest()
    raw = "|".join([model, PROMPT_VERSION, job_part, summary_hash(resume_summary(resume))])
    return hashlib.sha256(raw.encode()).hexdigest()


class AnalysisService:
    def __init__(self, llm: LlmAnalyst | None, offline: OfflineAnalyst, cache: AnalysisCache | None) -> None:
        self.llm = llm
        self.offline = offline
        self.cache = cache

    @property
    def model_name(self) -> str:
        return self.llm.model_name if self.llm else self.offline.model_name

    async def analyze_many(
        self, job: resume_pb2.JobSpec, items: list[AnalysisItem]
    ) -> list[resume_pb2.Analysis | ScreeningError]:
        """Analyses in the order of `items`; a failure is returned in its place, never raised."""
        if self.llm is None:
            return [await self.offline.analyze(job, item.resume, item.rank) for item in items]
        results: list[resume_pb2.Analysis | ScreeningError | None] = [None] * len(items)
        keys = [cache_key(self.llm.model_name, job, item.resume) for item in items]
        if self.cache is not None:
            for index, key in enumerate(keys):
                cached = await self.cache.get(key)
                ANALYSIS_CACHE.labels("hit" if cached is not None else "miss").inc()
                if cached is not None:
                    hit = resume_pb2.Analysis()
                    hit.CopyFrom(cached)
                    hit.cached, hit.tokens_in, hit.tokens_out = True, 0, 0
                    results[index] = hit
        missing = [i for i, result in enumerate(results) if result is None]
        if missing:
            fresh = await self.llm.analyze_batch(job, [items[i].resume for i in missing])
            for index, result in zip(missing, fresh, strict=True):
                results[index] = result
                if self.cache is not None and isinstance(result, resume_pb2.Analysis):
                    await self.cache.put(keys[index], result)
        for key, analysis in zip(keys, results, strict=True):
            if isinstance(analysis, resume_pb2.Analysis) and self.cache is not None:
                analysis.cache_key = key  # so erasing the candidate can erase the entry too
        return [r for r in results if r is not None]
