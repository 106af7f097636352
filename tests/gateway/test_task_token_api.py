"""The first seed's task-token API, end to end: create, upload, process with a role, read the scores."""

from __future__ import annotations

import asyncio
import hashlib
import time
import uuid

import asyncpg
import httpx
import nats
from nats.js.errors import ObjectNotFoundError

from services.common.jetstream import RESUME_BUCKET
from services.demo.samples import SAMPLE_JOB, SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh


def test_a_task_token_screens_files_and_reaches_nothing_else(mesh: Mesh) -> None:
    with httpx.Client(base_url=mesh.http_url, timeout=120) as client:
        created = client.post("/create_task")
        assert created.status_code == 201
        task = created.json()
        auth = {"Authorization": f"Bearer {task['token']}"}
        # The token authorizes its task only, never the recruiter API.
        assert client.get("/api/jobs", headers=auth).status_code == 401
        assert (
            client.post(
                "/upload_files", files=[("files", ("a.pdf", b"%PDF-1.4", "application/pdf"))]
            ).status_code
            == 401
        )

        samples = [s for s in SAMPLE_RESUMES if not s.image_only][:3]
        uploaded = client.post(
            "/upload_files",
            headers=auth,
            files=[("files", (s.filename, render_pdf(s.lines), "application/pdf")) for s in samples]
            + [("files", ("notes.txt", b"plain text", "text/plain"))],
        )
        assert uploaded.status_code == 201, uploaded.text
        files = uploaded.json()["files"]
        assert [f.get("error", {}).get("code") for f in files] == [None, None, None, "bad_file"]

        processed = client.post(
            "/process_task",
            headers=auth,
            json={
                "role": SAMPLE_JOB["title"],
                "job_description": SAMPLE_JOB["description"],
                "wait_seconds": 120,
            },
        )
        assert processed.status_code == 200, processed.text
        body = processed.json()
        assert body["status"] == "done" and len(body["results"]) == 3
        best = body["results"][0]
        assert best["relevance"]["overall"] == max(r["relevance"]["overall"] for r in body["results"])
        assert best["relevance"]["experiences"] and all(
            0 <= e["score"] <= 100 for e in best["relevance"]["experiences"]
        )
        assert best["details"]["contact"]["name"] in {s.lines[0] for s in samples}
        assert "full_text" not in best["details"]

        status = client.get("/task_status", headers=auth).json()
        assert status["status"] == "done" and len(status["results"]) == 3

        other = client.post("/create_task").json()
        other_status = client.get(
            "/task_status", headers={"Authorization": f"Bearer {other['token']}"}
        ).json()
        assert other_status["results"] == [] and other_status["status"] == "not_started"
        assert (
            client.post(
                "/process_task", headers={"Authorization": f"Bearer {other['token']}"}, json={"role": "x"}
            ).status_code
            == 422
        )


def test_an_expired_task_is_refused_and_swept_away_with_its_files(mesh: Mesh) -> None:
    content = render_pdf([*SAMPLE_RESUMES[0].lines, f"Reference {uuid.uuid4()}"])
    sha256 = hashlib.sha256(content).hexdigest()
    with httpx.Client(base_url=mesh.http_url, timeout=60) as client:
        task = client.post("/create_task").json()
        auth = {"Authorization": f"Bearer {task['token']}"}
        uploaded = client.post(
            "/upload_files", headers=auth, files=[("files", ("cv.pdf", content, "application/pdf"))]
        )
        assert uploaded.status_code == 201, uploaded.text
        assert asyncio.run(_stored(mesh, sha256))

        asyncio.run(
            _execute(
                mesh,
                "UPDATE tasks SET expires_at = now() - interval '1 second' WHERE id = $1",
                uuid.UUID(task["task_id"]),
            )
        )
        # Refused at once, before the sweep runs.
        assert client.get("/task_status", headers=auth).status_code == 401

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            left = asyncio.run(
                _fetch(mesh, "SELECT count(*) FROM tasks WHERE id = $1", uuid.UUID(task["task_id"]))
            )
            if left == 0:
                break
            time.sleep(0.5)
        assert left == 0, "the sweep did not remove the expired task"
        job_rows = asyncio.run(_fetch(mesh, "SELECT count(*) FROM resumes WHERE sha256 = $1", sha256))
        assert job_rows == 0
        assert not asyncio.run(_stored(mesh, sha256))
        assert client.post("/process_task", headers=auth, json={"role": "Engineer"}).status_code == 401


def _dsn(mesh: Mesh) -> str:
    return mesh.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _execute(mesh: Mesh, sql: str, *args: object) -> None:
    conn = await asyncpg.connect(_dsn(mesh))
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


async def _fetch(mesh: Mesh, sql: str, *args: object) -> object:
    conn = await asyncpg.connect(_dsn(mesh))
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def _stored(mesh: Mesh, sha256: str) -> bool:
    nc = await nats.connect(mesh.nats_url)
    try:
        store = await nc.jetstream().object_store(RESUME_BUCKET)
        try:
            await store.get_info(sha256)
        except ObjectNotFoundError:
            return False
        return True
    finally:
        await nc.close()
