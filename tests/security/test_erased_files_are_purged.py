"""Deleting a resume purges its file from the object store once no other resume uses it."""

from __future__ import annotations

import asyncio
import uuid

import nats
from nats.js.errors import NotFoundError

from services.common import jetstream
from services.demo.mailbox import MailSink
from services.demo.samples import SAMPLE_JOB, SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh
from tests.security.conftest import signed_up


def _stored(mesh: Mesh, sha256: str) -> bool:
    async def look() -> bool:
        nc = await nats.connect(mesh.nats_url)
        try:
            store = await nc.jetstream().object_store(jetstream.RESUME_BUCKET)
            try:
                await store.get_info(sha256)
            except NotFoundError:
                return False
            return True
        finally:
            await nc.close()

    return asyncio.run(look())


def test_a_file_goes_with_its_last_resume(security_mesh: Mesh, mailbox: MailSink) -> None:
    client = signed_up(security_mesh, mailbox).client
    first, second = (client.post("/api/jobs", json=SAMPLE_JOB).json() for _ in range(2))
    content = render_pdf([*SAMPLE_RESUMES[0].lines, f"Erasure check {uuid.uuid4().hex}"])
    ids = []
    for job in (first, second):
        item = client.post(f"/api/jobs/{job['id']}/resumes", files=[("files", ("cv.pdf", content))]).json()[
            "items"
        ][0]
        ids.append(item["id"])
    sha256 = item["sha256"]
    assert _stored(security_mesh, sha256)
    # The other job's resume still uses the file: it stays.
    assert client.delete(f"/api/resumes/{ids[0]}").status_code == 204
    assert _stored(security_mesh, sha256)
    assert client.get(f"/api/resumes/{ids[1]}/file").content == content
    # Its last reference gone, the file is purged from the store.
    assert client.delete(f"/api/resumes/{ids[1]}").status_code == 204
    assert not _stored(security_mesh, sha256)
