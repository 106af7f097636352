"""The ranked-table endpoint at scale: a job with N screened resumes, read the way a dashboard reads it.

    python -m bench.ranked_table --resumes 10000 --requests 300

Starts the mesh, creates a job through the API, writes N completed resumes straight into Postgres
(realistic parsed skills and ranking bodies), then times GET /api/jobs/{id}/resumes for the first page,
a deep page, each sort, and the skill, score and text filters. Reports p50/p95/p99 per query.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from rich.console import Console
from rich.table import Table

from services.demo.mailbox import MailSink
from services.demo.run import sign_in
from services.demo.samples import SAMPLE_JOB
from services.launcher import Mesh, MeshConfig, free_port

console = Console()
SKILLS = ["Python", "Go", "PostgreSQL", "Docker", "Kubernetes", "gRPC", "AWS", "React", "Java", "Kafka"]
FIRST = ["Ada", "Bruno", "Carmen", "Dmitri", "Eliza", "Farah", "Goran", "Hana", "Ivan", "Julia"]
FILLER = [
    "led",
    "built",
    "migrated",
    "designed",
    "reduced",
    "latency",
    "team",
    "service",
    "platform",
    "data",
    "pipeline",
    "customers",
]
LAST = ["Quinlan", "Takeda", "Velez", "Novak", "Park", "Nadeem", "Ilic", "Sato", "Petrov", "Costa"]


async def fill(database_url: str, job_id: str, count: int, seed: int) -> None:
    rng = random.Random(seed)
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        owner = await conn.fetchval("SELECT owner_id FROM jobs WHERE id = $1", uuid.UUID(job_id))
        rows = []
        for i in range(count):
            skills = rng.sample(SKILLS, rng.randint(2, 7))
            score = round(rng.uniform(5, 95), 2)
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            # A parse about the size of a real two-page resume's (its text is most of it).
            text = " ".join(rng.choice(FILLER) for _ in range(900))
            parsed = {"contact": {"name": name}, "skills": [{"name": s} for s in skills], "full_text": text}
            ranking = {
                "final_score": score,
                "matched_required": [s for s in skills if s in ("Python", "PostgreSQL", "Docker")],
                "missing_required": [s for s in ("Python", "PostgreSQL", "Docker") if s not in skills],
                "reasons": [f"matched {len(skills)} skills"],
            }
            rows.append(
                (
                    uuid.uuid4(),
                    uuid.UUID(job_id),
                    owner,
                    f"{i:05d}-{name.replace(' ', '_').lower()}.pdf",
                    f"{i:064x}",
                    "application/pdf",
                    40_000,
                    "completed",
                    name,
                    json.dumps(parsed),
                    " | ".join(skills),
                    score,
                    score >= 50,
                    json.dumps(ranking),
                    "{}",
                )
            )
        await conn.copy_records_to_table(
            "resumes",
            records=rows,
            columns=[
                "id",
                "job_id",
                "owner_id",
                "filename",
                "sha256",
                "content_type",
                "size_bytes",
                "status",
                "candidate_name",
                "parsed",
                "skill_names",
                "final_score",
                "passed",
                "ranking",
                "stage_seconds",
            ],
        )
        await conn.execute(
            "UPDATE jobs SET total_resumes = $2, completed_resumes = $2 WHERE id = $1",
            uuid.UUID(job_id),
            count,
        )
        await conn.execute("ANALYZE resumes")
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--resumes", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=300, help="requests per query")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    mailbox = MailSink(free_port())
    mailbox.start()
    mesh = Mesh(
        MeshConfig.with_free_ports(
            Path(tempfile.mkdtemp(prefix="screener-table-")),
            smtp_url=mailbox.url,
            extra_env={"LOG_LEVEL": "WARNING"},
        )
    )
    mesh.start(timeout=300)
    results = []
    try:
        client = httpx.Client(base_url=mesh.http_url, timeout=60)
        client.headers["Authorization"] = f"Bearer {sign_in(client, mailbox)}"
        job = client.post("/api/jobs", json=SAMPLE_JOB).json()
        asyncio.run(fill(mesh.database_url, job["id"], args.resumes, args.seed))
        path = f"/api/jobs/{job['id']}/resumes"
        queries: dict[str, dict | None] = {
            "baseline: GET /api/jobs/{id}": None,
            "first page, by rank": {},
            "page 40, by rank": {"page": 40},
            "by name": {"sort": "name"},
            "by upload": {"sort": "uploaded"},
            "passed, min score 70": {"passed": "true", "min_score": 70},
            "skill Kubernetes": {"skill": "Kubernetes"},
            "text search 'park'": {"q": "park"},
        }
        for label, params in queries.items():
            url = f"/api/jobs/{job['id']}" if params is None else path
            for _ in range(10):  # warm-up
                client.get(url, params=params).raise_for_status()
            timings = []
            for _ in range(args.requests):
                started = time.perf_counter()
                response = client.get(url, params=params)
                timings.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
            timings.sort()
            results.append(
                (
                    label,
                    response.json().get("total", 1),
                    statistics.median(timings),
                    timings[int(0.95 * (len(timings) - 1))],
                    timings[int(0.99 * (len(timings) - 1))],
                )
            )
    finally:
        mesh.stop()
        mailbox.stop()
    table = Table(
        title=f"GET /api/jobs/{{id}}/resumes, {args.resumes} resumes, {args.requests} requests each"
    )
    for column in ("query", "matches", "p50 ms", "p95 ms", "p99 ms"):
        table.add_column(column, justify="left" if column == "query" else "right")
    for label, total, p50, p95, p99 in results:
        table.add_row(label, str(total), f"{p50:.1f}", f"{p95:.1f}", f"{p99:.1f}")
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
