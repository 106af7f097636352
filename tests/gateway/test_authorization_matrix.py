"""Every secured REST route and every RPC, tried by every kind of caller who must be refused."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import grpc
import httpx
import jwt

from screener.v1 import gateway_pb2, gateway_pb2_grpc
from services.demo.samples import SAMPLE_JOB, SAMPLE_RESUMES, render_pdf
from services.gateway.settings import DEFAULT_JWT_SECRET
from services.launcher import Mesh
from tests.conftest import Account
from tests.helpers import create_job, upload, wait_for_batch


def _forged(token: str) -> dict[str, str]:
    claims = jwt.decode(token, options={"verify_signature": False})
    now = datetime.now(UTC)
    expired = {**claims, "iat": now - timedelta(hours=2), "exp": now - timedelta(hours=1)}
    head, body, signature = token.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    return {
        "anonymous": "",
        "expired": jwt.encode(expired, DEFAULT_JWT_SECRET, algorithm="HS256"),
        "tampered": f"{head}.{body}.{flipped}",
    }


def _request(
    client: httpx.Client, method: str, path: str, token: str | None, ids: dict[str, str]
) -> httpx.Response:
    url = re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], path)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kwargs: dict = {}
    if (method, path) == ("post", "/api/jobs/{job_id}/resumes"):
        kwargs["files"] = [("files", ("cv.pdf", render_pdf(SAMPLE_RESUMES[1].lines), "application/pdf"))]
    elif method in {"post", "patch"}:
        kwargs["json"] = {
            "/api/jobs": SAMPLE_JOB,
            "/api/jobs/{job_id}": {"title": "Renamed by someone else"},
            "/api/batches": {"job_id": ids["job_id"], "resume_ids": [ids["resume_id"]]},
            "/api/keys": {"name": "intruder"},
        }.get(path, {})
    return client.request(method.upper(), url, headers=headers, **kwargs)


def test_every_secured_route_refuses_strangers_forgers_and_task_tokens(
    mesh: Mesh, account: Account, other_account: Account
) -> None:
    owner = account.client
    job = create_job(owner)
    resume_id = upload(owner, job["id"], [("a.pdf", render_pdf(SAMPLE_RESUMES[0].lines))]).json()["items"][0][
        "id"
    ]
    batch = owner.post("/api/batches", json={"job_id": job["id"]}).json()
    wait_for_batch(owner, batch["id"])
    key_id = owner.post("/api/keys", json={"name": "owner-key"}).json()["id"]
    ids = {"job_id": job["id"], "resume_id": resume_id, "batch_id": batch["id"], "key_id": key_id}
    task_token = httpx.post(f"{mesh.http_url}/create_task").json()["token"]
    callers = {**_forged(owner.headers["Authorization"].split()[1]), "task token": task_token}
    stranger = other_account.client.headers["Authorization"].split()[1]

    spec = httpx.get(f"{mesh.http_url}/openapi.json").json()
    checked = 0
    with httpx.Client(base_url=mesh.http_url, timeout=60) as client:
        for path, item in spec["paths"].items():
            for method, operation in item.items():
                if not operation.get("security") or path in {
                    "/upload_files",
                    "/process_task",
                    "/task_status",
                }:
                    continue
                for caller, token in callers.items():
                    answer = _request(client, method, path, token or None, ids)
                    assert answer.status_code == 401, (caller, method, path, answer.status_code)
                    assert answer.json()["error"]["code"] in {"unauthorized", "token_reused"}
                if "{" in path or path == "/api/batches":
                    # Another recruiter learns nothing: the owner's things do not exist for them.
                    answer = _request(client, method, path, stranger, ids)
                    assert answer.status_code == 404, (method, path, answer.status_code, answer.text)
                checked += 1
    assert checked >= 18

    # Nothing the refused callers tried changed anything.
    assert owner.get(f"/api/jobs/{job['id']}").json()["title"] == SAMPLE_JOB["title"]
    assert owner.get(f"/api/resumes/{resume_id}").json()["status"] == "completed"
    assert [k["revoked_at"] for k in owner.get("/api/keys").json()["items"]] == [None]
    assert all(j["id"] != job["id"] for j in other_account.client.get("/api/jobs").json()["items"])


def test_every_rpc_refuses_callers_without_a_key_and_hides_other_owners_things(
    mesh: Mesh, account: Account, other_account: Account
) -> None:
    owner = account.client
    job = create_job(owner)
    resume_id = upload(owner, job["id"], [("b.pdf", render_pdf(SAMPLE_RESUMES[2].lines))]).json()["items"][0][
        "id"
    ]
    batch = owner.post("/api/batches", json={"job_id": job["id"]}).json()
    wait_for_batch(owner, batch["id"])
    stranger_key = other_account.client.post("/api/keys", json={"name": "stranger"}).json()["key"]
    requests = {
        "CreateJob": gateway_pb2.CreateJobRequest(job=gateway_pb2.JobDraft(title="x")),
        "GetJob": gateway_pb2.GetJobRequest(job_id=job["id"]),
        "ListJobs": gateway_pb2.ListJobsRequest(),
        "DeleteJob": gateway_pb2.DeleteJobRequest(job_id=job["id"]),
        "StartBatch": gateway_pb2.StartBatchRequest(job_id=job["id"]),
        "GetBatch": gateway_pb2.GetBatchRequest(batch_id=batch["id"]),
        "WatchBatch": gateway_pb2.WatchBatchRequest(batch_id=batch["id"]),
        "ListResumes": gateway_pb2.ListResumesRequest(job_id=job["id"]),
        "GetResume": gateway_pb2.GetResumeRequest(resume_id=resume_id),
        "UploadResumes": None,
    }
    methods = set(gateway_pb2.DESCRIPTOR.services_by_name["ScreeningService"].methods_by_name)
    assert methods == set(requests)

    async def call(
        stub: gateway_pb2_grpc.ScreeningServiceStub, name: str, metadata: tuple
    ) -> grpc.StatusCode:
        try:
            if name == "UploadResumes":

                async def parts():  # type: ignore[no-untyped-def]
                    yield gateway_pb2.UploadResumesRequest(job_id=job["id"])
                    yield gateway_pb2.UploadResumesRequest(filename="x.pdf")
                    yield gateway_pb2.UploadResumesRequest(chunk=render_pdf(["Intruder"]))

                await stub.UploadResumes(parts(), metadata=metadata)
            elif name == "WatchBatch":
                async for _ in stub.WatchBatch(requests[name], metadata=metadata):
                    pass
            else:
                await getattr(stub, name)(requests[name], metadata=metadata)
        except grpc.aio.AioRpcError as exc:
            return exc.code()
        return grpc.StatusCode.OK

    async def run() -> None:
        async with grpc.aio.insecure_channel(mesh.grpc_address("gateway")) as channel:
            stub = gateway_pb2_grpc.ScreeningServiceStub(channel)
            access = owner.headers["Authorization"].split()[1]
            for name in sorted(methods):
                for metadata in ((), (("authorization", f"Bearer {access}"),), (("x-api-key", "sk_forged"),)):
                    assert await call(stub, name, metadata) == grpc.StatusCode.UNAUTHENTICATED, (
                        name,
                        metadata,
                    )
                code = await call(stub, name, (("x-api-key", stranger_key),))
                expected = (
                    grpc.StatusCode.OK if name in {"CreateJob", "ListJobs"} else grpc.StatusCode.NOT_FOUND
                )
                assert code == expected, (name, code)

    asyncio.run(run())
    assert owner.get(f"/api/jobs/{job['id']}").json()["total_resumes"] == 1
