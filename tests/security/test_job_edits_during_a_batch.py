"""Editing a job while its resumes are being ranked: the edit and the results being stored take their
locks in one order, so no request fails with a deadlock and every resume ends exactly once."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from services.demo.mailbox import MailSink
from services.demo.samples import SAMPLE_JOB
from services.launcher import Mesh
from tests.faults.conftest import resume_files
from tests.helpers import wait_for_batch
from tests.security.conftest import client_from, signed_up

RESUMES = 40
EDITS = 24


def test_edits_during_a_running_batch_never_deadlock(security_mesh: Mesh, mailbox: MailSink) -> None:
    person = signed_up(security_mesh, mailbox)
    client = person.client
    job = client.post("/api/jobs", json=SAMPLE_JOB).json()
    uploaded = client.post(
        f"/api/jobs/{job['id']}/resumes",
        files=[("files", (name, content, "application/pdf")) for name, content in resume_files(RESUMES)],
    )
    assert uploaded.status_code == 201, uploaded.text
    log = security_mesh.logs / "gateway-0.log"
    log_start = log.stat().st_size
    batch = client.post("/api/batches", json={"job_id": job["id"]}).json()

    def edit(n: int) -> int:
        with client_from(security_mesh) as editor:
            editor.headers["Authorization"] = client.headers["Authorization"]
            weights = {"skills": 0.2 + (n % 5) / 10, "semantic": 0.5}
            return editor.patch(f"/api/jobs/{job['id']}", json={"weights": weights}).status_code

    # Edits arrive while results are being stored, several at once.
    with ThreadPoolExecutor(max_workers=4) as pool:
        codes = list(pool.map(edit, range(EDITS)))
    assert all(code < 500 for code in codes), codes
    assert codes.count(200) >= 1

    wait_for_batch(client, batch["id"])
    # Every re-score an edit started finishes too: nothing stays in progress.
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        counts = client.get(f"/api/jobs/{job['id']}").json()
        if counts["completed_resumes"] + counts["failed_resumes"] == RESUMES:
            break
        time.sleep(1)
    assert (counts["total_resumes"], counts["completed_resumes"], counts["failed_resumes"]) == (
        RESUMES,
        RESUMES,
        0,
    )
    with log.open("rb") as handle:
        handle.seek(log_start)
        written = handle.read().decode(errors="replace")
    assert "deadlock detected" not in written
    assert "Traceback" not in written
