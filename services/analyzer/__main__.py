"""`python -m services.analyzer`: the analyzer's gRPC API and its JetStream worker."""

from __future__ import annotations

import asyncio
import logging

from nats.js import JetStreamContext
from nats.js.object_store import ObjectStore

from screener.v1 import analyzer_pb2, analyzer_pb2_grpc
from services.analyzer.analysis import Analyst, LlmAnalyst, OfflineAnalyst
from services.analyzer.settings import AnalyzerSettings
from services.analyzer.transport import AnalyzerServicer, AnalyzeStageHandler
from services.common import nats as screener_nats
from services.common.logging import configure_logging
from services.common.worker_service import WorkerParts, run_worker_service


def build_analyst(settings: AnalyzerSettings) -> Analyst:
    """The LLM analyst when an API key is configured, the offline one otherwise."""
    if settings.openai_api_key:
        return LlmAnalyst(
            settings.openai_base_url,
            settings.openai_api_key,
            settings.model,
            timeout=settings.request_timeout_seconds,
            max_retries=settings.max_retries,
        )
    logging.getLogger(__name__).info("no OPENAI_API_KEY: using the offline analysis")
    return OfflineAnalyst()


async def main() -> None:
    settings = AnalyzerSettings()
    configure_logging("analyzer", settings.log_level, settings.log_json)
    analyst = build_analyst(settings)
    worker_name = settings.worker_name or screener_nats.default_worker_name("analyzer")

    def build(js: JetStreamContext, store: ObjectStore) -> WorkerParts:
        handler = AnalyzeStageHandler(analyst, worker_name)
        servicer = AnalyzerServicer(analyst)
        return WorkerParts(
            grpc_service_names=[analyzer_pb2.DESCRIPTOR.services_by_name["AnalyzerService"].full_name],
            registrars=[
                lambda server: analyzer_pb2_grpc.add_AnalyzerServiceServicer_to_server(servicer, server)
            ],
            handler=handler,
            give_up=handler.give_up,
        )

    await run_worker_service(service="analyzer", settings=settings, build=build)


if __name__ == "__main__":
    asyncio.run(main())
