"""Every size has a bound: a field past it is a 422 naming the field, a body past its route's bound is a
413 before it is read, and a work message past the message bus's limit is never sent."""

from __future__ import annotations

import asyncio
import json

import nats
import pytest

from screener.v1 import pipeline_pb2, resume_pb2
from services.common import jetstream
from services.common.errors import TooLarge
from services.demo.mailbox import MailSink
from services.demo.samples import SAMPLE_JOB
from services.launcher import Mesh
from tests.security.conftest import signed_up


def _field(answer: object) -> list[str]:
    details = answer.json()["error"]["details"]  # type: ignore[attr-defined]
    return [item["loc"] for item in details]


def test_fields_past_their_bounds_are_refused_by_name(security_mesh: Mesh, mailbox: MailSink) -> None:
    client = signed_up(security_mesh, mailbox).client
    job = client.post("/api/jobs", json=SAMPLE_JOB).json()
    long_skill = client.patch(f"/api/jobs/{job['id']}", json={"required_skills": ["Python", "x" * 100_001]})
    assert long_skill.status_code == 422
    assert _field(long_skill) == ["body.required_skills.1"]
    long_description = client.post("/api/jobs", json={**SAMPLE_JOB, "description": "d" * 50_001})
    assert long_description.status_code == 422 and _field(long_description) == ["body.description"]
    # Nothing changed, and a skill at its bound is fine.
    assert client.get(f"/api/jobs/{job['id']}").json()["required_skills"] == SAMPLE_JOB["required_skills"]
    fine = client.patch(f"/api/jobs/{job['id']}", json={"preferred_skills": ["y" * 100]})
    assert fine.status_code == 200, fine.text


def test_a_body_past_its_routes_bound_is_refused_before_it_is_read(
    security_mesh: Mesh, mailbox: MailSink
) -> None:
    client = signed_up(security_mesh, mailbox).client
    huge = json.dumps({**SAMPLE_JOB, "description": "d" * (20 * 1024 * 1024)})
    answer = client.post("/api/jobs", content=huge, headers={"content-type": "application/json"})
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "too_large"

    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"title": "chunked", "description": "'
        for _ in range(40):
            yield b"d" * 65536
        yield b'"}'

    chunked = client.post("/api/jobs", content=chunks(), headers={"content-type": "application/json"})
    assert chunked.status_code == 413
    assert client.get("/api/jobs").json()["items"] == []


def test_a_work_message_past_the_bus_limit_is_never_sent(security_mesh: Mesh) -> None:
    async def run() -> None:
        nc = await nats.connect(security_mesh.nats_url)
        try:
            js = nc.jetstream()
            before = (await js.stream_info(jetstream.WORK_STREAM)).state.messages
            task = pipeline_pb2.RankTask(
                ref=pipeline_pb2.WorkRef(resume_id="r", job_id="j", batch_id="b", run_id="too-large"),
                resume=resume_pb2.ParsedResume(full_text="w" * (nc.max_payload + 1)),
            )
            with pytest.raises(TooLarge) as refused:
                await jetstream.publish_work(js, jetstream.SUBJECT_RANK, task, "too-large:rank")
            assert refused.value.code == "too_large" and "larger than the message bus accepts" in str(
                refused.value
            )
            assert (await js.stream_info(jetstream.WORK_STREAM)).state.messages == before
        finally:
            await nc.close()

    asyncio.run(run())
