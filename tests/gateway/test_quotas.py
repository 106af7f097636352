"""Quotas per account: resumes stored, bytes stored and batches per hour, refused with the quota named and
the usage counted (a file over a storage quota alone; 403 when none fits; 429 with Retry-After for
batches), and reported by GET /api/account/usage. The account's bounds are set as an operator sets them."""

from __future__ import annotations

import asyncio
import uuid

from services.demo.samples import SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh
from tests.conftest import Account
from tests.helpers import connect_db, create_job, upload, wait_for_batch


async def _operator(mesh: Mesh, email: str, **quotas: int) -> None:
    conn = await connect_db(mesh)
    try:
        for column, value in quotas.items():
            await conn.execute(f"UPDATE users SET {column} = $1 WHERE email = $2", value, email)
    finally:
        await conn.close()


def _file(n: int) -> tuple[str, bytes]:
    return f"cv{n}.pdf", render_pdf([*SAMPLE_RESUMES[n % 3].lines, f"Reference {uuid.uuid4().hex}"])


def test_storage_and_batch_quotas_are_named_when_reached(account: Account, mesh: Mesh) -> None:
    client = account.client
    asyncio.run(_operator(mesh, account.email, quota_resumes=3, quota_batches_per_hour=2))
    job = create_job(client)
    usage = client.get("/api/account/usage").json()
    assert usage["resumes"] == {"used": 0, "limit": 3}
    assert usage["batches_last_hour"] == {"used": 0, "limit": 2}

    assert upload(client, job["id"], [_file(0), _file(1)]).status_code == 201
    partly = upload(client, job["id"], [_file(2), _file(3), _file(4)]).json()["items"]
    assert [bool(item["error"]) for item in partly] == [False, True, True]
    assert partly[1]["error"]["code"] == "quota_exceeded"
    assert partly[1]["error"]["message"] == "resumes stored: 3 of this account's 3"
    refused = upload(client, job["id"], [_file(5)])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "quota_exceeded"
    assert "resumes stored: 3 of this account's 3" in refused.json()["error"]["message"]

    held = client.get("/api/account/usage").json()["storage_bytes"]["used"]
    asyncio.run(_operator(mesh, account.email, quota_resumes=100, quota_bytes=held + 10))
    too_big = upload(client, job["id"], [_file(6)])
    assert too_big.status_code == 403 and f"storage: {held:,} of this account's {held + 10:,}" in too_big.text

    first = client.post("/api/batches", json={"job_id": job["id"]}).json()
    wait_for_batch(client, first["id"])
    ids = [row["id"] for row in client.get(f"/api/jobs/{job['id']}/resumes").json()["items"]]
    second = client.post("/api/batches", json={"job_id": job["id"], "resume_ids": ids[:1]})
    assert second.status_code == 202
    wait_for_batch(client, second.json()["id"])
    third = client.post("/api/batches", json={"job_id": job["id"], "resume_ids": ids[:1]})
    assert third.status_code == 429 and third.json()["error"]["code"] == "quota_exceeded"
    assert "batches started in the last hour: 2 of this account's 2" in third.json()["error"]["message"]
    assert 1 <= int(third.headers["retry-after"]) <= 3601
    usage = client.get("/api/account/usage").json()
    assert usage["resumes"]["used"] == 3 and usage["batches_last_hour"] == {"used": 2, "limit": 2}
