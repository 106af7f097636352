"""`python -m services.ranker`: the ranker's gRPC API and its JetStream worker."""

from __future__ import annotations

import asyncio

from nats.js import JetStreamContext
from nats.js.object_store import ObjectStore

from screener.v1 import ranker_pb2, ranker_pb2_grpc
from services.common import jetstream
from services.common.logging import configure_logging
from services.common.skills import load_taxonomy
from services.common.worker_service import WorkerParts, run_worker_service
from services.ranker.embedding import Embedder
from services.ranker.scoring import Scorer
from services.ranker.settings import RankerSettings
from services.ranker.transport import RankerServicer, RankStageHandler


async def main() -> None:
    settings = RankerSettings()
    configure_logging("ranker", settings.log_level, settings.log_json)
    embedder = Embedder(
        settings.embedding_model_path or None,
        threads=settings.torch_threads,
        cache_size=settings.embedding_cache_size,
        backend=settings.embedding_backend,
        onnx_dir=settings.embedding_onnx_dir or None,
    )
    scorer = Scorer(embedder, load_taxonomy())
    worker_name = settings.worker_name or jetstream.default_worker_name("ranker")

    def build(js: JetStreamContext, store: ObjectStore) -> WorkerParts:
        handler = RankStageHandler(scorer, worker_name)
        servicer = RankerServicer(scorer)
        return WorkerParts(
            grpc_service_names=[ranker_pb2.DESCRIPTOR.services_by_name["RankerService"].full_name],
            registrars=[lambda server: ranker_pb2_grpc.add_RankerServiceServicer_to_server(servicer, server)],
            handler=None,
            batch_handler=handler,
            batch_size=settings.batch_size,
            # Never wait for a batch to fill: under load the queue fills it, when idle latency matters.
            batch_gather_seconds=0.0,
            # Two batches at a time, like two single messages before: one embeds while the other's
            # results are published and the next batch is fetched.
            batch_concurrency=settings.worker_concurrency,
            give_up=handler.give_up,
        )

    await run_worker_service(service="ranker", settings=settings, build=build)


if __name__ == "__main__":
    asyncio.run(main())
