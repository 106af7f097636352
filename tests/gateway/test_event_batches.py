"""Stage events applied together: one transaction for the batch, and when it fails, each event in a
transaction of its own, so one bad event fails alone and the others are applied."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import nats
from nats.js.api import StreamConfig

from screener.v1 import pipeline_pb2
from services.common import nats as screener_nats
from services.demo.samples import SAMPLE_RESUMES, render_pdf
from services.gateway.db import make_engine, make_sessionmaker
from services.gateway.pipeline import EventApplier, PipelineService
from services.launcher import Mesh
from tests.conftest import Account
from tests.helpers import create_job, upload


def _failed(resume_id: str, run_id: uuid.UUID, message: str) -> pipeline_pb2.StageEvent:
    ref = pipeline_pb2.WorkRef(resume_id=resume_id, run_id=str(run_id))
    return pipeline_pb2.StageEvent(
        ref=ref,
        stage=pipeline_pb2.STAGE_EXTRACT,
        failed=pipeline_pb2.StageFailure(reason="no_text", message=message),
    )


def test_one_bad_event_in_a_batch_fails_alone(mesh: Mesh, account: Account) -> None:
    job = create_job(account.client)
    files = [(s.filename, render_pdf(s.lines)) for s in SAMPLE_RESUMES[:2]]
    ids = [item["id"] for item in upload(account.client, job["id"], files).json()["items"]]
    runs = [uuid.uuid4(), uuid.uuid4()]
    database = mesh.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)

    async def scenario() -> tuple[list[BaseException | None], dict[str, tuple[str, str | None]]]:
        # Both resumes as if their extraction were under way (no batch started, so no worker touches them).
        conn = await asyncpg.connect(database)
        try:
            for resume_id, run_id in zip(ids, runs, strict=True):
                await conn.execute(
                    "UPDATE resumes SET status = 'extracting', run_id = $2 WHERE id = $1",
                    uuid.UUID(resume_id),
                    run_id,
                )
        finally:
            await conn.close()
        # Real messages: published to a scratch stream and pulled back.
        nc = await nats.connect(mesh.nats_url)
        js = nc.jetstream()
        stream = f"TEST_APPLIER_{uuid.uuid4().hex[:8]}"
        await js.add_stream(StreamConfig(name=stream, subjects=[f"{stream.lower()}.>"]))
        good = _failed(ids[0], runs[0], "nothing to read")
        bad = _failed(ids[1], runs[1], "a NUL \x00 Postgres refuses to store")
        for event in (good, bad):
            await js.publish(f"{stream.lower()}.events", event.SerializeToString())
        sub = await js.pull_subscribe(f"{stream.lower()}.>", durable="applier", stream=stream)
        msgs = await sub.fetch(batch=2, timeout=5)
        engine = make_engine(mesh.database_url, pool_size=2)
        sessions = make_sessionmaker(engine)
        store = await screener_nats.ensure_topology(js, screener_nats.Topology())
        applier = EventApplier(sessions, PipelineService(sessions, js, store, max_file_bytes=1 << 20))
        try:
            outcomes = await applier(msgs)
        finally:
            await engine.dispose()
            await js.delete_stream(stream)
            await nc.close()
        conn = await asyncpg.connect(database)
        try:
            rows = await conn.fetch(
                "SELECT id::text, status, failure_message FROM resumes WHERE id = ANY($1::uuid[])",
                [uuid.UUID(i) for i in ids],
            )
        finally:
            await conn.close()
        return outcomes, {r["id"]: (r["status"], r["failure_message"]) for r in rows}

    outcomes, rows = asyncio.run(scenario())
    assert rows[ids[0]] == ("failed", "nothing to read")  # applied despite its neighbour
    assert rows[ids[1]] == ("extracting", None)  # untouched; its message is retried
    assert outcomes[0] is None and isinstance(outcomes[1], screener_nats.RetryableError)
    counters = account.client.get(f"/api/jobs/{job['id']}").json()
    assert counters["failed_resumes"] == 1
