"""Hostile files in one batch with good resumes: each gets a clear error or a failed resume with its
reason, no worker dies, and the good resumes are screened as if nothing happened."""

from __future__ import annotations

import pytest

from services.demo.samples import SAMPLE_JOB
from services.launcher import Mesh
from tests.conftest import Account
from tests.faults.conftest import assert_consistent, assert_no_message_left, resume_files, wait_for_done
from tests.faults.hostile import corpus

pytestmark = pytest.mark.faults

REFUSED_AT_UPLOAD = {"not a pdf named .pdf", "zero bytes", "non-UTF-8 text"}
FAILED_WITH = {
    "encrypted pdf": {"encrypted"},
    "5,000 pages": {"too_many_pages"},
    "enormous image": {"too_large"},
    "decompression bomb": {"no_text", "timeout", "too_large"},
    "deeply nested objects": {"no_text", "unreadable"},
    "corrupt pdf": {"no_text", "unreadable"},
}


def test_hostile_files_fail_alone_with_reasons_and_no_worker_dies(
    fault_mesh: Mesh, recruiter: Account
) -> None:
    client = recruiter.client
    restarts = {p.name: p.restarts for p in fault_mesh.services}
    hostile = corpus()
    good = resume_files(2)
    job = client.post("/api/jobs", json=SAMPLE_JOB).json()
    sent = [*hostile.values(), *good]
    uploaded = client.post(
        f"/api/jobs/{job['id']}/resumes",
        files=[("files", (name, content, "application/octet-stream")) for name, content in sent],
    )
    assert uploaded.status_code == 201, uploaded.text
    items = uploaded.json()["items"]
    by_case = dict(zip([*hostile, *(name for name, _ in good)], items, strict=True))
    for case in REFUSED_AT_UPLOAD:
        assert by_case[case]["error"]["code"] == "bad_file", case
    renamed = by_case["path and control characters in the name"]
    name = renamed["filename"]  # the client percent-encodes control characters; the rest is stripped
    assert "passwd" in name and name.endswith(".pdf") and not {"/", "\\", "\u202e"} & set(name)
    assert name.isprintable()

    started = client.post("/api/batches", json={"job_id": job["id"]})
    assert started.status_code == 202, started.text
    batch = started.json()
    done = wait_for_done(client, batch["id"], timeout=300)
    queued = len(items) - len(REFUSED_AT_UPLOAD)
    assert done["total"] == queued and done["completed"] + done["failed"] == queued

    for case, expected in FAILED_WITH.items():
        detail = client.get(f"/api/resumes/{by_case[case]['id']}").json()
        assert detail["status"] == "failed", (case, detail["status"])
        assert detail["failure"]["reason"] in expected, (case, detail["failure"])
        assert detail["failure"]["message"], case
    for name, _ in good:
        detail = client.get(f"/api/resumes/{by_case[name]['id']}").json()
        assert detail["status"] == "completed" and detail["final_score"] is not None, name
    assert client.get(f"/api/resumes/{renamed['id']}").json()["status"] == "completed"
    # A PDF cut off after a third is repaired and read as far as it goes: screened, with a grade that
    # tells the recruiter how little was there.
    truncated = client.get(f"/api/resumes/{by_case['truncated pdf']['id']}").json()
    assert truncated["status"] == "completed" and truncated["final_score"] is not None, truncated["status"]
    assert truncated["quality"]["grade"] == "degraded" and "short_text" in truncated["quality"]["issues"]

    # No process died along the way: nothing was restarted and everything still runs.
    assert {p.name: p.restarts for p in fault_mesh.services} == restarts
    assert all(p.alive() for p in fault_mesh.services)
    completed = done["completed"]
    assert_consistent(fault_mesh, job["id"], completed=completed, failed=queued - completed)
    assert_no_message_left(fault_mesh)
