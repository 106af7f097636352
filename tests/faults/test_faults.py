"""Fault injection against a real mesh: killed workers, poison messages and replay, nats-server and
Postgres restarts, rolling restarts, back-pressure. Each test asserts the end state in Postgres (every
resume finished exactly once, counters equal the rows) and that no message is left unacked."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import nats
import pytest

from services.common import jetstream
from services.demo.samples import SAMPLE_JOB
from services.launcher import Mesh
from tests.conftest import Account
from tests.faults.conftest import (
    MAX_QUEUED_WORK,
    assert_consistent,
    assert_no_message_left,
    deliveries,
    resume_files,
    statuses,
    wait_for_done,
    wait_until,
)

pytestmark = pytest.mark.faults


def _start(client: object, files: list[tuple[str, bytes]]) -> tuple[str, str, list[dict]]:
    job = client.post("/api/jobs", json=SAMPLE_JOB).json()  # type: ignore[attr-defined]
    uploaded = client.post(  # type: ignore[attr-defined]
        f"/api/jobs/{job['id']}/resumes",
        files=[("files", (name, content, "application/pdf")) for name, content in files],
    )
    assert uploaded.status_code == 201, uploaded.text
    batch = client.post("/api/batches", json={"job_id": job["id"]})  # type: ignore[attr-defined]
    assert batch.status_code == 202, batch.text
    return job["id"], batch.json()["id"], uploaded.json()["items"]


def _screener(mesh: Mesh, *args: str) -> subprocess.CompletedProcess:
    """The real CLI, as an operator runs it: `screener dlq --nats-url URL <args>`."""
    command = [str(Path(sys.executable).with_name("screener")), "dlq", "--nats-url", mesh.nats_url, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_a_worker_killed_mid_resume_is_redelivered_and_restarted(
    fault_mesh: Mesh, recruiter: Account
) -> None:
    client = recruiter.client
    before = deliveries(fault_mesh, "extractor")
    job_id, batch_id, _ = _start(client, resume_files(4, scans=2))
    # Two extractors taking one resume at a time: two resumes extracting means each holds one.
    wait_until(lambda: statuses(client, job_id).count("extracting") >= 2, 60, "both extractors to be busy")
    victim = fault_mesh.process("extractor-0")
    restarts = victim.restarts
    fault_mesh.kill("extractor-0")

    done = wait_for_done(client, batch_id)
    assert (done["completed"], done["failed"]) == (4, 0), done
    assert done["stalled"] is False and done["last_progress_at"]
    assert_consistent(fault_mesh, job_id, completed=4)
    assert_no_message_left(fault_mesh)
    # Four extraction messages, delivered more than four times: the killed worker's one came back
    # after ack_wait and was finished by a replica, and still counted once.
    assert deliveries(fault_mesh, "extractor") - before > 4
    wait_until(lambda: victim.restarts > restarts and victim.alive(), 60, "the supervisor to restart it")


def test_a_poison_message_is_dead_lettered_and_replayed_by_an_operator(
    fault_mesh: Mesh, recruiter: Account
) -> None:
    client = recruiter.client
    files = resume_files(3)
    lost_name, lost_content = files[1]
    lost_sha = hashlib.sha256(lost_content).hexdigest()
    job = client.post("/api/jobs", json=SAMPLE_JOB).json()
    uploaded = client.post(
        f"/api/jobs/{job['id']}/resumes",
        files=[("files", (name, content, "application/pdf")) for name, content in files],
    ).json()["items"]
    lost_id = next(item["id"] for item in uploaded if item["filename"] == lost_name)
    # The stored file vanishes: every delivery of its extraction fails.
    asyncio.run(_store(fault_mesh, lambda store: store.delete(lost_sha)))
    batch_id = client.post("/api/batches", json={"job_id": job["id"]}).json()["id"]

    done = wait_for_done(client, batch_id)
    assert (done["completed"], done["failed"]) == (2, 1), done
    failed = client.get(f"/api/resumes/{lost_id}").json()
    assert failed["status"] == "failed" and failed["failure"]["reason"] == "extraction_error"
    assert "resume store" in failed["failure"]["message"]
    assert_consistent(fault_mesh, job["id"], completed=2, failed=1)
    assert_no_message_left(fault_mesh)

    listed = _screener(fault_mesh, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    letters = [d for d in json.loads(listed.stdout) if d["resume_id"] == lost_id]
    assert len(letters) == 1 and letters[0]["subject"] == jetstream.SUBJECT_EXTRACT
    assert letters[0]["deliveries"] == 3 and "resume store" in letters[0]["error"]

    # The operator puts the file back and replays the dead letter: the resume is reopened and ranked.
    asyncio.run(_store(fault_mesh, lambda store: store.put(lost_sha, lost_content)))
    replayed = _screener(fault_mesh, "replay", str(letters[0]["seq"]))
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    wait_until(
        lambda: client.get(f"/api/resumes/{lost_id}").json()["status"] == "completed", 120, "the replay"
    )
    assert_consistent(fault_mesh, job["id"], completed=3)
    batch = client.get(f"/api/batches/{batch_id}").json()
    assert (batch["status"], batch["completed"], batch["failed"]) == ("done", 3, 0)
    remaining = json.loads(_screener(fault_mesh, "list", "--json").stdout)
    assert lost_id not in {d["resume_id"] for d in remaining}
    assert_no_message_left(fault_mesh)


@pytest.mark.parametrize("restart", ["restart_nats", "restart_postgres"])
def test_nats_or_postgres_restarted_during_a_batch_loses_nothing(
    fault_mesh: Mesh, recruiter: Account, restart: str
) -> None:
    client = recruiter.client
    job_id, batch_id, _ = _start(client, resume_files(4, scans=2))
    wait_until(lambda: "extracting" in statuses(client, job_id), 60, "extraction to start")
    getattr(fault_mesh, restart)(down_seconds=2)

    done = wait_for_done(client, batch_id)
    assert (done["completed"], done["failed"]) == (4, 0), done
    assert_consistent(fault_mesh, job_id, completed=4)
    assert_no_message_left(fault_mesh)


def test_a_rolling_restart_of_every_service_under_load_loses_nothing(
    fault_mesh: Mesh, recruiter: Account
) -> None:
    client = recruiter.client
    job_id, batch_id, _ = _start(client, resume_files(6, scans=2))
    wait_until(lambda: "extracting" in statuses(client, job_id), 60, "extraction to start")
    for name in ("extractor-0", "ranker-0", "gateway-0", "extractor-1", "ranker-1"):
        process = fault_mesh.process(name)
        restarts = process.restarts
        fault_mesh.terminate(name)
        wait_until(lambda p=process, r=restarts: p.restarts > r and p.alive(), 60, f"{name} to come back")

    done = wait_for_done(client, batch_id)
    assert (done["completed"], done["failed"]) == (6, 0), done
    assert_consistent(fault_mesh, job_id, completed=6)
    assert_no_message_left(fault_mesh)


def test_a_burst_beyond_the_queue_bound_is_refused_with_retry_after_not_dropped(
    fault_mesh: Mesh, recruiter: Account
) -> None:
    client = recruiter.client
    job = client.post("/api/jobs", json=SAMPLE_JOB).json()
    files = resume_files(MAX_QUEUED_WORK + 1)
    uploaded = client.post(
        f"/api/jobs/{job['id']}/resumes",
        files=[("files", (name, content, "application/pdf")) for name, content in files],
    )
    assert uploaded.status_code == 201
    ids = [item["id"] for item in uploaded.json()["items"]]
    refused = client.post("/api/batches", json={"job_id": job["id"]})
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "queue_full" and int(refused.headers["Retry-After"]) > 0
    # Nothing was queued or lost: the resumes wait as uploaded and go through in batches that fit.
    assert set(statuses(client, job["id"])) == {"uploaded"}
    first = client.post("/api/batches", json={"job_id": job["id"], "resume_ids": ids[:4]})
    assert first.status_code == 202, first.text
    wait_for_done(client, first.json()["id"])
    rest = client.post("/api/batches", json={"job_id": job["id"]})
    assert rest.status_code == 202, rest.text
    wait_for_done(client, rest.json()["id"])
    assert_consistent(fault_mesh, job["id"], completed=len(files))
    assert_no_message_left(fault_mesh)


async def _store(mesh: Mesh, action: object) -> None:
    nc = await nats.connect(mesh.nats_url)
    try:
        store = await nc.jetstream().object_store(jetstream.RESUME_BUCKET)
        await action(store)  # type: ignore[operator]
    finally:
        await nc.close()
