"""With no language model configured (this mesh runs the production defaults: no OPENAI_API_KEY), an
analysis is the rule-based one and every place that shows it says so; it is never passed off as a
model's."""

from __future__ import annotations

import time

from services.demo.mailbox import MailSink
from services.demo.samples import SAMPLE_JOB, SAMPLE_RESUMES, render_pdf
from services.gateway.views import RULE_BASED
from services.launcher import Mesh
from tests.security.conftest import signed_up


def test_an_analysis_without_a_model_is_labelled_rule_based(security_mesh: Mesh, mailbox: MailSink) -> None:
    client = signed_up(security_mesh, mailbox).client
    job = client.post("/api/jobs", json=SAMPLE_JOB).json()
    sample = SAMPLE_RESUMES[0]
    uploaded = client.post(
        f"/api/jobs/{job['id']}/resumes",
        files=[("files", (sample.filename, render_pdf(sample.lines), "application/pdf"))],
    )
    resume_id = uploaded.json()["items"][0]["id"]
    batch = client.post("/api/batches", json={"job_id": job["id"]}).json()
    deadline = time.monotonic() + 120
    while client.get(f"/api/batches/{batch['id']}").json()["status"] != "done":
        assert time.monotonic() < deadline
        time.sleep(0.3)
    accepted = client.post(f"/api/resumes/{resume_id}/analysis")
    assert accepted.status_code == 202
    # The answer to the request already says what will write the analysis.
    assert accepted.json()["analysis_kind"] == "rule_based"
    assert accepted.json()["message"].startswith(RULE_BASED)
    deadline = time.monotonic() + 120
    while (detail := client.get(f"/api/resumes/{resume_id}").json())["analysis_status"] in (None, "pending"):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    assert detail["analysis"]["offline"] is True
    assert detail["analysis_label"] == RULE_BASED == "rule-based analysis: no language model is configured"
