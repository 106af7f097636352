"""The gRPC ScreeningService through a real channel to the running gateway, with per-client API keys."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from screener.v1 import gateway_pb2, gateway_pb2_grpc, resume_pb2
from services.demo.samples import SAMPLE_JOB, SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh
from tests.conftest import Account

CHUNK = 256 * 1024


def _draft(**overrides: object) -> gateway_pb2.JobDraft:
    fields = {**SAMPLE_JOB, **overrides}
    return gateway_pb2.JobDraft(
        title=str(fields["title"]),
        description=str(fields["description"]),
        required_skills=list(fields["required_skills"]),  # type: ignore[call-overload]
        preferred_skills=list(fields["preferred_skills"]),  # type: ignore[call-overload]
        min_years_experience=float(fields["min_years_experience"]),  # type: ignore[arg-type]
        weights=resume_pb2.ScoringWeights(title=0.2),
        rules=resume_pb2.KnockoutRules(min_years="soft"),
    )


def _key(account: Account, name: str = "ats-sync") -> str:
    response = account.client.post("/api/keys", json={"name": name})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["key"].startswith("sk_") and body["key"].startswith(body["prefix"])
    return str(body["key"])


def _auth(key: str) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer {key}"),)


async def _parts(
    job_id: str, files: list[tuple[str, bytes]]
) -> AsyncIterator[gateway_pb2.UploadResumesRequest]:
    yield gateway_pb2.UploadResumesRequest(job_id=job_id)
    for name, content in files:
        yield gateway_pb2.UploadResumesRequest(filename=name)
        for start in range(0, len(content), CHUNK):
            yield gateway_pb2.UploadResumesRequest(chunk=content[start : start + CHUNK])


def _run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_api_keys_are_listed_without_secrets_scoped_and_revocable(
    mesh: Mesh, account: Account, other_account: Account
) -> None:
    key = _key(account)
    refused = account.client.post("/api/keys", json={"name": "nul\u0000byte"})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_input"
    listed = account.client.get("/api/keys").json()["items"]
    assert len(listed) == 1 and "key" not in listed[0] and listed[0]["revoked_at"] is None
    key_id = listed[0]["id"]
    assert other_account.client.get("/api/keys").json()["items"] == []
    assert other_account.client.delete(f"/api/keys/{key_id}").status_code == 404

    async def calls() -> None:
        async with grpc.aio.insecure_channel(mesh.grpc_address("gateway")) as channel:
            stub = gateway_pb2_grpc.ScreeningServiceStub(channel)
            await stub.ListJobs(gateway_pb2.ListJobsRequest(), metadata=(("x-api-key", key),))
            for metadata in ((), _auth("sk_" + "x" * 43), _auth("not-a-key")):
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await stub.ListJobs(gateway_pb2.ListJobsRequest(), metadata=metadata)
                assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            assert account.client.delete(f"/api/keys/{key_id}").status_code == 204
            with pytest.raises(grpc.aio.AioRpcError) as revoked:
                await stub.ListJobs(gateway_pb2.ListJobsRequest(), metadata=_auth(key))
            assert revoked.value.code() == grpc.StatusCode.UNAUTHENTICATED

    _run(calls())
    listed = account.client.get("/api/keys").json()["items"]
    assert listed[0]["revoked_at"] is not None and listed[0]["last_used_at"] is not None


def test_health_and_reflection_name_the_screening_service(mesh: Mesh) -> None:
    async def calls() -> None:
        async with grpc.aio.insecure_channel(mesh.grpc_address("gateway")) as channel:
            health = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service="screener.v1.ScreeningService")
            )
            assert health.status == health_pb2.HealthCheckResponse.SERVING
            stream = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
                iter([reflection_pb2.ServerReflectionRequest(list_services="")])
            )
            responses = [response async for response in stream]
            assert len(responses) == 1, responses
            names = {s.name for s in responses[0].list_services_response.service}
            assert {"screener.v1.ScreeningService", "grpc.health.v1.Health"} <= names

    _run(calls())


def test_screening_over_grpc_end_to_end_with_progress_stream_and_isolation(
    mesh: Mesh, account: Account, other_account: Account
) -> None:
    key, foreign_key = _key(account), _key(other_account, "other-team")
    samples = [s for s in SAMPLE_RESUMES if not s.image_only][:3]
    files = [(s.filename, render_pdf(s.lines)) for s in samples]
    # A file larger than one gRPC message (4 MiB by default): it only arrives whole because it is chunked.
    big = render_pdf(samples[0].lines) + b"\n%" + os.urandom(5 * 1024 * 1024)

    async def calls() -> None:
        async with grpc.aio.insecure_channel(mesh.grpc_address("gateway")) as channel:
            stub = gateway_pb2_grpc.ScreeningServiceStub(channel)
            auth, foreign = _auth(key), _auth(foreign_key)

            with pytest.raises(grpc.aio.AioRpcError) as invalid:
                await stub.CreateJob(gateway_pb2.CreateJobRequest(job=_draft(title="")), metadata=auth)
            assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "title" in (invalid.value.details() or "")

            with pytest.raises(grpc.aio.AioRpcError) as unstorable:
                await stub.CreateJob(
                    gateway_pb2.CreateJobRequest(job=_draft(title="Engineer\x00")), metadata=auth
                )
            assert unstorable.value.code() == grpc.StatusCode.INVALID_ARGUMENT

            job = await stub.CreateJob(gateway_pb2.CreateJobRequest(job=_draft()), metadata=auth)
            assert job.spec.title == SAMPLE_JOB["title"] and job.total_resumes == 0
            assert job.spec.weights.title == pytest.approx(0.2) and not job.spec.weights.HasField("semantic")
            assert job.spec.rules.min_years == "soft"
            listed = await stub.ListJobs(gateway_pb2.ListJobsRequest(), metadata=auth)
            assert [j.id for j in listed.jobs] == [job.id]
            assert job.id not in {
                j.id for j in (await stub.ListJobs(gateway_pb2.ListJobsRequest(), metadata=foreign)).jobs
            }
            with pytest.raises(grpc.aio.AioRpcError) as hidden:
                await stub.GetJob(gateway_pb2.GetJobRequest(job_id=job.id), metadata=foreign)
            assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
            with pytest.raises(grpc.aio.AioRpcError) as malformed:
                await stub.GetJob(gateway_pb2.GetJobRequest(job_id="job-1"), metadata=auth)
            assert malformed.value.code() == grpc.StatusCode.INVALID_ARGUMENT

            with pytest.raises(grpc.aio.AioRpcError) as foreign_upload:
                await stub.UploadResumes(_parts(job.id, files[:1]), metadata=foreign)
            assert foreign_upload.value.code() == grpc.StatusCode.NOT_FOUND
            with pytest.raises(grpc.aio.AioRpcError) as no_job:
                await stub.UploadResumes(_no_job(), metadata=auth)
            assert no_job.value.code() == grpc.StatusCode.INVALID_ARGUMENT

            uploaded = await stub.UploadResumes(
                _parts(job.id, [*files, ("notes.pdf", b"these are notes, not a resume"), ("big.pdf", big)]),
                metadata=auth,
            )
            by_name = {item.filename: item for item in uploaded.items}
            assert [by_name[name].status for name, _ in files] == ["uploaded"] * 3
            assert by_name["notes.pdf"].error_code == "bad_file" and not by_name["notes.pdf"].resume_id
            assert by_name["big.pdf"].resume_id and not by_name["big.pdf"].error_code

            resume_ids = [by_name[name].resume_id for name, _ in files]
            batch = await stub.StartBatch(
                gateway_pb2.StartBatchRequest(job_id=job.id, resume_ids=resume_ids), metadata=auth
            )
            assert (batch.total, batch.status) == (3, "running")
            with pytest.raises(grpc.aio.AioRpcError) as foreign_watch:
                async for _ in stub.WatchBatch(
                    gateway_pb2.WatchBatchRequest(batch_id=batch.id), metadata=foreign
                ):
                    pass
            assert foreign_watch.value.code() == grpc.StatusCode.NOT_FOUND

            updates = [
                u
                async for u in stub.WatchBatch(
                    gateway_pb2.WatchBatchRequest(batch_id=batch.id), metadata=auth
                )
            ]
            assert updates[-1].batch.status == "done" and updates[-1].batch.completed == 3
            finished = [row for update in updates for row in update.finished]
            assert sorted(row.id for row in finished) == sorted(resume_ids)
            assert all(row.status == "completed" and row.HasField("final_score") for row in finished)
            progress = [u.batch.completed + u.batch.failed for u in updates]
            assert progress == sorted(progress)

            ranked = await stub.ListResumes(
                gateway_pb2.ListResumesRequest(job_id=job.id, status="completed"), metadata=auth
            )
            assert ranked.total == 3 and [row.rank for row in ranked.items] == [1, 2, 3]
            scores = [row.final_score for row in ranked.items]
            assert scores == sorted(scores, reverse=True)
            passing = await stub.ListResumes(
                gateway_pb2.ListResumesRequest(job_id=job.id, passed=True, page_size=1), metadata=auth
            )
            # The filter keeps exactly the resumes that pass, one per page here.
            assert passing.total == sum(row.passed for row in ranked.items) >= 1
            assert len(passing.items) == 1 and passing.items[0].passed
            with pytest.raises(grpc.aio.AioRpcError) as bad_sort:
                await stub.ListResumes(
                    gateway_pb2.ListResumesRequest(job_id=job.id, sort="age"), metadata=auth
                )
            assert bad_sort.value.code() == grpc.StatusCode.INVALID_ARGUMENT

            top = ranked.items[0]
            detail = await stub.GetResume(gateway_pb2.GetResumeRequest(resume_id=top.id), metadata=auth)
            assert detail.row.rank == 1 and detail.job_id == job.id and detail.batch_id == batch.id
            assert detail.parsed.contact.name == top.candidate_name and detail.parsed.skills
            assert detail.ranking.final_score == pytest.approx(top.final_score)
            assert detail.ranking.reasons and "extract" in detail.stage_seconds
            with pytest.raises(grpc.aio.AioRpcError) as foreign_detail:
                await stub.GetResume(gateway_pb2.GetResumeRequest(resume_id=top.id), metadata=foreign)
            assert foreign_detail.value.code() == grpc.StatusCode.NOT_FOUND

            counted = await stub.GetJob(gateway_pb2.GetJobRequest(job_id=job.id), metadata=auth)
            assert (counted.total_resumes, counted.completed_resumes) == (4, 3)
            await stub.DeleteJob(gateway_pb2.DeleteJobRequest(job_id=job.id), metadata=auth)
            with pytest.raises(grpc.aio.AioRpcError) as gone:
                await stub.GetBatch(gateway_pb2.GetBatchRequest(batch_id=batch.id), metadata=auth)
            assert gone.value.code() == grpc.StatusCode.NOT_FOUND

    _run(calls())


async def _no_job() -> AsyncIterator[gateway_pb2.UploadResumesRequest]:
    yield gateway_pb2.UploadResumesRequest(filename="a.pdf")
