"""OpenTelemetry traces across the mesh: gateway -> NATS -> workers -> gateway.

Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; then spans are exported over OTLP/gRPC. Trace context
travels in NATS message headers and gRPC metadata (W3C traceparent), with the request and resume ids
beside it so the JSON logs of every service can be joined.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping

from opentelemetry import propagate, trace
from opentelemetry.context import Context

log = logging.getLogger(__name__)

REQUEST_ID = "Screener-Request-Id"
RESUME_ID = "Screener-Resume-Id"

tracer = trace.get_tracer("screener")


def setup_tracing(service: str) -> bool:
    """Export this process's spans when an OTLP endpoint is configured; returns whether it does."""
    if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return False
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create(
        {
            "service.name": f"screener-{service}",
            "service.namespace": os.environ.get("OTEL_SERVICE_NAMESPACE", "screener"),
            "service.instance.id": os.environ.get("WORKER_NAME", ""),
        }
    )
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    log.info("exporting traces to %s", os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"])
    return True


def shutdown_tracing() -> None:
    provider = trace.get_tracer_provider()
    shutdown = getattr(provider, "shutdown", None)
    if shutdown is not None:
        shutdown()


def carrier(**ids: str) -> dict[str, str]:
    """Headers for an outgoing message or call: the current trace context and the given ids."""
    headers: dict[str, str] = {}
    propagate.inject(headers)
    for key, value in ((REQUEST_ID, ids.get("request_id", "")), (RESUME_ID, ids.get("resume_id", ""))):
        if value:
            headers[key] = value
    return headers


def context_from(headers: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> Context:
    if headers is None:
        return Context()
    items = headers.items() if isinstance(headers, Mapping) else headers
    return propagate.extract({str(k).lower(): str(v) for k, v in items})


def trace_id() -> str:
    span = trace.get_current_span().get_span_context()
    return format(span.trace_id, "032x") if span.is_valid else ""
