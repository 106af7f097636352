"""A recruiter's small batch is not queued behind another tenant's large one: the dispatcher sends work
round-robin by owner and keeps at most DISPATCH_WINDOW resumes in progress, so the small batch waits
behind that window, not behind the whole large batch."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime

import httpx

from services.demo.mailbox import MailSink
from services.demo.samples import SAMPLE_JOB
from services.launcher import Mesh
from tests.faults.conftest import resume_files
from tests.helpers import connect_db, wait_for_batch
from tests.security.conftest import signed_up

LARGE, SMALL = 200, 5
WINDOW = 16  # DISPATCH_WINDOW's default


def _completed(client: httpx.Client, job_id: str) -> int:
    return int(client.get(f"/api/jobs/{job_id}").json()["completed_resumes"])


async def _finished_between(mesh: Mesh, job_id: str, start: datetime, end: datetime) -> int:
    """How many of the job's resumes were ranked in [start, end], by the database's own clock: no
    polling delay counts against the bound."""
    conn = await connect_db(mesh)
    try:
        query = (
            "SELECT count(*) FROM resumes WHERE job_id = $1 AND status = 'completed' "
            "AND updated_at >= $2 AND updated_at <= $3"
        )
        return int(await conn.fetchval(query, uuid.UUID(job_id), start, end))
    finally:
        await conn.close()


def _start(client: httpx.Client, count: int) -> tuple[str, str]:
    job = client.post("/api/jobs", json=SAMPLE_JOB).json()
    files = [("files", (name, content, "application/pdf")) for name, content in resume_files(count)]
    assert client.post(f"/api/jobs/{job['id']}/resumes", files=files).status_code == 201
    batch = client.post("/api/batches", json={"job_id": job["id"]})
    assert batch.status_code == 202, batch.text
    return job["id"], batch.json()["id"]


def test_a_small_batch_finishes_while_a_large_one_is_still_running(
    security_mesh: Mesh, mailbox: MailSink
) -> None:
    large, small = signed_up(security_mesh, mailbox).client, signed_up(security_mesh, mailbox).client
    log = security_mesh.logs / "gateway-0.log"
    log_start = log.stat().st_size
    large_job, large_batch = _start(large, LARGE)
    # The large batch is under way and fills the pipeline.
    deadline = time.monotonic() + 120
    while _completed(large, large_job) < 5 and time.monotonic() < deadline:
        time.sleep(0.2)
    _, small_batch = _start(small, SMALL)
    done = wait_for_batch(small, small_batch)
    assert (done["completed"], done["failed"]) == (SMALL, 0)
    assert _completed(large, large_job) < LARGE
    # While the small batch ran, the large one finished at most the window it already had in progress
    # and its share of the turns: the small batch did not wait for the rest of the large one.
    start, end = (datetime.fromisoformat(done[key]) for key in ("created_at", "finished_at"))
    meanwhile = asyncio.run(_finished_between(security_mesh, large_job, start, end))
    assert meanwhile <= 2 * WINDOW, meanwhile
    wait_for_batch(large, large_batch, timeout=600)
    assert _completed(large, large_job) == LARGE
    # Results stored side by side lock a job before its resumes, and resumes in id order: no deadlock.
    with log.open("rb") as handle:
        handle.seek(log_start)
        assert "deadlock detected" not in handle.read().decode(errors="replace")
