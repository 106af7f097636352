"""Editing a job re-scores its resumes from stored data: no re-extraction, no resume re-embedded."""

from __future__ import annotations

import time

import grpc

from screener.v1 import ranker_pb2, ranker_pb2_grpc
from services.demo.samples import SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh
from services.ranker.scoring import load_occupations
from tests.conftest import Account
from tests.helpers import create_job, scrape, total, upload, wait_for_batch


def _ranker_stats(mesh: Mesh) -> ranker_pb2.StatsResponse:
    with grpc.insecure_channel(mesh.grpc_address("ranker")) as channel:
        return ranker_pb2_grpc.RankerServiceStub(channel).GetStats(ranker_pb2.StatsRequest(), timeout=10)


def _extractor_work(mesh: Mesh) -> tuple[float, float]:
    """Files the extractor has extracted (any outcome) and extract tasks it has taken from the queue."""
    samples = scrape(mesh, "extractor-0")
    return (
        total(samples, "screener_resumes_extracted_total"),
        total(samples, "screener_stage_seconds_count", consumer="extractor"),
    )


def _restart_ranker(mesh: Mesh) -> None:
    mesh.kill("ranker-0")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if _ranker_stats(mesh).model:
                return
        except grpc.RpcError:
            pass
        time.sleep(0.5)
    raise AssertionError("the ranker did not come back")


def test_patch_rescores_every_resume_from_stored_embeddings(mesh: Mesh, account: Account) -> None:
    client = account.client
    job = create_job(client)
    files = [(s.filename, render_pdf(s.lines)) for s in SAMPLE_RESUMES if not s.image_only]
    upload(client, job["id"], files)
    wait_for_batch(client, client.post("/api/batches", json={"job_id": job["id"]}).json()["id"])
    before = {r["filename"]: r for r in client.get(f"/api/jobs/{job['id']}/resumes").json()["items"]}
    assert before["carmen_velez.pdf"]["passed"] is False

    first_extract = {
        r["id"]: client.get(f"/api/resumes/{r['id']}").json()["stage_seconds"]["extract"]
        for r in before.values()
    }
    extracted_before = _extractor_work(mesh)
    # A restarted ranker has an empty cache: anything of a resume it embedded now would show in its stats.
    _restart_ranker(mesh)
    started = _ranker_stats(mesh)
    assert started.embeddings_computed == len(set(load_occupations()))  # its own background, nothing else
    patched = client.patch(
        f"/api/jobs/{job['id']}",
        json={
            "required_skills": ["JavaScript"],
            "preferred_skills": [],
            "weights": {"skills": 0.5},
            "rules": {"min_years": "soft", "required_skills": "hard"},
        },
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["required_skills"] == ["JavaScript"] and body["weights"] == {"skills": 0.5}
    assert body["rescore_batch_id"]
    done = wait_for_batch(client, body["rescore_batch_id"])
    assert (done["total"], done["completed"], done["failed"]) == (len(files), len(files), 0)

    after = {r["filename"]: r for r in client.get(f"/api/jobs/{job['id']}/resumes").json()["items"]}
    assert after["carmen_velez.pdf"]["passed"] is True  # she knows JavaScript
    assert after["ada_quinlan.pdf"]["passed"] is False  # no JavaScript on her resume
    assert after["carmen_velez.pdf"]["final_score"] != before["carmen_velez.pdf"]["final_score"]
    detail = client.get(f"/api/resumes/{after['carmen_velez.pdf']['id']}").json()
    assert detail["ranking"]["weights"]["skills"] == 0.5
    # Extraction was not repeated: the extractor did no work, and each resume keeps its first timing.
    assert _extractor_work(mesh) == extracted_before
    for row in after.values():
        assert (
            client.get(f"/api/resumes/{row['id']}").json()["stage_seconds"]["extract"]
            == first_extract[row["id"]]
        )

    stats = _ranker_stats(mesh)
    assert stats.embeddings_reused > 0
    # Only the edited job's own texts (title, description clauses, skills) were embedded, beside what a
    # ranker embeds once when it starts (the occupations role fit is measured against).
    assert stats.embeddings_computed - started.embeddings_computed < 40, (started, stats)
    counters = client.get(f"/api/jobs/{job['id']}").json()
    assert (counters["total_resumes"], counters["completed_resumes"]) == (len(files), len(files))

    unchanged = client.patch(f"/api/jobs/{job['id']}", json={"title": job["title"]})
    assert unchanged.json()["rescore_batch_id"] is None


def test_the_same_file_in_a_second_job_reuses_its_embeddings(mesh: Mesh, account: Account) -> None:
    client = account.client
    sample = SAMPLE_RESUMES[1]
    content = render_pdf(sample.lines)
    first_job = create_job(client)
    upload(client, first_job["id"], [(sample.filename, content)])
    wait_for_batch(client, client.post("/api/batches", json={"job_id": first_job["id"]}).json()["id"])
    before = _ranker_stats(mesh)
    second_job = create_job(client, title="Python Developer", description="Build Django services.")
    upload(client, second_job["id"], [(sample.filename, content)])
    wait_for_batch(client, client.post("/api/batches", json={"job_id": second_job["id"]}).json()["id"])
    after = _ranker_stats(mesh)
    assert after.embeddings_reused - before.embeddings_reused >= 5
    row = client.get(f"/api/jobs/{second_job['id']}/resumes").json()["items"][0]
    assert row["status"] == "completed" and row["final_score"] > 0
