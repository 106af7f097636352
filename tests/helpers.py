"""Helpers shared by the API tests."""

from __future__ import annotations

import time

import asyncpg
import httpx
from prometheus_client.parser import text_string_to_metric_families

from services.demo.samples import SAMPLE_JOB
from services.launcher import Mesh


def create_job(client: httpx.Client, **overrides: object) -> dict:
    response = client.post("/api/jobs", json={**SAMPLE_JOB, **overrides})
    assert response.status_code == 201, response.text
    return dict(response.json())


def upload(client: httpx.Client, job_id: str, files: list[tuple[str, bytes]]) -> httpx.Response:
    return client.post(
        f"/api/jobs/{job_id}/resumes",
        files=[("files", (name, content, "application/pdf")) for name, content in files],
    )


def wait_for_batch(client: httpx.Client, batch_id: str, timeout: float = 240.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = client.get(f"/api/batches/{batch_id}").json()
        if batch["status"] == "done":
            return dict(batch)
        time.sleep(0.3)
    raise AssertionError(f"batch {batch_id} not done after {timeout}s: {batch}")


def scrape(mesh: Mesh, name: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample a service's /metrics shows, keyed by name and sorted labels."""
    text = httpx.get(mesh.metrics_url(name), timeout=10).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def total(samples: dict, name: str, **labels: str) -> float:
    """The sum of a metric's samples whose labels include the given ones."""
    return sum(
        value
        for (sample, sample_labels), value in samples.items()
        if sample == name and all(dict(sample_labels).get(k) == v for k, v in labels.items())
    )


async def connect_db(mesh: Mesh) -> asyncpg.Connection:
    """A plain asyncpg connection to the mesh's database, as an operator would open one."""
    return await asyncpg.connect(mesh.database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
