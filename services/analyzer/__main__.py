"""`python -m services.analyzer`: the analyzer's gRPC API and its JetStream batch worker."""

from __future__ import annotations

import asyncio
import logging

from nats.js import JetStreamContext
from nats.js.object_store import ObjectStore

from screener.v1 import analyzer_pb2, analyzer_pb2_grpc
from services.analyzer.analysis import LlmAnalyst, OfflineAnalyst
from services.analyzer.llm import CircuitBreaker, LlmClient
from services.analyzer.service import AnalysisCache, AnalysisService
from services.analyzer.settings import AnalyzerSettings
from services.analyzer.transport import AnalyzeBatchHandler, AnalyzerServicer
from services.common import jetstream
from services.common.grpc_server import LANGUAGE_MODEL_CAPABILITY
from services.common.logging import configure_logging
from services.common.worker_service import WorkerParts, run_worker_service


def build_service(settings: AnalyzerSettings) -> AnalysisService:
    """The LLM analysis (cached, batched) when an API key is configured, the offline one otherwise."""
    if not settings.openai_api_key:
        logging.getLogger(__name__).info("no OPENAI_API_KEY: using the offline analysis")
        return AnalysisService(None, OfflineAnalyst(), None)
    client = LlmClient(
        settings.openai_base_url,
        settings.openai_api_key,
        settings.model,
        timeout=settings.request_timeout_seconds,
        attempts=settings.attempts,
        breaker=CircuitBreaker(settings.breaker_threshold, settings.breaker_reset_seconds),
        price_per_mtok=(settings.price_in_per_mtok, settings.price_out_per_mtok),
    )
    llm = LlmAnalyst(client, batch_size=settings.batch_size, context_tokens=settings.context_tokens)
    return AnalysisService(
        llm, OfflineAnalyst(), AnalysisCache(settings.gateway_internal_addr, settings.internal_api_token)
    )


async def main() -> None:
    settings = AnalyzerSettings()
    configure_logging("analyzer", settings.log_level, settings.log_json)
    service = build_service(settings)
    worker_name = settings.worker_name or jetstream.default_worker_name("analyzer")

    def build(js: JetStreamContext, store: ObjectStore) -> WorkerParts:
        handler = AnalyzeBatchHandler(service, worker_name)
        servicer = AnalyzerServicer(service)
        return WorkerParts(
            grpc_service_names=[analyzer_pb2.DESCRIPTOR.services_by_name["AnalyzerService"].full_name],
            registrars=[
                lambda server: analyzer_pb2_grpc.add_AnalyzerServiceServicer_to_server(servicer, server)
            ],
            handler=None,
            batch_handler=handler,
            batch_size=settings.batch_size,
            give_up=handler.give_up,
            capabilities=[LANGUAGE_MODEL_CAPABILITY] if service.llm is not None else [],
        )

    await run_worker_service(service="analyzer", settings=settings, build=build)


if __name__ == "__main__":
    asyncio.run(main())
