"""Every secured REST route and every RPC, tried by every kind of caller who must be refused."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import grpc
import httpx
import jwt
from starlette.routing import BaseRoute

from screener.v1 import gateway_pb2, gateway_pb2_grpc
from services.demo.samples import SAMPLE_JOB, SAMPLE_RESUMES, render_pdf
from services.gateway.api import create_app
from services.launcher import Mesh
from tests.conftest import Account
from tests.helpers import create_job, upload, wait_for_batch


def _forged(token: str, secret: str) -> dict[str, str]:
    claims = jwt.decode(token, options={"verify_signature": False})
    now = datetime.now(UTC)
    expired = {**claims, "iat": now - timedelta(hours=2), "exp": now - timedelta(hours=1)}
    head, body, signature = token.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    fresh = {**claims, "iat": now, "exp": now + timedelta(minutes=5)}
    return {
        "anonymous": "",
        "valid": jwt.encode(fresh, secret, algorithm="HS256"),
        "expired": jwt.encode(expired, secret, algorithm="HS256"),
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
    elif (method, path) == ("post", "/api/jobs/{job_id}/demographics"):
        kwargs["files"] = [("file", ("demographics.csv", b"resume_id,sex\n", "text/csv"))]
    elif method in {"post", "patch"}:
        kwargs["json"] = {
            "/api/jobs": SAMPLE_JOB,
            "/api/jobs/{job_id}": {"title": "Renamed by someone else"},
            "/api/batches": {"job_id": ids["job_id"], "resume_ids": [ids["resume_id"]]},
            "/api/keys": {"name": "intruder"},
            "/api/resumes/{resume_id}/decision": {"decision": "reject", "note": "by someone else"},
        }.get(path, {})
    return client.request(method.upper(), url, headers=headers, **kwargs)


# Routes anyone may call. Every other route must be secured: documented as such in the OpenAPI
# document and refusing every caller without a valid credential. A route in neither fails the test.
PUBLIC = {
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/openapi.json"),
    ("get", "/docs"),
    ("get", "/docs/oauth2-redirect"),
    ("post", "/api/auth/signup"),
    ("post", "/api/auth/verify"),
    ("post", "/api/auth/resend"),
    ("post", "/api/auth/password/forgot"),
    ("post", "/api/auth/password/reset"),
    ("post", "/api/auth/login"),
    ("post", "/api/auth/refresh"),  # the refresh token in the body is the credential
    ("post", "/api/auth/logout"),  # the same: it revokes the refresh token it is given
    ("post", "/create_task"),
}
# Secured by the token /create_task hands out instead of an account's credentials.
TASK_TOKEN = {("post", "/upload_files"), ("post", "/process_task"), ("get", "/task_status")}


def _served(routes: list, prefix: str = "") -> Iterator[tuple[str, BaseRoute]]:
    """Every route with its full path, looking into included routers (FastAPI keeps them as routers)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _served(included.routes, prefix + route.include_context.prefix)  # type: ignore[attr-defined]
        elif isinstance(route, BaseRoute) and hasattr(route, "methods"):
            yield prefix + route.path, route  # type: ignore[attr-defined]


def _routes() -> set[tuple[str, str]]:
    """Every route the gateway's application serves, read from its route table, not its documentation."""
    app = create_app(None)  # type: ignore[arg-type]  # routes only read the context when called
    return {
        (method.lower(), path)
        for path, route in _served(app.routes)
        for method in route.methods  # type: ignore[attr-defined]
        if method != "HEAD"
    }


def test_every_route_is_public_by_name_or_secured_and_documented_so(mesh: Mesh) -> None:
    routes = _routes()
    assert routes >= PUBLIC and routes >= TASK_TOKEN, (PUBLIC | TASK_TOKEN) - routes  # no stale names
    spec = httpx.get(f"{mesh.http_url}/openapi.json").json()
    documented = {
        (method, path): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    }
    # Nothing served is left out of the document (a hidden route would leave the contract unseen).
    assert routes - set(documented) <= {r for r in PUBLIC if r[1] in {"/openapi.json", "/docs"}} | {
        ("get", "/docs/oauth2-redirect")
    }
    for route in sorted(routes - PUBLIC):
        assert documented[route].get("security"), f"{route} is neither public by name nor secured"
    for route in sorted(PUBLIC & set(documented)):
        assert not documented[route].get("security"), f"{route} is listed as public but documented as secured"
    # The served app answers anonymous callers the same way: refused everywhere but the public routes.
    with httpx.Client(base_url=mesh.http_url, timeout=60) as client:
        for method, path in sorted(routes - PUBLIC):
            url = re.sub(r"\{\w+\}", lambda _: str(uuid.uuid4()), path)
            answer = client.request(method.upper(), url)
            assert answer.status_code == 401, (method, path, answer.status_code)


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
    access = owner.headers["Authorization"].split()[1]
    forged = _forged(access, mesh.jwt_secret)
    callers = {**forged, "task token": task_token}
    stranger = other_account.client.headers["Authorization"].split()[1]

    with httpx.Client(base_url=mesh.http_url, timeout=60) as client:
        # Positive controls: the owner's own token and one signed with the configured secret that has
        # not expired are accepted, so the forgeries below are refused for what was changed in them.
        for token in (access, forged["valid"]):
            assert _request(client, "get", "/api/jobs/{job_id}", token, ids).status_code == 200
        del callers["valid"]
        checked = 0
        for method, path in sorted(_routes() - PUBLIC - TASK_TOKEN):
            for caller, token in callers.items():
                answer = _request(client, method, path, token or None, ids)
                assert answer.status_code == 401, (caller, method, path, answer.status_code)
                assert answer.json()["error"]["code"] in {"unauthorized", "token_reused"}
            if "{" in path or path == "/api/batches":
                # Another recruiter learns nothing: the owner's things do not exist for them.
                answer = _request(client, method, path, stranger, ids)
                assert answer.status_code == 404, (method, path, answer.status_code, answer.text)
            checked += 1
    assert checked == len(_routes() - PUBLIC - TASK_TOKEN) == 36

    # Nothing the refused callers tried changed anything.
    assert owner.get(f"/api/jobs/{job['id']}").json()["title"] == SAMPLE_JOB["title"]
    assert owner.get(f"/api/resumes/{resume_id}").json()["status"] == "completed"
    assert owner.get(f"/api/resumes/{resume_id}").json()["decision"] is None
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
        "Decide": gateway_pb2.DecideRequest(resume_id=resume_id, decision="reject"),
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
