"""Tenant fairness: a recruiter's small batch alone, and beside another tenant's large batch.

    python -m bench.tenant_fairness [--large 5000] [--small 5]

Starts the mesh (embedded Postgres and NATS, one replica of each worker), then times the small batch
(upload to every resume ranked) three ways: alone; started while the large batch runs; and, for
comparison, how long the large batch takes. The dispatcher keeps DISPATCH_WINDOW resumes in progress
and sends turns round-robin by owner, so the small batch should take about as long as alone plus the
window ahead of it, not the large batch's time.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from services.demo.mailbox import MailSink
from services.demo.samples import SAMPLE_JOB, SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh, MeshConfig, free_port

PASSWORD = "Correct-Horse-9"


def _account(base: str, mailbox: MailSink) -> httpx.Client:
    email = f"bench-{uuid.uuid4().hex[:8]}@screener-bench.example.com"
    client = httpx.Client(base_url=base, timeout=600)
    client.post(
        "/api/auth/signup", json={"email": email, "password": PASSWORD, "name": "Bench"}
    ).raise_for_status()
    verified = client.post("/api/auth/verify", json={"email": email, "code": mailbox.code_for(email)})
    verified.raise_for_status()
    client.headers["Authorization"] = f"Bearer {verified.json()['access_token']}"
    # An API key, not the 15-minute access token: a large batch outlasts it.
    key = client.post("/api/keys", json={"name": "bench"})
    key.raise_for_status()
    del client.headers["Authorization"]
    client.headers["X-API-Key"] = key.json()["key"]
    return client


def _files(count: int) -> list[tuple[str, bytes]]:
    texts = [s for s in SAMPLE_RESUMES if not s.image_only]
    return [
        (f"{n:05d}.pdf", render_pdf([*texts[n % len(texts)].lines, f"Reference {uuid.uuid4().hex[:12]}"]))
        for n in range(count)
    ]


def _upload(client: httpx.Client, count: int) -> str:
    job = client.post("/api/jobs", json=SAMPLE_JOB).json()
    files = _files(count)
    for start in range(0, count, 200):
        chunk = [
            ("files", (name, content, "application/pdf")) for name, content in files[start : start + 200]
        ]
        client.post(f"/api/jobs/{job['id']}/resumes", files=chunk).raise_for_status()
    return str(job["id"])


def _run(client: httpx.Client, job_id: str) -> tuple[str, float]:
    started = time.perf_counter()
    batch = client.post("/api/batches", json={"job_id": job_id})
    batch.raise_for_status()
    return batch.json()["id"], started


def _wait(client: httpx.Client, batch_id: str, started: float) -> float:
    while client.get(f"/api/batches/{batch_id}").json()["status"] != "done":
        time.sleep(0.1)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--large", type=int, default=5000)
    parser.add_argument("--small", type=int, default=5)
    args = parser.parse_args()
    mailbox = MailSink(free_port())
    mailbox.start()
    with tempfile.TemporaryDirectory() as folder:
        mesh = Mesh(
            MeshConfig.with_free_ports(
                Path(folder),
                smtp_url=mailbox.url,
                extra_env={"MAX_QUEUED_WORK": str(args.large * 2), "RATE_LIMIT_UPLOAD_PER_ACCOUNT": "100000"},
            )
        )
        mesh.start(timeout=300)
        try:
            small, large = _account(mesh.http_url, mailbox), _account(mesh.http_url, mailbox)
            alone_job = _upload(small, args.small)
            alone = _wait(small, *_run(small, alone_job))
            print(f"small batch ({args.small}) alone: {alone:.2f} s", flush=True)
            large_job, beside_job = _upload(large, args.large), _upload(small, args.small)
            large_batch, large_started = _run(large, large_job)
            time.sleep(2.0)  # the large batch is under way
            beside = _wait(small, *_run(small, beside_job))
            print(f"beside the large batch: {beside:.2f} s", flush=True)
            large_seconds = _wait(large, large_batch, large_started)
        finally:
            mesh.stop()
            mailbox.stop()
    print(f"| small batch ({args.small}) alone | beside a {args.large}-resume batch | the large batch |")
    print("| ---: | ---: | ---: |")
    rate = args.large / large_seconds
    print(f"| {alone:.2f} s | {beside:.2f} s | {large_seconds:.1f} s ({rate:.1f} resumes/s) |")


if __name__ == "__main__":
    main()
