"""Dashboard APIs: filters, export, the original file, deletion with counters, live progress over SSE."""

from __future__ import annotations

import csv
import io
import json

import httpx

from services.demo.samples import SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh
from tests.conftest import Account
from tests.helpers import create_job, upload, wait_for_batch


def _files() -> list[tuple[str, bytes]]:
    return [(s.filename, render_pdf(s.lines)) for s in SAMPLE_RESUMES if not s.image_only]


def test_filters_export_file_download_and_deletion(account: Account, other_account: Account) -> None:
    client = account.client
    job = create_job(client)
    files = _files()
    items = upload(client, job["id"], files).json()["items"]
    wait_for_batch(client, client.post("/api/batches", json={"job_id": job["id"]}).json()["id"])
    base = f"/api/jobs/{job['id']}/resumes"

    by_skill = client.get(base, params={"skill": "k8s"}).json()  # an alias of Kubernetes
    assert {r["candidate_name"] for r in by_skill["items"]} == {"Ada Quinlan", "Dmitri Olsen"}
    assert client.get(base, params={"q": "velez"}).json()["items"][0]["candidate_name"] == "Carmen Velez"
    # Free text also finds parsed skill names (case-insensitive); LIKE wildcards in it are literal.
    by_text = client.get(base, params={"q": "KUBERN"}).json()["items"]
    assert {r["candidate_name"] for r in by_text} == {"Ada Quinlan", "Dmitri Olsen"}
    assert client.get(base, params={"q": "%"}).json()["total"] == 0
    assert client.get(base, params={"q": "q_i"}).json()["total"] == 0  # as a wildcard it finds Quinlan
    high = client.get(base, params={"min_score": 60}).json()["items"]
    assert high and all(r["final_score"] >= 60 for r in high)
    by_name = [r["candidate_name"] for r in client.get(base, params={"sort": "name"}).json()["items"]]
    assert by_name == sorted(by_name)

    exported = client.get(f"/api/jobs/{job['id']}/export", params={"format": "csv"})
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [int(r["rank"]) for r in rows] == list(range(1, len(files) + 1))
    assert rows[0]["candidate_name"] == client.get(base).json()["items"][0]["candidate_name"]
    as_json = client.get(f"/api/jobs/{job['id']}/export", params={"format": "json"}).json()
    assert len(as_json["items"]) == len(files) and as_json["items"][0]["rank"] == 1

    original = client.get(f"/api/resumes/{items[0]['id']}/file")
    assert original.status_code == 200 and original.content == files[0][1]
    assert other_account.client.get(f"/api/resumes/{items[0]['id']}/file").status_code == 404

    assert other_account.client.delete(f"/api/resumes/{items[0]['id']}").status_code == 404
    assert client.delete(f"/api/resumes/{items[0]['id']}").status_code == 204
    assert client.get(f"/api/resumes/{items[0]['id']}").status_code == 404
    counters = client.get(f"/api/jobs/{job['id']}").json()
    assert (counters["total_resumes"], counters["completed_resumes"]) == (len(files) - 1, len(files) - 1)

    assert other_account.client.delete(f"/api/jobs/{job['id']}").status_code == 404
    assert client.delete(f"/api/jobs/{job['id']}").status_code == 204
    assert client.get(f"/api/jobs/{job['id']}").status_code == 404
    assert client.get(f"/api/resumes/{items[1]['id']}").status_code == 404


def test_batch_progress_streams_as_server_sent_events(mesh: Mesh, account: Account) -> None:
    client = account.client
    job = create_job(client)
    upload(client, job["id"], _files()[:3])
    batch = client.post("/api/batches", json={"job_id": job["id"]}).json()
    events: list[tuple[str, dict]] = []
    with (
        httpx.Client(base_url=mesh.http_url, headers=client.headers, timeout=120) as stream_client,
        stream_client.stream("GET", f"/api/batches/{batch['id']}/events") as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        name = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                events.append((name, json.loads(line[len("data: ") :])))
                if name == "done":
                    break
    assert events[-1][0] == "done" and events[-1][1]["completed"] == 3
    completed = [data["completed"] for _, data in events]
    assert completed == sorted(completed)
    # Polling keeps working.
    assert wait_for_batch(client, batch["id"])["status"] == "done"
