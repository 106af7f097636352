"""Each service's gRPC API through a real channel: health, reflection, and its own methods."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from screener.v1 import (
    analyzer_pb2,
    analyzer_pb2_grpc,
    extractor_pb2,
    extractor_pb2_grpc,
    ranker_pb2,
    ranker_pb2_grpc,
    resume_pb2,
)
from services.demo.samples import SAMPLE_JOB, SAMPLE_RESUMES, blank_pdf, render_pdf
from services.launcher import Mesh
from tests.conftest import Account
from tests.fake_llm import FakeLlm
from tests.helpers import create_job, upload

SERVICES = {
    "extractor": "screener.v1.ExtractorService",
    "ranker": "screener.v1.RankerService",
    "analyzer": "screener.v1.AnalyzerService",
}

JOB = resume_pb2.JobSpec(
    title=str(SAMPLE_JOB["title"]),
    description=str(SAMPLE_JOB["description"]),
    required_skills=list(SAMPLE_JOB["required_skills"]),
    preferred_skills=list(SAMPLE_JOB["preferred_skills"]),
    min_years_experience=float(SAMPLE_JOB["min_years_experience"]),  # type: ignore[arg-type]
    rules=resume_pb2.KnockoutRules(required_skills="hard"),
)


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_health_reports_serving_and_reflection_lists_the_service(mesh: Mesh, service: str) -> None:
    with grpc.insecure_channel(mesh.grpc_address(service)) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for name in ("", SERVICES[service]):
            reply = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING
        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        responses = list(
            reflection.ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
            )
        )
        names = {s.name for s in responses[0].list_services_response.service}
        assert SERVICES[service] in names and "grpc.health.v1.Health" in names


def _extract(mesh: Mesh, request: extractor_pb2.ExtractRequest) -> resume_pb2.ParsedResume:
    with grpc.insecure_channel(mesh.grpc_address("extractor")) as channel:
        stub = extractor_pb2_grpc.ExtractorServiceStub(channel)
        return stub.Extract(request, timeout=60).resume


def test_extract_structures_a_text_pdf(mesh: Mesh) -> None:
    sample = SAMPLE_RESUMES[0]
    parsed = _extract(
        mesh, extractor_pb2.ExtractRequest(filename=sample.filename, content=render_pdf(sample.lines))
    )
    assert parsed.contact.name == "Ada Quinlan"
    assert parsed.contact.email == "ada.quinlan@example.com"
    assert parsed.contact.phone == "+14155550134"
    assert {link.kind for link in parsed.contact.links} == {"linkedin", "github"}
    assert [e.company for e in parsed.experience] == ["Northwind Logistics", "Bluebird Payments"]
    assert parsed.experience[0].current and parsed.experience[0].start.year == 2021
    assert parsed.experience[1].duration_months == 58
    assert "Python" in {s.name for s in parsed.skills}
    assert any(s.name == "Apache Kafka" and s.raw == "Kafka" for s in parsed.skills)
    assert parsed.education[0].institution.startswith("B.S. in Computer Science, University of Washington")
    assert parsed.projects[0].name == "Queue Inspector"
    assert parsed.total_years_experience >= 10
    assert parsed.stats.method == "text" and parsed.stats.ocr_pages == 0


def test_present_in_a_resume_means_the_month_the_caller_names(mesh: Mesh) -> None:
    sample = SAMPLE_RESUMES[0]
    content = render_pdf(sample.lines)
    reads = {
        year: _extract(
            mesh,
            extractor_pb2.ExtractRequest(
                filename=sample.filename, content=content, as_of=resume_pb2.YearMonth(year=year, month=6)
            ),
        )
        for year in (2030, 2031)
    }
    for year, parsed in reads.items():
        current = parsed.experience[0]
        assert current.current and (current.end.year, current.end.month) == (year, 6)
    assert reads[2031].experience[0].duration_months - reads[2030].experience[0].duration_months == 12
    assert reads[2031].total_years_experience - reads[2030].total_years_experience == pytest.approx(1.0)
    with pytest.raises(grpc.RpcError) as refused:
        _extract(
            mesh,
            extractor_pb2.ExtractRequest(content=content, as_of=resume_pb2.YearMonth(year=2030, month=13)),
        )
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_extract_reads_an_image_only_pdf_by_ocr(mesh: Mesh) -> None:
    sample = next(s for s in SAMPLE_RESUMES if s.image_only)
    parsed = _extract(
        mesh,
        extractor_pb2.ExtractRequest(
            filename=sample.filename, content=render_pdf(sample.lines, image_only=True)
        ),
    )
    assert parsed.stats.method == "ocr" and parsed.stats.ocr_pages == 1
    assert parsed.stats.ocr_confidence > 60
    assert parsed.contact.name == "Eliza Park"
    assert {"Python", "PostgreSQL", "Docker"} <= {s.name for s in parsed.skills}


def test_extract_by_content_address_reads_the_object_store(mesh: Mesh, account: Account) -> None:
    sample = SAMPLE_RESUMES[1]
    job = create_job(account.client)
    sha256 = upload(account.client, job["id"], [(sample.filename, render_pdf(sample.lines))]).json()["items"][
        0
    ]["sha256"]
    parsed = _extract(mesh, extractor_pb2.ExtractRequest(filename=sample.filename, file_sha256=sha256))
    assert parsed.contact.name == "Bruno Takeda"
    with pytest.raises(grpc.RpcError) as missing:
        _extract(mesh, extractor_pb2.ExtractRequest(file_sha256="0" * 64))
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


def test_extract_errors_map_to_grpc_status_codes(mesh: Mesh) -> None:
    with pytest.raises(grpc.RpcError) as no_text:
        _extract(mesh, extractor_pb2.ExtractRequest(filename="blank.pdf", content=blank_pdf()))
    assert no_text.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "no_text" in (no_text.value.details() or "")
    with pytest.raises(grpc.RpcError) as bad:
        _extract(mesh, extractor_pb2.ExtractRequest(filename="x.pdf", content=b"hello"))
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as nothing:
        _extract(mesh, extractor_pb2.ExtractRequest(filename="x.pdf"))
    assert nothing.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_rank_scores_are_deterministic_and_explained(mesh: Mesh) -> None:
    strong = _extract(mesh, extractor_pb2.ExtractRequest(content=render_pdf(SAMPLE_RESUMES[0].lines)))
    unrelated = _extract(mesh, extractor_pb2.ExtractRequest(content=render_pdf(SAMPLE_RESUMES[-1].lines)))
    with grpc.insecure_channel(mesh.grpc_address("ranker")) as channel:
        stub = ranker_pb2_grpc.RankerServiceStub(channel)
        first = stub.Rank(ranker_pb2.RankRequest(job=JOB, resume=strong), timeout=60).result
        again = stub.Rank(ranker_pb2.RankRequest(job=JOB, resume=strong), timeout=60).result
        weak = stub.Rank(ranker_pb2.RankRequest(job=JOB, resume=unrelated), timeout=60).result
        with pytest.raises(grpc.RpcError) as invalid:
            stub.Rank(ranker_pb2.RankRequest(job=JOB, resume=resume_pb2.ParsedResume()), timeout=10)
    assert first == again
    assert 0 <= weak.final_score < first.final_score <= 100
    assert first.passed and list(first.matched_required) == ["Python", "PostgreSQL", "Docker"]
    assert not weak.passed and "missing required skill: Docker" in weak.reasons
    assert {item.kind for item in first.items} == {"experience", "project"}
    assert all(0 <= item.score <= 100 for item in first.items)
    assert first.explanation.startswith(f"Score {first.final_score:.1f} = ")
    assert round(sum(term.contribution for term in first.terms), 1) == first.final_score
    assert first.summary.startswith("Strong match: 3 of 3 required skills")
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_analyze_calls_the_model_once_and_then_serves_the_shared_cache(mesh: Mesh, llm: FakeLlm) -> None:
    resume = _extract(mesh, extractor_pb2.ExtractRequest(content=render_pdf(SAMPLE_RESUMES[2].lines)))
    with grpc.insecure_channel(mesh.grpc_address("ranker")) as channel:
        rank = (
            ranker_pb2_grpc.RankerServiceStub(channel)
            .Rank(ranker_pb2.RankRequest(job=JOB, resume=resume), timeout=60)
            .result
        )
    request = analyzer_pb2.AnalyzeRequest(job=JOB, resume=resume, rank=rank)
    with grpc.insecure_channel(mesh.grpc_address("analyzer")) as channel:
        stub = analyzer_pb2_grpc.AnalyzerServiceStub(channel)
        before = llm.calls()
        first = stub.Analyze(request, timeout=60).analysis
        assert llm.calls() == before + 1
        second = stub.Analyze(request, timeout=60).analysis
        assert llm.calls() == before + 1  # the second run made no call
    assert not first.offline and first.model == "fake-model" and not first.cached
    assert first.tokens_in > 0 and first.tokens_out > 0
    assert second.cached and second.tokens_in == 0 and second.summary == first.summary
    # Quotes the resume does not contain are dropped from the evidence.
    assert "a sentence the resume never contains" not in first.evidence
    assert all(q.lower() in " ".join(resume.full_text.split()).lower() for q in first.evidence)
    assert {item.kind for item in first.items} == {"experience"}
