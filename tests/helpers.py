"""Helpers shared by the API tests."""

from __future__ import annotations

import time

import httpx

from services.demo.samples import SAMPLE_JOB


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
