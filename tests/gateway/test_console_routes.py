"""The REST additions the console uses, which every other client may use too: a job's shortlist count
and running batch, skill suggestions, a page of the original file drawn as an image, and an export
filtered like the table."""

from __future__ import annotations

import csv
import io

import pymupdf

from services.demo.samples import SAMPLE_RESUMES, render_pdf
from tests.conftest import Account
from tests.helpers import create_job, upload, wait_for_batch


def test_a_job_says_how_many_are_shortlisted_and_which_batch_runs(account: Account) -> None:
    client = account.client
    job = create_job(client)
    assert job["shortlisted_resumes"] == 0 and job["running_batch_id"] is None
    files = [(f"r{i}.pdf", render_pdf(SAMPLE_RESUMES[i].lines)) for i in range(3)]
    ids = [item["id"] for item in upload(client, job["id"], files).json()["items"]]
    batch = client.post("/api/batches", json={"job_id": job["id"]}).json()
    # Read at once: three resumes take far longer than this to extract and rank.
    assert client.get(f"/api/jobs/{job['id']}").json()["running_batch_id"] == batch["id"]
    wait_for_batch(client, batch["id"])
    assert client.get(f"/api/jobs/{job['id']}").json()["running_batch_id"] is None
    for resume_id, decision in zip(ids, ["shortlist", "shortlist", "reject"], strict=True):
        answer = client.post(f"/api/resumes/{resume_id}/decision", json={"decision": decision})
        assert answer.status_code == 201
    listed = {j["id"]: j for j in client.get("/api/jobs").json()["items"]}
    assert listed[job["id"]]["shortlisted_resumes"] == 2
    assert client.get(f"/api/jobs/{job['id']}").json()["shortlisted_resumes"] == 2

    # The export keeps what the same filters keep in the table, in the same order.
    exported = client.get(f"/api/jobs/{job['id']}/export", params={"format": "csv", "decision": "shortlist"})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted(r["resume_id"] for r in rows) == sorted(ids[:2])
    table = client.get(f"/api/jobs/{job['id']}/resumes", params={"decision": "shortlist"}).json()["items"]
    assert [r["resume_id"] for r in rows] == [r["id"] for r in table]
    everything = client.get(f"/api/jobs/{job['id']}/export", params={"format": "json"}).json()
    assert len(everything["items"]) == 3
    refused = client.get(f"/api/jobs/{job['id']}/export", params={"min_score": 101})
    assert refused.status_code == 422


def test_skills_are_suggested_from_the_taxonomy(account: Account) -> None:
    found = account.client.get("/api/skills", params={"q": "kube"}).json()
    assert found["items"][0] == {"name": "Kubernetes", "family": found["items"][0]["family"]}
    assert found["taxonomy_version"] >= 1
    # An alias finds its skill; names that only contain the text come after those that start with it.
    names = [s["name"] for s in account.client.get("/api/skills", params={"q": "postgres"}).json()["items"]]
    assert names[0] == "PostgreSQL"
    assert account.client.get("/api/skills", params={"q": "zzzzqqq"}).json()["items"] == []
    assert account.client.get("/api/skills", params={"q": ""}).status_code == 422


def test_a_page_of_the_original_is_drawn_as_an_image(account: Account) -> None:
    client = account.client
    job = create_job(client)
    document = pymupdf.open()
    for lines in (SAMPLE_RESUMES[0].lines, SAMPLE_RESUMES[1].lines):
        document.insert_pdf(pymupdf.open(stream=render_pdf(lines), filetype="pdf"))
    two_pages = document.tobytes()
    resume_id = upload(client, job["id"], [("two.pdf", two_pages)]).json()["items"][0]["id"]

    first = client.get(f"/api/resumes/{resume_id}/preview")
    assert first.status_code == 200 and first.headers["content-type"] == "image/png"
    assert first.headers["x-page-count"] == "2"
    assert "sandbox" in first.headers["content-security-policy"]
    image = pymupdf.Pixmap(first.content)
    assert image.width > 500 and image.height > image.width  # a portrait page, legible
    second = client.get(f"/api/resumes/{resume_id}/preview", params={"page": 2})
    assert second.status_code == 200 and second.content != first.content
    missing = client.get(f"/api/resumes/{resume_id}/preview", params={"page": 3})
    assert missing.status_code == 404 and "2 page" in missing.json()["error"]["message"]
    assert client.get(f"/api/resumes/{resume_id}/preview", params={"page": 0}).status_code == 422
