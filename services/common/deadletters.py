"""The dead-letter stream for operators: list what was given up on, and replay it.

A replayed work message is sent again to its original subject with `ref.replay` set, so the gateway
may reopen the resume it failed (its failure is un-counted and the resume goes through the stage
again). A replayed stage event is re-applied as it was. A replayed message is removed from the
dead-letter stream once it is published; if it fails again, it comes back as a new dead letter.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg
from nats.js.errors import NotFoundError

from screener.v1 import pipeline_pb2
from services.common import jetstream

WORK_MESSAGES: dict[str, Any] = {
    jetstream.SUBJECT_EXTRACT: pipeline_pb2.ExtractTask,
    jetstream.SUBJECT_RANK: pipeline_pb2.RankTask,
    jetstream.SUBJECT_ANALYZE: pipeline_pb2.AnalyzeTask,
}


@dataclass(frozen=True)
class DeadLetter:
    seq: int
    subject: str  # where it was headed
    consumer: str
    error: str
    deliveries: int
    dead_at: datetime | None
    resume_id: str  # empty when the payload names none or cannot be read
    payload: bytes
    headers: dict[str, str]


def _resume_id(subject: str, payload: bytes) -> str:
    kind = WORK_MESSAGES.get(subject)
    try:
        if kind is not None:
            return str(kind.FromString(payload).ref.resume_id)  # type: ignore[attr-defined]
        if subject.startswith("screener.events."):
            return pipeline_pb2.StageEvent.FromString(payload).ref.resume_id
    except Exception:
        return ""
    return ""


async def list_dead(js: JetStreamContext, limit: int = 1000) -> list[DeadLetter]:
    out: list[DeadLetter] = []
    seq = 1
    while len(out) < limit:
        try:
            # The next message at or after seq, skipping the gaps replays leave.
            raw = await js.get_msg(jetstream.DEAD_STREAM, seq, subject=jetstream.DEAD_SUBJECTS, next=True)
        except NotFoundError:
            break
        out.append(_letter(raw))
        seq = int(raw.seq or seq) + 1
    return out


async def get_dead(js: JetStreamContext, seq: int) -> DeadLetter | None:
    try:
        raw = await js.get_msg(jetstream.DEAD_STREAM, seq)
    except NotFoundError:
        return None
    return _letter(raw)


def _letter(raw: RawStreamMsg) -> DeadLetter:
    headers = dict(raw.headers or {})
    subject = headers.get(jetstream.H_SUBJECT, "")
    payload = raw.data or b""
    return DeadLetter(
        seq=int(raw.seq or 0),
        subject=subject,
        consumer=headers.get(jetstream.H_CONSUMER, ""),
        error=headers.get(jetstream.H_ERROR, ""),
        deliveries=int(headers.get(jetstream.H_DELIVERIES, "0") or 0),
        dead_at=raw.time,
        resume_id=_resume_id(subject, payload),
        payload=payload,
        headers=headers,
    )


async def replay(js: JetStreamContext, seq: int) -> DeadLetter:
    """Send a dead letter back to its subject and drop it from the dead-letter stream."""
    letter = await get_dead(js, seq)
    if letter is None:
        raise LookupError(f"no dead letter with sequence {seq}")
    if not letter.subject.startswith("screener."):
        raise ValueError(f"dead letter {seq} has no original subject")
    payload = letter.payload
    kind = WORK_MESSAGES.get(letter.subject)
    if kind is not None:
        task = kind.FromString(payload)
        task.ref.replay = True  # type: ignore[attr-defined]
        payload = task.SerializeToString()
    await js.publish(letter.subject, payload, headers={"Nats-Msg-Id": f"replay:{seq}:{time.time_ns()}"})
    await js.delete_msg(jetstream.DEAD_STREAM, seq)
    return letter


async def purge(js: JetStreamContext, resume_ids: set[str]) -> int:
    """Delete every dead letter about these resumes (by the reference in its payload, or, when the
    payload cannot be read, by the id appearing in it): a candidate's erasure reaches the stream too."""
    purged = 0
    needles = [resume_id.encode() for resume_id in resume_ids]
    for letter in await list_dead(js, limit=1_000_000):
        if letter.resume_id in resume_ids or any(needle in letter.payload for needle in needles):
            await js.delete_msg(jetstream.DEAD_STREAM, letter.seq)
            purged += 1
    return purged
