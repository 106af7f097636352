"""The pipeline's state machine on its own: every stage event applied to a resume in every state, with its
own run or a stale one, once and twice, against the session's real Postgres and a nats-server of this
test's own (no worker listens there, so nothing moves a resume but the events applied here)."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import nats
import pytest

from screener.v1 import pipeline_pb2, resume_pb2
from services.common import jetstream
from services.demo.samples import SAMPLE_RESUMES, render_pdf
from services.gateway.db import make_engine, make_sessionmaker
from services.gateway.pipeline import PipelineService
from services.gateway.repository import Repository
from services.launcher import Mesh, free_port, nats_server_binary
from tests.conftest import Account
from tests.helpers import create_job, upload

STATES = ("uploaded", "queued", "extracting", "ranking", "completed", "failed")
EVENTS = ("started", "extracted", "ranked", "failed")
# What applying each event to a resume in each state does: the answer and the state it leaves.
EXPECTED: dict[tuple[str, str], tuple[str, str]] = {
    ("uploaded", "started"): ("ignored: already past start", "uploaded"),
    ("queued", "started"): ("extracting", "extracting"),
    ("extracting", "started"): ("ignored: already past start", "extracting"),
    ("ranking", "started"): ("ignored: already past start", "ranking"),
    ("completed", "started"): ("ignored: already past start", "completed"),
    ("failed", "started"): ("ignored: already past start", "failed"),
    ("uploaded", "extracted"): ("ignored: already ranked", "uploaded"),
    ("queued", "extracted"): ("ranking", "ranking"),
    ("extracting", "extracted"): ("ranking", "ranking"),
    ("ranking", "extracted"): ("ranking", "ranking"),  # a redelivery: the rank task is sent again
    ("completed", "extracted"): ("ignored: already ranked", "completed"),
    ("failed", "extracted"): ("ignored: already ranked", "failed"),
    ("uploaded", "ranked"): ("ignored: not ranking", "uploaded"),
    ("queued", "ranked"): ("ignored: not ranking", "queued"),
    ("extracting", "ranked"): ("ignored: not ranking", "extracting"),
    ("ranking", "ranked"): ("completed", "completed"),
    ("completed", "ranked"): ("ignored: not ranking", "completed"),
    ("failed", "ranked"): ("ignored: not ranking", "failed"),
    ("uploaded", "failed"): ("ignored: not in progress", "uploaded"),
    ("queued", "failed"): ("failed", "failed"),
    ("extracting", "failed"): ("failed", "failed"),
    ("ranking", "failed"): ("failed", "failed"),
    ("completed", "failed"): ("ignored: not in progress", "completed"),
    ("failed", "failed"): ("ignored: not in progress", "failed"),
}
STAGE = {
    "started": pipeline_pb2.STAGE_EXTRACT,
    "extracted": pipeline_pb2.STAGE_EXTRACT,
    "ranked": pipeline_pb2.STAGE_RANK,
    "failed": pipeline_pb2.STAGE_EXTRACT,
}


def _event(
    outcome: str, resume_id: str, run_id: uuid.UUID, *, replay: bool = False
) -> pipeline_pb2.StageEvent:
    event = pipeline_pb2.StageEvent(
        ref=pipeline_pb2.WorkRef(resume_id=resume_id, run_id=str(run_id), replay=replay), stage=STAGE[outcome]
    )
    if outcome == "started":
        event.started.SetInParent()
    elif outcome == "extracted":
        event.extracted.CopyFrom(resume_pb2.ParsedResume(full_text="Python developer", headline="Developer"))
    elif outcome == "ranked":
        event.ranked.CopyFrom(resume_pb2.RankResult(final_score=61.5, passed=True))
    else:
        event.failed.CopyFrom(pipeline_pb2.StageFailure(reason="no_text", message="nothing to read"))
    return event


@pytest.fixture(scope="module")
def private_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A nats-server of this test's own: the rank tasks the machine publishes reach no ranker."""
    port = free_port()
    store = tmp_path_factory.mktemp("nats")
    process = subprocess.Popen(
        [nats_server_binary(), "-js", "-a", "127.0.0.1", "-p", str(port), "-sd", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"nats://127.0.0.1:{port}"

    async def wait() -> None:
        for _ in range(100):
            try:
                await (await nats.connect(url, connect_timeout=1)).close()
                return
            except Exception:
                await asyncio.sleep(0.1)
        raise RuntimeError("the test's nats-server did not start")

    asyncio.run(wait())
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_every_event_in_every_state_stale_runs_and_duplicates(
    mesh: Mesh, account: Account, private_nats: str, tmp_path: Path
) -> None:
    job = create_job(account.client)
    cases = [(state, outcome) for state in STATES for outcome in EVENTS]
    pdf = render_pdf(SAMPLE_RESUMES[0].lines)
    # One resume per case (each file differs by a byte so none is a duplicate of another). None is in a
    # batch, and each reads as dispatched already, so the mesh's dispatcher never sends one to a worker.
    files = [(f"case-{i}.pdf", pdf + b"\n%" + str(i).encode()) for i in range(len(cases) + 3)]
    ids = [
        item["id"]
        for start in range(0, len(files), 10)
        for item in upload(account.client, job["id"], files[start : start + 10]).json()["items"]
    ]
    assert len(ids) == len(files)
    database = mesh.database_url.replace("postgresql+asyncpg://", "postgresql://", 1)

    async def scenario() -> dict[str, object]:
        runs = {resume_id: uuid.uuid4() for resume_id in ids}
        conn = await asyncpg.connect(database)
        try:
            for resume_id, (state, _) in zip(ids, cases, strict=False):
                await conn.execute(
                    "UPDATE resumes SET status = $2, run_id = $3, dispatched_at = now() WHERE id = $1",
                    uuid.UUID(resume_id),
                    state,
                    runs[resume_id],
                )
            spare = ids[len(cases) :]
            for resume_id in spare:
                await conn.execute(
                    "UPDATE resumes SET status = 'ranking', run_id = $2, dispatched_at = now() WHERE id = $1",
                    uuid.UUID(resume_id),
                    runs[resume_id],
                )
        finally:
            await conn.close()
        nc = await nats.connect(private_nats)
        js = nc.jetstream()
        store = await jetstream.ensure_topology(js, jetstream.Topology())
        engine = make_engine(mesh.database_url, pool_size=2)
        sessions = make_sessionmaker(engine)
        pipeline = PipelineService(sessions, js, store, max_file_bytes=1 << 20)

        async def apply(event: pipeline_pb2.StageEvent) -> str:
            async with sessions() as db, db.begin():
                return await pipeline.apply_event(Repository(db), event)

        async def status(resume_id: str) -> str:
            conn = await asyncpg.connect(database)
            try:
                return str(
                    await conn.fetchval("SELECT status FROM resumes WHERE id = $1", uuid.UUID(resume_id))
                )
            finally:
                await conn.close()

        try:
            seen = {}
            for resume_id, case in zip(ids, cases, strict=False):
                # A stale run first: whatever the state and event, nothing happens.
                stale = await apply(_event(case[1], resume_id, uuid.uuid4()))
                answer = await apply(_event(case[1], resume_id, runs[resume_id]))
                seen[case] = (stale, answer, await status(resume_id))
            ranked_twice, extracted_twice, replayed = spare
            duplicates = [await apply(_event("ranked", ranked_twice, runs[ranked_twice])) for _ in range(2)]
            # A redelivered "extracted" while ranking sends the rank task again; the machine stays put.
            again = [
                await apply(_event("extracted", extracted_twice, runs[extracted_twice])) for _ in range(2)
            ]
            # An operator replays the message a resume failed on: the failure is un-counted, it goes on.
            await apply(_event("failed", replayed, runs[replayed]))
            reopened = await apply(_event("extracted", replayed, runs[replayed], replay=True))
            unknown = await apply(_event("ranked", str(uuid.uuid4()), uuid.uuid4()))
            malformed = await apply(_event("ranked", "not-a-uuid", uuid.uuid4()))
            info = await js.stream_info(jetstream.WORK_STREAM)
            return {
                "cases": seen,
                "duplicates": duplicates,
                "again": again,
                "reopened": (reopened, await status(replayed)),
                "unknown": unknown,
                "malformed": malformed,
                "rank_tasks": info.state.messages,
            }
        finally:
            await engine.dispose()
            await nc.close()

    async def settle() -> None:
        # Rows left in progress would hold the dispatcher's window for the rest of the session.
        conn = await asyncpg.connect(database)
        try:
            await conn.execute(
                "UPDATE resumes SET status = 'failed', failure_reason = 'test' WHERE id = ANY($1::uuid[])"
                " AND status IN ('queued', 'extracting', 'ranking')",
                [uuid.UUID(i) for i in ids],
            )
        finally:
            await conn.close()

    try:
        seen = asyncio.run(scenario())
        counters = account.client.get(f"/api/jobs/{job['id']}").json()
    finally:
        asyncio.run(settle())
    for case, (stale, answer, state) in seen["cases"].items():  # type: ignore[attr-defined]
        assert stale == "ignored: stale run", case
        assert (answer, state) == EXPECTED[case], case
    assert seen["duplicates"] == ["completed", "ignored: not ranking"]
    assert seen["again"] == ["ranking", "ranking"]
    assert seen["reopened"] == ("ranking", "ranking")
    assert seen["unknown"] == "ignored: resume no longer exists"
    assert seen["malformed"] == "ignored: malformed reference"
    # A rank task went out for each "extracted" that moved or kept a resume ranking (three cases, the
    # redelivered pair, the reopened resume); the pair shares its run's message id, and JetStream keeps
    # one of the two.
    assert seen["rank_tasks"] == 3 + 1 + 1
    # The counters moved once per resume that finished here: completed by the ranking case and the first
    # of the duplicates; failed by the three cases in progress (the replayed failure was un-counted).
    assert (counters["completed_resumes"], counters["failed_resumes"]) == (2, 3)
