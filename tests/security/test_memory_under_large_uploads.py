"""A request of a hundred 10 MB files: the gateway reads them one at a time from where the transport
spooled them, so its memory stays flat however large the request."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import psutil

from services.demo.mailbox import MailSink
from services.demo.samples import SAMPLE_JOB, SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh
from tests.security.conftest import signed_up

FILES = 100
FILE_BYTES = 10_000_000
GROWTH_LIMIT = 150 * 1024 * 1024


def _gateway(mesh: Mesh) -> psutil.Process:
    (process,) = [p.process for p in mesh.services if p.name == "gateway-0" and p.process]
    return psutil.Process(process.pid)


def test_a_gigabyte_upload_leaves_the_gateway_memory_flat(
    security_mesh: Mesh, mailbox: MailSink, tmp_path: Path
) -> None:
    client = signed_up(security_mesh, mailbox).client
    job = client.post("/api/jobs", json=SAMPLE_JOB).json()
    resume = render_pdf(SAMPLE_RESUMES[0].lines)
    # Warm up the route once, so the baseline has every import and pool the upload path uses.
    assert (
        client.post(f"/api/jobs/{job['id']}/resumes", files=[("files", ("warm.pdf", resume))]).status_code
        == 201
    )
    paths = []
    for n in range(FILES):
        path = tmp_path / f"big-{n:03d}.pdf"
        path.write_bytes(resume + b"\n%" + os.urandom(FILE_BYTES - len(resume) - 2))
        paths.append(path)

    gateway = _gateway(security_mesh)
    baseline = gateway.memory_info().rss
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.1):
            peak = max(peak, gateway.memory_info().rss)

    sampler = threading.Thread(target=sample)
    sampler.start()
    handles = [path.open("rb") for path in paths]
    try:
        uploaded = client.post(
            f"/api/jobs/{job['id']}/resumes",
            files=[
                ("files", (path.name, handle, "application/pdf"))
                for path, handle in zip(paths, handles, strict=True)
            ],
            timeout=600,
        )
    finally:
        done.set()
        sampler.join()
        for handle in handles:
            handle.close()
    assert uploaded.status_code == 201, uploaded.text
    items = uploaded.json()["items"]
    assert len(items) == FILES and all(item["id"] and not item["duplicate"] for item in items)
    growth = peak - baseline
    mib = 2**20
    print(f"gateway RSS {baseline / mib:.0f} MiB, peak {peak / mib:.0f} MiB, growth {growth / mib:.0f} MiB")
    assert growth < GROWTH_LIMIT, f"the gateway grew by {growth / 2**20:.0f} MiB"
