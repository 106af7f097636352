"""A candidate's rights: everything held about them exported as one archive, then erased from every job
of the account, the analysis cache, the dead letters and the object store, leaving nothing that names
them (every table is searched for their email and their files' hashes) and another candidate untouched."""

from __future__ import annotations

import asyncio
import io
import json
import time
import uuid
import zipfile

import httpx
import nats
from nats.js.errors import NotFoundError

from screener.v1 import pipeline_pb2
from services.common import jetstream
from services.demo.samples import SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh
from tests.conftest import Account
from tests.helpers import connect_db, create_job, upload, wait_for_batch


def _resume(email: str, marker: str) -> bytes:
    lines = [line.replace("ada.quinlan@example.com", email) for line in SAMPLE_RESUMES[0].lines]
    return render_pdf([*lines, f"Reference {marker}"])


def _wait_for_analysis(client: httpx.Client, resume_id: str) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        detail = client.get(f"/api/resumes/{resume_id}").json()
        if detail["analysis_status"] not in (None, "pending"):
            return dict(detail)
        time.sleep(0.5)
    raise AssertionError("no analysis")


async def _dead_letter(mesh: Mesh, resume_id: str) -> None:
    nc = await nats.connect(mesh.nats_url)
    try:
        task = pipeline_pb2.ExtractTask(
            ref=pipeline_pb2.WorkRef(resume_id=resume_id, run_id=str(uuid.uuid4()))
        )
        await nc.jetstream().publish(
            "screener.dead.test",
            task.SerializeToString(),
            headers={jetstream.H_SUBJECT: jetstream.SUBJECT_EXTRACT, jetstream.H_CONSUMER: "test"},
        )
    finally:
        await nc.close()


async def _left(mesh: Mesh, needles: list[str], stored: list[str]) -> tuple[dict[str, int], list[str], int]:
    """Rows of any table that mention a needle; files still stored; dead letters mentioning one."""
    conn = await connect_db(mesh)
    try:
        tables = [
            row["tablename"]
            for row in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        found = {}
        for table in tables:
            for needle in needles:
                count = await conn.fetchval(
                    f'SELECT count(*) FROM "{table}" t WHERE t::text ILIKE $1', f"%{needle}%"
                )
                if count:
                    found[f"{table}:{needle}"] = count
    finally:
        await conn.close()
    nc = await nats.connect(mesh.nats_url)
    try:
        js = nc.jetstream()
        store = await js.object_store(jetstream.RESUME_BUCKET)
        files = []
        for sha in stored:
            try:
                await store.get_info(sha)
                files.append(sha)
            except NotFoundError:
                pass
        from services.common.deadletters import list_dead

        dead = sum(any(n.encode() in letter.payload for n in needles) for letter in await list_dead(js))
    finally:
        await nc.close()
    return found, files, dead


def test_a_candidate_is_exported_then_erased_leaving_nothing(account: Account, mesh: Mesh) -> None:
    client = account.client
    marker = uuid.uuid4().hex
    email = f"erase-{marker[:12]}@example.com"
    first_job, second_job = create_job(client), create_job(client, title="Platform Engineer")
    a, b = _resume(email, marker), _resume(email, marker + " (updated)")
    other = render_pdf([*SAMPLE_RESUMES[1].lines, f"Reference {uuid.uuid4().hex}"])
    in_first = upload(
        client, first_job["id"], [("cv.pdf", a), ("cv-2026.pdf", b), ("other.pdf", other)]
    ).json()
    in_second = upload(client, second_job["id"], [("cv.pdf", a)]).json()
    ids = [item["id"] for item in in_first["items"][:2]] + [in_second["items"][0]["id"]]
    other_id = in_first["items"][2]["id"]
    shas = sorted({item["sha256"] for item in in_first["items"][:2]})
    for job in (first_job, second_job):
        wait_for_batch(client, client.post("/api/batches", json={"job_id": job["id"]}).json()["id"])
    client.post(
        f"/api/resumes/{ids[0]}/decision", json={"decision": "shortlist", "note": "call her"}
    ).raise_for_status()
    assert client.post(f"/api/resumes/{ids[0]}/analysis").status_code == 202
    analysis = _wait_for_analysis(client, ids[0])["analysis"]
    assert analysis["cache_key"]
    demographics = f"resume_id,sex,race_ethnicity\n{ids[0]},female,asian\n"
    client.post(
        f"/api/jobs/{first_job['id']}/demographics",
        files={"file": ("d.csv", demographics.encode(), "text/csv")},
    ).raise_for_status()
    asyncio.run(_dead_letter(mesh, ids[1]))
    found, files, dead = asyncio.run(_left(mesh, [email, marker, *shas, ids[1]], shas))
    assert found and files == shas and dead == 1  # the checks below can see what they look for

    # The export: every resume of the person, in every job, with the originals.
    exported = client.post("/api/candidates/export", json={"email": email.upper()})
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(exported.content))
    data = [json.loads(archive.read(n)) for n in archive.namelist() if n.endswith("data.json")]
    assert sorted(d["resume_id"] for d in data) == sorted(ids)
    assert any(d["decisions"] and d["decisions"][0]["note"] == "call her" for d in data)
    originals = [archive.read(n) for n in archive.namelist() if n.endswith(".pdf")]
    assert sorted(originals) == sorted([a, b, a])

    # The erasure, by one resume: the person goes from both jobs and everywhere else.
    erased = client.post("/api/candidates/erase", json={"resume_id": ids[2]})
    assert erased.status_code == 200, erased.text
    assert erased.json() == {"resumes": 3, "jobs": 2, "files": 2, "cache_entries": 1, "dead_letters": 1}
    found, files, dead = asyncio.run(_left(mesh, [email, marker, *shas, *ids], shas))
    assert found == {f"audit_events:{i}": 1 for i in ids} or all(
        k.startswith("audit_events:") for k in found
    ), found
    assert not any(key.split(":")[1] in (email, marker, *shas) for key in found), found
    assert files == [] and dead == 0
    for resume_id in ids:
        assert client.get(f"/api/resumes/{resume_id}").status_code == 404
    # The other candidate stays, and the counters follow.
    assert client.get(f"/api/resumes/{other_id}").status_code == 200
    assert client.get(f"/api/jobs/{first_job['id']}").json()["total_resumes"] == 1
    assert client.get(f"/api/jobs/{second_job['id']}").json()["total_resumes"] == 0
    # The trail says it happened, with ids and counts, and nothing that names the person.
    trail = client.get("/api/audit", params={"action": "candidate"}).json()["items"]
    assert [e["action"] for e in trail] == ["candidate.exported", "candidate.erased"]
    assert trail[1]["details"]["resumes"] == 3 and email not in json.dumps(trail)
    assert client.post("/api/candidates/erase", json={"email": email}).status_code == 404
    assert client.post("/api/candidates/erase", json={}).status_code == 422
