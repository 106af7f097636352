"""A mesh of its own for fault injection: two replicas of every worker, short ack wait, few deliveries."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import asyncpg
import httpx
import nats
import pytest

from services.common import jetstream
from services.demo.mailbox import MailSink
from services.demo.samples import SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh, MeshConfig
from tests.conftest import Account, signup_and_verify
from tests.fake_llm import FakeLlm

MAX_QUEUED_WORK = 12


@pytest.fixture(scope="package")
def fault_mesh(tmp_path_factory: pytest.TempPathFactory, mailbox: MailSink, llm: FakeLlm) -> Iterator[Mesh]:
    config = MeshConfig.with_free_ports(
        tmp_path_factory.mktemp("fault-mesh"),
        replicas=2,
        smtp_url=mailbox.url,
        extra_env={
            "LOG_LEVEL": "INFO",
            "NATS_ACK_WAIT_SECONDS": "6",
            "NATS_MAX_DELIVER": "3",
            "WORKER_CONCURRENCY": "1",
            "OPENAI_BASE_URL": llm.base_url,
            "OPENAI_API_KEY": "test-key",
            "ANALYZER_MODEL": "fake-model",
            "RATE_LIMIT_SIGNUP_PER_CLIENT": "1000",
            "RATE_LIMIT_VERIFY_PER_CLIENT": "1000",
            "RATE_LIMIT_LOGIN_PER_CLIENT": "1000",
            "RATE_LIMIT_UPLOAD_PER_CLIENT": "1000",
            "MAX_QUEUED_WORK": str(MAX_QUEUED_WORK),
        },
    )
    running = Mesh(config)
    running.start(timeout=300)
    yield running
    running.stop()


@pytest.fixture
def recruiter(fault_mesh: Mesh, mailbox: MailSink) -> Iterator[Account]:
    created = signup_and_verify(fault_mesh, mailbox)
    yield created
    created.client.close()


def resume_files(count: int, *, scans: int = 0) -> list[tuple[str, bytes]]:
    """`count` distinct resumes (a unique line each), the first `scans` of them image-only (OCR, slow)."""
    texts = [s for s in SAMPLE_RESUMES if not s.image_only]
    scan = next(s for s in SAMPLE_RESUMES if s.image_only)
    files = []
    for i in range(count):
        sample = scan if i < scans else texts[i % len(texts)]
        lines = [*sample.lines, f"Reference number {uuid.uuid4().hex[:12]}"]
        files.append((f"{i:02d}-{sample.filename}", render_pdf(lines, image_only=i < scans)))
    return files


def wait_until(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def statuses(client: httpx.Client, job_id: str) -> list[str]:
    page = client.get(f"/api/jobs/{job_id}/resumes", params={"page_size": 200}).json()
    return [row["status"] for row in page["items"]]


def wait_for_done(client: httpx.Client, batch_id: str, timeout: float = 240) -> dict:
    state: dict = {}

    def done() -> bool:
        nonlocal state
        try:
            response = client.get(f"/api/batches/{batch_id}")
        except httpx.HTTPError:
            return False
        if response.status_code != 200:
            return False
        state = response.json()
        return bool(state["status"] == "done")

    wait_until(done, timeout, f"batch {batch_id} to finish")
    return state


@dataclass
class EndState:
    total: int
    completed: int
    failed: int
    rows_completed: int
    rows_failed: int
    rows_total: int


def end_state(mesh: Mesh, job_id: str) -> EndState:
    async def query() -> EndState:
        conn = await asyncpg.connect(mesh.database_url.replace("postgresql+asyncpg://", "postgresql://", 1))
        try:
            job = await conn.fetchrow(
                "SELECT total_resumes, completed_resumes, failed_resumes FROM jobs WHERE id = $1",
                uuid.UUID(job_id),
            )
            rows = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE status = 'completed') AS c,"
                " count(*) FILTER (WHERE status = 'failed') AS f, count(*) AS t"
                " FROM resumes WHERE job_id = $1",
                uuid.UUID(job_id),
            )
        finally:
            await conn.close()
        return EndState(job[0], job[1], job[2], rows["c"], rows["f"], rows["t"])

    return asyncio.run(query())


def assert_consistent(mesh: Mesh, job_id: str, *, completed: int, failed: int = 0) -> None:
    """The end state in Postgres: counters equal the rows, every resume finished exactly once."""
    state = end_state(mesh, job_id)
    assert (state.rows_completed, state.rows_failed) == (completed, failed), state
    assert (state.total, state.completed, state.failed) == (state.rows_total, completed, failed), state


def queues_drained(mesh: Mesh) -> dict[str, tuple[int, int]]:
    """Per durable consumer: (messages not yet delivered, delivered but not acked)."""

    async def query() -> dict[str, tuple[int, int]]:
        nc = await nats.connect(mesh.nats_url)
        try:
            js = nc.jetstream()
            out = {}
            for durable, (stream, _) in jetstream.CONSUMERS.items():
                info = await js.consumer_info(stream, durable)
                out[durable] = (info.num_pending or 0, info.num_ack_pending or 0)
            return out
        finally:
            await nc.close()

    return asyncio.run(query())


def assert_no_message_left(mesh: Mesh) -> None:
    state: dict[str, tuple[int, int]] = {}

    def drained() -> bool:
        nonlocal state
        state = queues_drained(mesh)
        return all(value == (0, 0) for value in state.values())

    try:
        wait_until(drained, 30, "every consumer to be drained")
    except AssertionError as exc:
        raise AssertionError(f"messages left: {state}") from exc


def deliveries(mesh: Mesh, durable: str) -> int:
    """How many times the consumer has delivered messages, first deliveries and redeliveries alike."""

    async def query() -> int:
        nc = await nats.connect(mesh.nats_url)
        try:
            stream, _ = jetstream.CONSUMERS[durable]
            info = await nc.jetstream().consumer_info(stream, durable)
            return int(info.delivered.consumer_seq or 0) if info.delivered else 0
        finally:
            await nc.close()

    return asyncio.run(query())
