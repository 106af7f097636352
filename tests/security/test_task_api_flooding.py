"""The anonymous task API is bounded: tasks per client, files and bytes per task."""

from __future__ import annotations

import httpx

from services.demo.samples import SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh
from tests.security.conftest import client_from

# TASKS_PER_CLIENT_PER_HOUR, TASK_MAX_FILES and TASK_MAX_BYTES at their defaults.
TASKS_PER_HOUR = 20
MAX_FILES = 50
MAX_BYTES = 100 * 1024 * 1024


def _task(client: httpx.Client) -> httpx.Client:
    created = client.post("/create_task")
    assert created.status_code == 201, created.text
    client.headers["Authorization"] = f"Bearer {created.json()['token']}"
    return client


def test_one_client_cannot_open_tasks_without_end(security_mesh: Mesh) -> None:
    client = client_from(security_mesh)
    codes = [client.post("/create_task").status_code for _ in range(TASKS_PER_HOUR + 2)]
    assert codes[:TASKS_PER_HOUR] == [201] * TASKS_PER_HOUR and set(codes[TASKS_PER_HOUR:]) == {429}, codes
    assert client_from(security_mesh).post("/create_task").status_code == 201  # another client is not held


def test_a_task_holds_a_bounded_number_of_files_and_bytes(security_mesh: Mesh) -> None:
    client = _task(client_from(security_mesh))
    lines = SAMPLE_RESUMES[0].lines
    files = [("files", (f"cv-{n}.pdf", render_pdf([*lines, f"Number {n}"]))) for n in range(MAX_FILES - 1)]
    assert client.post("/upload_files", files=files).status_code == 201
    # Two more would pass the bound across the two calls: refused whole, nothing stored.
    extra = [("files", (f"more-{n}.pdf", render_pdf([*lines, f"More {n}"]))) for n in range(2)]
    refused = client.post("/upload_files", files=extra)
    assert refused.status_code == 422 and f"at most {MAX_FILES} files" in refused.text
    assert len(client.get("/task_status").json()["results"]) == MAX_FILES - 1

    # Bytes: a body larger than a task may hold is refused before it is read.
    other = _task(client_from(security_mesh))
    big = render_pdf(lines) + b"\n%" + b"0" * (MAX_BYTES // 2)
    answer = other.post("/upload_files", files=[("files", ("a.pdf", big)), ("files", ("b.pdf", big + b"1"))])
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "too_large"
    assert other.get("/task_status").json()["results"] == []
