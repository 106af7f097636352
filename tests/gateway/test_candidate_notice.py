"""The notice to candidates: written from the job (what is assessed, what is and is not used, that a
person decides, how to ask for another process) unless the employer sets their own; exportable as a file,
and shown with the task-token API's results."""

from __future__ import annotations

import httpx

from services.demo.samples import SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh
from tests.conftest import Account
from tests.helpers import create_job


def test_a_jobs_notice_is_written_from_it_or_the_employers_own(
    account: Account, other_account: Account
) -> None:
    client = account.client
    job = create_job(client)
    notice = client.get(f"/api/jobs/{job['id']}/notice").json()
    assert notice["written_from_the_job"] is True
    text = notice["notice"]
    assert job["title"] in text and "Python, PostgreSQL, Docker" in text and "at least 4 years" in text
    assert "removed before scoring" in text and "a person" in text and "another selection process" in text
    as_file = client.get(f"/api/jobs/{job['id']}/notice", params={"format": "text"})
    assert (
        as_file.headers["content-type"].startswith("text/plain")
        and "attachment" in as_file.headers["content-disposition"]
    )
    assert as_file.text.strip() == text

    own = "We screen with software. Write to jobs@acme.example to ask for a person to read your application."
    edited = client.patch(f"/api/jobs/{job['id']}", json={"candidate_notice": own}).json()
    assert edited["candidate_notice"] == own and edited["rescore_batch_id"] is None
    assert client.get(f"/api/jobs/{job['id']}/notice").json() == {
        "job_id": job["id"],
        "notice": own,
        "written_from_the_job": False,
    }
    assert other_account.client.get(f"/api/jobs/{job['id']}/notice").status_code == 404


def test_the_task_token_api_shows_the_notice(mesh: Mesh) -> None:
    with httpx.Client(base_url=mesh.http_url, timeout=120) as client:
        task = client.post("/create_task").json()
        auth = {"Authorization": f"Bearer {task['token']}"}
        content = render_pdf(SAMPLE_RESUMES[0].lines)
        client.post("/upload_files", headers=auth, files=[("files", ("cv.pdf", content, "application/pdf"))])
        done = client.post(
            "/process_task",
            headers=auth,
            json={
                "role": "Data Engineer",
                "job_description": "Python and SQL pipelines.",
                "wait_seconds": 90,
            },
        ).json()
        assert done["status"] == "done"
        assert done["notice"].startswith("Notice to candidates for Data Engineer")
        assert client.get("/task_status", headers=auth).json()["notice"] == done["notice"]
