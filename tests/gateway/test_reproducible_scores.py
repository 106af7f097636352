"""Every score can be reproduced: the resume says which scorer, taxonomy and model made it, and scoring
the same resume against the same job with the same versions gives the same number."""

from __future__ import annotations

from services.demo.samples import SAMPLE_RESUMES, render_pdf
from tests.conftest import Account
from tests.helpers import create_job, upload, wait_for_batch


def _scores(account: Account, ids: list[str]) -> list[tuple[float, dict]]:
    details = [account.client.get(f"/api/resumes/{i}").json() for i in ids]
    return [(d["final_score"], d["scored_with"]) for d in details]


def test_the_same_versions_give_the_same_score(account: Account) -> None:
    client = account.client
    job = create_job(client)
    files = [(f"r{i}.pdf", render_pdf(SAMPLE_RESUMES[i].lines)) for i in range(3)]
    ids = [item["id"] for item in upload(client, job["id"], files).json()["items"]]
    wait_for_batch(client, client.post("/api/batches", json={"job_id": job["id"]}).json()["id"])
    first = _scores(account, ids)
    for _, versions in first:
        assert versions["scorer_version"] and versions["model"] and versions["taxonomy_version"] >= 1

    # Scored again under other weights (the number moves), then under the original ones again.
    for weights in ({"title": 0.1, "semantic": 0.9}, {}):
        edited = client.patch(f"/api/jobs/{job['id']}", json={"weights": weights}).json()
        assert edited["rescore_batch_id"]
        wait_for_batch(client, edited["rescore_batch_id"])
        if weights:
            assert _scores(account, ids) != first
    assert _scores(account, ids) == first
    scored = client.get("/api/audit", params={"action": "resume.scored", "object_id": ids[0]}).json()["items"]
    assert len(scored) == 3 and len({e["details"]["score"] for e in scored}) == 2
    assert {e["details"]["taxonomy_version"] for e in scored} == {first[0][1]["taxonomy_version"]}
