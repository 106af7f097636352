"""Retention: a closed job's resumes are erased once the account's retention period has passed, never
while the job is on legal hold; the sweep runs on its own schedule, is idempotent, and is recorded."""

from __future__ import annotations

import time

from services.demo.samples import SAMPLE_RESUMES, render_pdf
from tests.conftest import Account
from tests.helpers import create_job, upload, wait_for_batch


def _wait(predicate, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def test_a_closed_job_keeps_its_resumes_for_the_period_and_on_hold(account: Account) -> None:
    client = account.client
    assert client.get("/api/account/retention").json() == {
        "retention_days": 730,
        "default_days": 730,
        "custom": False,
    }
    assert client.put("/api/account/retention", json={"retention_days": 4000}).status_code == 422
    key = client.post("/api/keys", json={"name": "k"}).json()["key"]
    as_key = client.put(
        "/api/account/retention", json={"retention_days": 1}, headers={"Authorization": f"Bearer {key}"}
    )
    assert as_key.status_code == 403

    job = create_job(client)
    kept = create_job(client, title="Still open")
    files = [(f"r{i}.pdf", render_pdf(SAMPLE_RESUMES[i].lines)) for i in range(2)]
    ids = [item["id"] for item in upload(client, job["id"], files).json()["items"]]
    upload(client, kept["id"], files[:1])
    for each in (job, kept):
        wait_for_batch(client, client.post("/api/batches", json={"job_id": each["id"]}).json()["id"])

    # Closed with a legal hold, under a retention of 0 days: the sweeps (every second here) keep it all.
    closed = client.patch(f"/api/jobs/{job['id']}", json={"closed": True, "legal_hold": True}).json()
    assert closed["closed_at"] and closed["legal_hold"]
    assert client.put("/api/account/retention", json={"retention_days": 0}).json()["custom"]
    time.sleep(3)
    assert client.get(f"/api/jobs/{job['id']}").json()["total_resumes"] == 2

    # The hold lifted, the resumes go; the job stays, closed; an open job is untouched.
    client.patch(f"/api/jobs/{job['id']}", json={"legal_hold": False}).raise_for_status()
    assert _wait(lambda: client.get(f"/api/jobs/{job['id']}").json()["total_resumes"] == 0)
    assert all(client.get(f"/api/resumes/{i}").status_code == 404 for i in ids)
    assert client.get(f"/api/jobs/{kept['id']}").json()["total_resumes"] == 1
    time.sleep(2)  # more sweeps: nothing more to do
    swept = client.get("/api/audit", params={"action": "retention"}).json()["items"]
    assert [e["action"] for e in swept] == ["retention.changed", "retention.swept"]
    assert swept[1]["actor_id"] is None and swept[1]["details"]["resumes"] == 2
    assert swept[1]["object_id"] == job["id"]
    updates = client.get("/api/audit", params={"action": "job.updated", "object_id": job["id"]}).json()[
        "items"
    ]
    assert updates[0]["details"]["changed"] == ["closed", "legal_hold"]

    reopened = client.patch(f"/api/jobs/{job['id']}", json={"closed": False}).json()
    assert reopened["closed_at"] is None
    client.put("/api/account/retention", json={"retention_days": None}).raise_for_status()
    assert client.get("/api/account/retention").json()["retention_days"] == 730
