"""Prometheus metrics of every service, served on their own port (METRICS_PORT, 0 = off) at /metrics.

Defined in one place so names and labels stay consistent across services; each process only moves the
ones that concern it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from opentelemetry import trace
from prometheus_client import Counter, Gauge, Histogram, start_http_server

from services.common.tracing import context_from, tracer

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
STAGE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128)

GRPC_REQUESTS = Counter("screener_grpc_requests", "gRPC calls served", ["service", "method", "code"])
GRPC_SECONDS = Histogram(
    "screener_grpc_request_seconds", "gRPC call latency", ["service", "method"], buckets=LATENCY_BUCKETS
)
HTTP_REQUESTS = Counter("screener_http_requests", "REST requests served", ["method", "route", "status"])
HTTP_SECONDS = Histogram(
    "screener_http_request_seconds", "REST request latency", ["method", "route"], buckets=LATENCY_BUCKETS
)
MESSAGES = Counter(
    "screener_messages", "Work and event messages handled, by outcome", ["consumer", "outcome"]
)
REDELIVERIES = Counter("screener_redeliveries", "Messages received more than once", ["consumer"])
QUEUE_WAIT_SECONDS = Histogram(
    "screener_queue_wait_seconds",
    "Time a message waited in its stream before a consumer took it",
    ["consumer"],
    buckets=STAGE_BUCKETS,
)
PHASE_SECONDS = Histogram(
    "screener_phase_seconds",
    "Time spent in one phase of the work: ocr_page (per page), embed and score (per resume)",
    ["phase"],
    buckets=(0.005, 0.01, 0.025, *STAGE_BUCKETS),
)
STAGE_SECONDS = Histogram(
    "screener_stage_seconds", "Time to handle one message of a stage", ["consumer"], buckets=STAGE_BUCKETS
)
QUEUE_PENDING = Gauge("screener_queue_pending", "Messages waiting for a consumer", ["consumer"])
QUEUE_ACK_PENDING = Gauge("screener_queue_ack_pending", "Messages delivered and not yet acked", ["consumer"])
QUEUE_REDELIVERED = Gauge("screener_queue_redelivered", "Redelivered messages not yet acked", ["consumer"])
DEAD_LETTERS = Gauge("screener_dead_letters", "Messages kept in the dead-letter stream")
PAGES = Counter("screener_pages", "Pages read, by how", ["method"])
RESUMES_EXTRACTED = Counter("screener_resumes_extracted", "Files extracted, by outcome", ["outcome"])
RESUMES_FINISHED = Counter("screener_resumes_finished", "Resumes reaching a final state", ["state"])
LLM_CALLS = Counter("screener_llm_calls", "Requests to the LLM provider", ["model", "outcome"])
LLM_TOKENS = Counter("screener_llm_tokens", "LLM tokens", ["model", "direction"])
LLM_COST = Counter("screener_llm_cost_usd", "Estimated LLM spend in US dollars", ["model"])
EMBEDDINGS = Counter("screener_embeddings", "Passage embeddings, by where they came from", ["source"])
ANALYSIS_CACHE = Counter("screener_analysis_cache", "Analysis cache lookups", ["result"])


def serve_metrics(port: int, host: str = "0.0.0.0") -> None:
    if port:
        start_http_server(port, addr=host)
        log.info("metrics on http://%s:%d/metrics", host, port)


class MetricsInterceptor(grpc.aio.ServerInterceptor):
    """Counts and times every unary gRPC call by method and status code, in a span that continues the
    caller's trace (traceparent in the call metadata)."""

    def __init__(self, service: str) -> None:
        self.service = service

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or (handler.unary_unary is None and handler.stream_unary is None):
            return handler
        method = str(handler_call_details.method).rsplit("/", 1)[-1]
        service = self.service
        unary = handler.unary_unary is not None
        inner = handler.unary_unary if unary else handler.stream_unary

        async def timed(request: Any, context: grpc.aio.ServicerContext) -> Any:
            started = time.perf_counter()
            failed = False
            parent = context_from(context.invocation_metadata())
            with tracer.start_as_current_span(
                f"{service}/{method}", context=parent, kind=trace.SpanKind.SERVER
            ):
                try:
                    return await inner(request, context)
                except BaseException:
                    failed = True
                    raise
                finally:
                    status = context.code()
                    code = status.name if status is not None else ("UNKNOWN" if failed else "OK")
                    GRPC_REQUESTS.labels(service, method, code).inc()
                    GRPC_SECONDS.labels(service, method).observe(time.perf_counter() - started)

        make = grpc.unary_unary_rpc_method_handler if unary else grpc.stream_unary_rpc_method_handler
        return make(
            timed,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
