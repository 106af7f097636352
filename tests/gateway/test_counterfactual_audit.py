"""The counterfactual audit of a job's own resumes: scored again under other names and with protected
attributes written in, nothing stored; the scores do not move beyond the trust goal."""

from __future__ import annotations

from services.demo.samples import SAMPLE_RESUMES, render_pdf
from tests.conftest import Account
from tests.helpers import create_job, upload, wait_for_batch


def test_a_jobs_resumes_under_other_names_and_attributes(account: Account, other_account: Account) -> None:
    client = account.client
    job = create_job(client)
    files = [(f"r{i}.pdf", render_pdf(SAMPLE_RESUMES[i].lines)) for i in range(3)]
    upload(client, job["id"], files)
    wait_for_batch(client, client.post("/api/batches", json={"job_id": job["id"]}).json()["id"])
    before = client.get(f"/api/jobs/{job['id']}/resumes").json()["items"]

    answer = client.post(f"/api/jobs/{job['id']}/counterfactual-audit", json={"resumes": 2})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["resumes"] == 2 and report["stored"] is False
    assert report["changes"]["name"]["variants"] == 2 * 4
    assert report["changes"]["attribute"]["variants"] == 2 * 9
    for change in report["changes"].values():
        assert change["largest"] <= 0.5 and change["mean"] <= 0.1, report
    assert len(report["worst"]) == 5
    top_two = {row["id"] for row in before[:2]}
    assert {case["resume_id"] for case in report["worst"]} <= top_two
    # Nothing was stored: the table is as it was.
    assert client.get(f"/api/jobs/{job['id']}/resumes").json()["items"] == before
    trail = client.get("/api/audit", params={"action": "counterfactual_audit"}).json()["items"]
    assert trail[-1]["details"]["resumes"] == 2
    assert client.post(f"/api/jobs/{job['id']}/counterfactual-audit", json={"resumes": 51}).status_code == 422
    stranger = other_account.client.post(f"/api/jobs/{job['id']}/counterfactual-audit", json={})
    assert stranger.status_code == 404
