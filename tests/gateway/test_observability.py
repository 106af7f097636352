"""Metrics every service serves, read from the running mesh after real work went through it."""

from __future__ import annotations

import time
import uuid

import httpx

from services.demo.samples import SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh
from tests.conftest import Account
from tests.helpers import create_job, scrape, total, upload, wait_for_batch
from tests.otlp_collector import OtlpCollector, ReceivedSpan


def _grew(before: dict, after: dict, name: str, **labels: str) -> float:
    """How much a counter grew between two scrapes of the same service."""
    return total(after, name, **labels) - total(before, name, **labels)


def test_every_service_counts_its_work_and_the_gateway_its_requests_and_queues(
    mesh: Mesh, account: Account
) -> None:
    client = account.client
    job = create_job(client)
    # A line of its own makes each resume's text new to the ranker, so its passages are computed here.
    run = uuid.uuid4().hex
    files = [
        (s.filename, render_pdf([*s.lines, f"Observed run {run}"]))
        for s in SAMPLE_RESUMES
        if not s.image_only
    ][:2]
    upload(client, job["id"], files)
    # Earlier tests used the same mesh: only what this test's own batch adds is counted.
    services = ("gateway-0", "extractor-0", "ranker-0")
    before = {name: scrape(mesh, name) for name in services}
    batch = client.post("/api/batches", json={"job_id": job["id"]}).json()
    wait_for_batch(client, batch["id"])
    answer = client.get(f"/api/jobs/{job['id']}/resumes", headers={"X-Request-ID": "req-observed-1"})
    assert answer.headers["X-Request-ID"] == "req-observed-1"
    after = {name: scrape(mesh, name) for name in services}

    def grew(service: str, name: str, **labels: str) -> float:
        return _grew(before[service], after[service], name, **labels)

    gateway = "gateway-0"
    assert (
        grew(gateway, "screener_http_requests_total", route="/api/jobs/{job_id}/resumes", status="200") == 1
    )
    assert grew(gateway, "screener_http_requests_total", route="/api/batches", status="202") == 1
    assert grew(gateway, "screener_http_request_seconds_count", route="/api/batches") == 1
    assert grew(gateway, "screener_resumes_finished_total", state="completed") == 2
    # Each resume's three stage events (extraction started, extracted, ranked) reach the gateway once.
    assert grew(gateway, "screener_messages_total", consumer="gateway", outcome="acked") == 2 * 3

    extractor = "extractor-0"
    assert grew(extractor, "screener_resumes_extracted_total", outcome="ok") == 2
    assert grew(extractor, "screener_pages_total", method="text") >= 2
    assert grew(extractor, "screener_stage_seconds_count", consumer="extractor") == 2
    assert grew(extractor, "screener_queue_wait_seconds_count", consumer="extractor") == 2

    ranker = "ranker-0"
    assert grew(ranker, "screener_embeddings_total", source="computed") >= 2
    assert grew(ranker, "screener_messages_total", consumer="ranker", outcome="acked") == 2
    # Time per phase: each ranked resume observes its share of the embedding pass and of scoring.
    assert grew(ranker, "screener_phase_seconds_count", phase="embed") >= 2
    assert grew(ranker, "screener_phase_seconds_count", phase="score") >= 2
    assert grew(ranker, "screener_phase_seconds_sum", phase="embed") > 0

    # The gateway's readiness checks reach the extractor's gRPC health service.
    readiness_before = total(after[extractor], "screener_grpc_requests_total", method="Check", code="OK")
    assert httpx.get(f"{mesh.http_url}/readyz", timeout=30).status_code == 200
    readiness_after = total(
        scrape(mesh, extractor), "screener_grpc_requests_total", method="Check", code="OK"
    )
    assert readiness_after > readiness_before

    # Queue depth is sampled by the gateway every few seconds: once the batch is done, a sample taken
    # after it shows every consumer drained (an earlier sample may still show earlier tests' work).
    pending = ("screener_queue_pending", (("consumer", "extractor"),))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        sampled = scrape(mesh, gateway)
        if sampled.get(pending) == 0:
            break
        time.sleep(1)
    assert sampled[pending] == 0
    assert ("screener_dead_letters", ()) in sampled


def test_one_trace_follows_a_resume_from_the_api_through_nats_to_every_stage(
    mesh: Mesh, account: Account, collector: OtlpCollector
) -> None:
    client = account.client
    job = create_job(client)
    uploaded = upload(
        client, job["id"], [("traced.pdf", render_pdf([*SAMPLE_RESUMES[1].lines, "Traced run"]))]
    )
    resume_id = uploaded.json()["items"][0]["id"]
    batch = client.post("/api/batches", json={"job_id": job["id"]})
    assert batch.status_code == 202
    wait_for_batch(client, batch.json()["id"])

    def spans_of_the_resume() -> dict[tuple[str, str], ReceivedSpan]:
        return {
            (s.service, s.name): s
            for s in collector.snapshot()
            if ("screener.resume_id", resume_id) in s.attributes
        }

    wanted = {
        ("screener-extractor", "consume extractor"),
        ("screener-gateway", "consume gateway"),
        ("screener-ranker", "consume ranker"),
    }

    def linked() -> bool:
        """Every wanted span arrived, in one trace, and so did each one's parent (spans are exported in
        batches, so a parent may arrive after its child)."""
        found = spans_of_the_resume()
        if not wanted <= set(found) or len({found[key].trace_id for key in wanted}) != 1:
            return False
        ids = {s.span_id for s in collector.snapshot() if s.trace_id == found[next(iter(wanted))].trace_id}
        return all(found[key].parent_span_id in ids for key in wanted)

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not linked():
        time.sleep(0.5)
    found = spans_of_the_resume()
    every = [
        (s.service, s.name, s.trace_id, s.span_id, s.parent_span_id)
        for s in collector.snapshot()
        if ("screener.resume_id", resume_id) in s.attributes
    ]
    assert wanted <= set(found), every
    # One trace from the request that started the batch through every stage: the context crossed NATS.
    assert len({found[key].trace_id for key in wanted}) == 1, every
    (trace,) = {found[key].trace_id for key in wanted}
    spans = [s for s in collector.snapshot() if s.trace_id == trace]
    assert any(s.service == "screener-gateway" and s.name == "POST /api/batches" for s in spans)
    ids = {s.span_id for s in spans}
    for key in wanted:
        assert found[key].parent_span_id in ids, (found[key], every)
