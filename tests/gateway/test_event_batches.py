"""Stage events applied together: one transaction for the batch, and when it fails, each event in a
transaction of its own, so one bad event fails alone and the others are applied."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import nats
from nats.js.api import StreamConfig

from screener.v1 import pipeline_pb2
from services.common import jetstream
from services.demo.samples import SAMPLE_RESUMES, render_pdf
from services.gateway.db import make_engine, make_sessionmaker
from services.gateway.pipeline import EventApplier, PipelineService
from services.launcher import Mesh
from tests.conftest import Account
from tests.helpers import create_job, upload


def _failed(
    resume_id: str, run_id: uuid.UUID, message: str, reason: str = "no_text"
) -> pipeline_pb2.StageEvent:
    ref = pipeline_pb2.WorkRef(resume_id=resume_id, run_id=str(run_id))
    return pipeline_pb2.StageEvent(
        ref=ref,
        stage=pipeline_pb2.STAGE_EXTRACT,
        failed=pipeline_pb2.StageFailure(reason=reason, message=message),
    )


def test_one_bad_event_in_a_batch_fails_alone_and_its_resume_fails_when_given_up(
    mesh: Mesh, account: Account
) -> None:
    job = create_job(account.client)
    files = [(s.filename, render_pdf(s.lines)) for s in SAMPLE_RESUMES[:3]]
    ids = [item["id"] for item in upload(account.client, job["id"], files).json()["items"]]
    runs = [uuid.uuid4(), uuid.uuid4(), uuid.uuid4()]
    database = mesh.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)

    async def scenario() -> tuple[list[BaseException | None], dict, dict]:
        # The resumes as if their extraction were under way (no batch started, so no worker touches them).
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
        # A NUL character (Postgres cannot store one) is dropped; a reason longer than its column is a
        # broken contract that no retry fixes.
        nul = _failed(ids[1], runs[1], "a NUL \x00 in the message")
        bad = _failed(ids[2], runs[2], "ok", reason="x" * 100)
        for event in (good, nul, bad):
            await js.publish(f"{stream.lower()}.events", event.SerializeToString())
        sub = await js.pull_subscribe(f"{stream.lower()}.>", durable="applier", stream=stream)
        msgs = await sub.fetch(batch=3, timeout=5)
        engine = make_engine(mesh.database_url, pool_size=2)
        sessions = make_sessionmaker(engine)
        store = await jetstream.ensure_topology(js, jetstream.Topology())
        applier = EventApplier(sessions, PipelineService(sessions, js, store, max_file_bytes=1 << 20))
        try:
            outcomes = await applier(msgs)
            before_give_up = await _rows(database, ids)
            await applier.give_up(msgs[2], outcomes[2] or RuntimeError("no outcome"))
        finally:
            await engine.dispose()
            await js.delete_stream(stream)
            await nc.close()
        return outcomes, before_give_up, await _rows(database, ids)

    outcomes, before, after = asyncio.run(scenario())
    # Applied one at a time after the batch's transaction failed: the good two despite their neighbour.
    assert before[ids[0]] == ("failed", "no_text", "nothing to read")
    assert before[ids[1]] == ("failed", "no_text", "a NUL  in the message")
    assert before[ids[2]] == ("extracting", None, None)  # untouched; its message would be retried
    assert outcomes[:2] == [None, None] and isinstance(outcomes[2], jetstream.RetryableError)
    # Given up on: the resume fails with the reason instead of staying in progress for ever.
    status, reason, message = after[ids[2]]
    assert (status, reason) == ("failed", "result_not_stored") and "could not be stored" in (message or "")
    counters = account.client.get(f"/api/jobs/{job['id']}").json()
    assert counters["failed_resumes"] == 3


async def _rows(database: str, ids: list[str]) -> dict[str, tuple[str, str | None, str | None]]:
    conn = await asyncpg.connect(database)
    try:
        rows = await conn.fetch(
            "SELECT id::text, status, failure_reason, failure_message FROM resumes"
            " WHERE id = ANY($1::uuid[])",
            [uuid.UUID(i) for i in ids],
        )
    finally:
        await conn.close()
    return {r["id"]: (r["status"], r["failure_reason"], r["failure_message"]) for r in rows}
