"""Soak run: batches through a real mesh while workers are SIGKILLed at random.

    python -m bench.soak --batches 4 --per-batch 12 --kill-every 8

Starts its own mesh (two replicas of every worker, embedded Postgres and nats-server), screens
generated resumes in consecutive batches while a killer SIGKILLs a random worker replica every
--kill-every seconds (the launcher restarts it), then reads the end state from Postgres and reports:
resumes processed, lost (never finished: must be 0), duplicated (counters that moved more than the
rows: must be 0), and p50/p95 time from batch start to ranked. Not part of CI.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from rich.console import Console
from rich.table import Table

from services.demo.factory import LAYOUTS, make_person, render
from services.demo.mailbox import MailSink
from services.demo.run import sign_in
from services.demo.samples import SAMPLE_JOB
from services.launcher import WORKER_SERVICES, Mesh, MeshConfig, free_port

console = Console()


def killer(mesh: Mesh, every: float, stop: threading.Event, rng: random.Random, kills: list[str]) -> None:
    while not stop.wait(every):
        victims = [p.name for p in mesh.services if p.name.split("-")[0] in WORKER_SERVICES and p.alive()]
        if victims:
            name = rng.choice(victims)
            mesh.kill(name)
            kills.append(name)


async def end_state(database_url: str, job_ids: list[str]) -> dict:
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        jobs = await conn.fetch(
            "SELECT id, total_resumes, completed_resumes, failed_resumes FROM jobs"
            " WHERE id = ANY($1::uuid[])",
            [uuid.UUID(j) for j in job_ids],
        )
        rows = await conn.fetch(
            "SELECT r.job_id, r.status, EXTRACT(EPOCH FROM (r.updated_at - b.created_at)) AS seconds"
            " FROM resumes r JOIN batches b ON b.id = r.batch_id WHERE r.job_id = ANY($1::uuid[])",
            [uuid.UUID(j) for j in job_ids],
        )
    finally:
        await conn.close()
    return {"jobs": [dict(j) for j in jobs], "rows": [dict(r) for r in rows]}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--per-batch", type=int, default=12)
    parser.add_argument("--kill-every", type=float, default=8.0, help="seconds between SIGKILLs")
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for each batch")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    text_layouts = [layout for layout in LAYOUTS if not layout.startswith("scan")]

    mailbox = MailSink(free_port())
    mailbox.start()
    data_dir = Path(tempfile.mkdtemp(prefix="screener-soak-"))
    mesh = Mesh(
        MeshConfig.with_free_ports(
            data_dir,
            replicas=args.replicas,
            smtp_url=mailbox.url,
            extra_env={"NATS_ACK_WAIT_SECONDS": "10", "WORKER_CONCURRENCY": "1", "LOG_LEVEL": "WARNING"},
        )
    )
    console.print(f"starting the mesh in {data_dir} ...")
    mesh.start(timeout=300)
    stop, kills = threading.Event(), list[str]()
    client = httpx.Client(base_url=mesh.http_url, timeout=120)
    job_ids: list[str] = []
    unfinished = 0
    started = time.monotonic()
    try:
        client.headers["Authorization"] = f"Bearer {sign_in(client, mailbox)}"
        chaos = threading.Thread(target=killer, args=(mesh, args.kill_every, stop, rng, kills), daemon=True)
        chaos.start()
        for number in range(args.batches):
            job = client.post(
                "/api/jobs", json={**SAMPLE_JOB, "title": f"{SAMPLE_JOB['title']} #{number}"}
            ).json()
            job_ids.append(job["id"])
            files = []
            for i in range(args.per_batch):
                layout = "scan150" if i % 6 == 0 else rng.choice(text_layouts)
                name, content = render(make_person(rng), layout, rng)
                files.append(("files", (f"{i:03d}-{name}", content, "application/octet-stream")))
            client.post(f"/api/jobs/{job['id']}/resumes", files=files).raise_for_status()
            batch = client.post("/api/batches", json={"job_id": job["id"]}).json()
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline:
                try:
                    state = client.get(f"/api/batches/{batch['id']}").json()
                except httpx.HTTPError:
                    state = {"status": "unknown"}
                if state.get("status") == "done":
                    break
                time.sleep(1)
            else:
                unfinished += 1
            console.print(f"batch {number + 1}/{args.batches}: {state}")
    finally:
        stop.set()
        wall = time.monotonic() - started
        state = asyncio.run(end_state(mesh.database_url, job_ids)) if job_ids else {"jobs": [], "rows": []}
        client.close()
        mesh.stop()
        mailbox.stop()

    rows = state["rows"]
    finished = [r for r in rows if r["status"] in ("completed", "failed")]
    lost = len(rows) - len(finished)
    by_job = {str(j["id"]): j for j in state["jobs"]}
    duplicated = 0
    for job_id, job in by_job.items():
        mine = [r for r in rows if str(r["job_id"]) == job_id]
        completed = sum(r["status"] == "completed" for r in mine)
        failed = sum(r["status"] == "failed" for r in mine)
        duplicated += max(0, job["completed_resumes"] - completed) + max(0, job["failed_resumes"] - failed)
        duplicated += max(0, job["total_resumes"] - len(mine))
    seconds = sorted(float(r["seconds"]) for r in rows if r["status"] == "completed")
    table = Table(title="soak run")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for label, value in (
        ("batches (unfinished)", f"{args.batches} ({unfinished})"),
        ("resumes processed", str(len(finished))),
        ("  of which failed", str(sum(r["status"] == "failed" for r in rows))),
        ("lost", str(lost)),
        ("duplicated", str(duplicated)),
        ("workers SIGKILLed", str(len(kills))),
        ("p50 time to ranked (s)", f"{statistics.median(seconds):.1f}" if seconds else "-"),
        ("p95 time to ranked (s)", f"{seconds[int(0.95 * (len(seconds) - 1))]:.1f}" if seconds else "-"),
        ("wall time (s)", f"{wall:.0f}"),
    ):
        table.add_row(label, value)
    console.print(table)
    return 0 if lost == 0 and duplicated == 0 and unfinished == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
