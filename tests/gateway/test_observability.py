"""Metrics every service serves, read from the running mesh after real work went through it."""

from __future__ import annotations

import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

from services.demo.samples import SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh
from tests.conftest import Account
from tests.helpers import create_job, upload, wait_for_batch
from tests.otlp_collector import OtlpCollector, ReceivedSpan


def scrape(mesh: Mesh, name: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(mesh.metrics_url(name), timeout=10).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def total(samples: dict, name: str, **labels: str) -> float:
    return sum(
        value
        for (sample, sample_labels), value in samples.items()
        if sample == name and all(dict(sample_labels).get(k) == v for k, v in labels.items())
    )


def test_every_service_counts_its_work_and_the_gateway_its_requests_and_queues(
    mesh: Mesh, account: Account
) -> None:
    client = account.client
    job = create_job(client)
    files = [(s.filename, render_pdf(s.lines)) for s in SAMPLE_RESUMES if not s.image_only][:2]
    upload(client, job["id"], files)
    batch = client.post("/api/batches", json={"job_id": job["id"]}).json()
    wait_for_batch(client, batch["id"])
    answer = client.get(f"/api/jobs/{job['id']}/resumes", headers={"X-Request-ID": "req-observed-1"})
    assert answer.headers["X-Request-ID"] == "req-observed-1"

    gateway = scrape(mesh, "gateway-0")
    assert (
        total(gateway, "screener_http_requests_total", route="/api/jobs/{job_id}/resumes", status="200") >= 1
    )
    assert total(gateway, "screener_http_requests_total", route="/api/batches", status="202") >= 1
    assert total(gateway, "screener_http_request_seconds_count", route="/api/jobs") >= 1
    assert total(gateway, "screener_resumes_finished_total", state="completed") >= 2
    assert total(gateway, "screener_messages_total", consumer="gateway", outcome="acked") >= 6

    extractor = scrape(mesh, "extractor-0")
    assert total(extractor, "screener_resumes_extracted_total", outcome="ok") >= 2
    assert total(extractor, "screener_pages_total", method="text") >= 2
    assert total(extractor, "screener_stage_seconds_count", consumer="extractor") >= 2
    # The gateway's readiness checks reach the extractor's gRPC health service.
    assert total(extractor, "screener_grpc_requests_total", method="Check", code="OK") >= 1

    ranker = scrape(mesh, "ranker-0")
    assert total(ranker, "screener_embeddings_total", source="computed") >= 2
    assert total(ranker, "screener_messages_total", consumer="ranker", outcome="acked") >= 2

    # Queue depth is sampled by the gateway: once the batch is done every consumer is drained.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        gateway = scrape(mesh, "gateway-0")
        if ("screener_queue_pending", (("consumer", "extractor"),)) in gateway:
            break
        time.sleep(1)
    assert gateway[("screener_queue_pending", (("consumer", "extractor"),))] == 0
    assert ("screener_dead_letters", ()) in gateway


def test_one_trace_follows_a_resume_from_the_api_through_nats_to_every_stage(
    mesh: Mesh, account: Account, collector: OtlpCollector
) -> None:
    client = account.client
    job = create_job(client)
    upload(client, job["id"], [("traced.pdf", render_pdf([*SAMPLE_RESUMES[1].lines, "Traced run"]))])
    batch = client.post("/api/batches", json={"job_id": job["id"]})
    assert batch.status_code == 202
    wait_for_batch(client, batch.json()["id"])

    def trace_of_the_batch() -> list[ReceivedSpan]:
        spans = collector.snapshot()
        start = [s for s in spans if s.service == "screener-gateway" and s.name == "POST /api/batches"]
        return [s for s in spans if start and s.trace_id == start[-1].trace_id]

    deadline = time.monotonic() + 30
    spans: list[ReceivedSpan] = []
    while time.monotonic() < deadline:
        spans = trace_of_the_batch()
        if {("screener-extractor", "consume extractor"), ("screener-ranker", "consume ranker")} <= {
            (s.service, s.name) for s in spans
        }:
            break
        time.sleep(0.5)
    seen = {(s.service, s.name) for s in spans}
    assert ("screener-extractor", "consume extractor") in seen, seen
    assert ("screener-gateway", "consume gateway") in seen, seen
    assert ("screener-ranker", "consume ranker") in seen, seen
    # Each consumer span continues a span of the same trace: the context crossed NATS in the headers.
    ids = {s.span_id for s in spans}
    for span in spans:
        if span.name.startswith("consume "):
            assert span.parent_span_id in ids, span
