"""LLM calls and tokens per resume for one 50-resume job: one by one, batched, and batched with the cache.

    python -m bench.analysis_cost

Runs the analyzer's own code (services.analyzer) through the real openai SDK against the local
OpenAI-compatible test server (tests/fake_llm.py), which counts tokens as characters / 4.
"""

from __future__ import annotations

import asyncio
import random

from screener.v1 import resume_pb2
from services.analyzer.analysis import LlmAnalyst, OfflineAnalyst
from services.analyzer.llm import LlmClient
from services.analyzer.service import AnalysisItem, AnalysisService
from services.common.skills import load_taxonomy
from services.demo.factory import AS_OF, make_person, resume_lines
from services.extractor.structure import structure_resume
from services.launcher import free_port
from tests.fake_llm import FakeLlm

JOB = resume_pb2.JobSpec(
    title="Staff Accountant",
    content_hash="bench-job",
    description="Maintain the general ledger, reconcile accounts and prepare month-end close.",
    required_skills=["General Ledger", "Reconciliation"],
    preferred_skills=["QuickBooks"],
)


class MemoryCache:
    """The cache interface of services.analyzer.service.AnalysisCache, in memory (one process)."""

    def __init__(self) -> None:
        self.entries: dict[str, resume_pb2.Analysis] = {}

    async def get(self, key: str) -> resume_pb2.Analysis | None:
        return self.entries.get(key)

    async def put(self, key: str, analysis: resume_pb2.Analysis) -> None:
        self.entries[key] = analysis


async def run(
    server: FakeLlm, items: list[AnalysisItem], batch_size: int, cache: MemoryCache | None
) -> tuple:
    before = server.calls()
    client = LlmClient(server.base_url, "bench-key", "fake-model")
    service = AnalysisService(LlmAnalyst(client, batch_size=batch_size), OfflineAnalyst(), cache)  # type: ignore[arg-type]
    results = await service.analyze_many(JOB, items)
    tokens = sum(r.tokens_in + r.tokens_out for r in results if isinstance(r, resume_pb2.Analysis))
    return server.calls() - before, tokens / len(items)


async def main() -> None:
    rng = random.Random(50)
    items = [
        AnalysisItem(
            structure_resume(
                "\n".join(t for _, t in resume_lines(make_person(rng), rng)), load_taxonomy(), AS_OF
            ),
            resume_pb2.RankResult(),
        )
        for _ in range(50)
    ]
    server = FakeLlm(free_port())
    server.start()
    try:
        rows = [("one resume per call, no cache", *await run(server, items, 1, None))]
        for size in (4, 8):
            rows.append((f"batches of {size}, no cache", *await run(server, items, size, None)))
        cache = MemoryCache()
        rows.append(("batches of 4, cache cold", *await run(server, items, 4, cache)))
        rows.append(("batches of 4, cache warm (same job again)", *await run(server, items, 4, cache)))
    finally:
        server.stop()
    print(f"{'50 resumes, one job':<44} {'calls':>6} {'tokens/resume':>14}")
    for name, calls, per_resume in rows:
        print(f"{name:<44} {calls:>6} {per_resume:>14.0f}")


if __name__ == "__main__":
    asyncio.run(main())
