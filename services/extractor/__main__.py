"""`python -m services.extractor`: the extractor's gRPC API and its JetStream worker."""

from __future__ import annotations

import asyncio

from nats.js import JetStreamContext
from nats.js.object_store import ObjectStore

from screener.v1 import extractor_pb2, extractor_pb2_grpc
from services.common import jetstream
from services.common.logging import configure_logging
from services.common.worker_service import WorkerParts, run_worker_service
from services.extractor.isolated import ReaderOptions
from services.extractor.reading import ReadLimits
from services.extractor.service import ExtractionService
from services.extractor.settings import ExtractorSettings
from services.extractor.transport import ExtractorServicer, ExtractStageHandler


async def main() -> None:
    settings = ExtractorSettings()
    configure_logging("extractor", settings.log_level, settings.log_json)
    options = ReaderOptions(
        ocr_dpi=settings.ocr_dpi,
        ocr_threads=settings.ocr_workers,
        ocr_language=settings.ocr_language,
        memory_limit_bytes=settings.extract_memory_limit_mb * 1024 * 1024,
        limits=ReadLimits(
            max_pages=settings.max_pages,
            max_image_pixels=settings.max_image_pixels,
            max_render_pixels=settings.max_render_pixels,
            min_font_size=settings.min_font_size,
        ),
    )
    service = ExtractionService(
        options,
        workers=settings.extract_workers,
        timeout_seconds=settings.extract_timeout_seconds,
        max_file_bytes=settings.max_file_bytes,
    )
    worker_name = settings.worker_name or jetstream.default_worker_name("extractor")

    def build(js: JetStreamContext, store: ObjectStore) -> WorkerParts:
        handler = ExtractStageHandler(service, store, worker_name)
        servicer = ExtractorServicer(service, store)
        return WorkerParts(
            grpc_service_names=[extractor_pb2.DESCRIPTOR.services_by_name["ExtractorService"].full_name],
            registrars=[
                lambda server: extractor_pb2_grpc.add_ExtractorServiceServicer_to_server(servicer, server)
            ],
            handler=handler,
            give_up=handler.give_up,
        )

    try:
        await run_worker_service(service="extractor", settings=settings, build=build)
    finally:
        service.close()


if __name__ == "__main__":
    asyncio.run(main())
