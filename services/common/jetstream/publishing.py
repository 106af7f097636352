"""Publishing work messages, stage events and dead letters, each with a message id that makes a
re-published duplicate a no-op."""

from __future__ import annotations

from nats import errors as nats_errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from screener.v1 import pipeline_pb2
from services.common.errors import TooLarge
from services.common.jetstream.topology import H_CONSUMER, H_DELIVERIES, H_ERROR, H_SUBJECT, event_subject
from services.common.logging import log_context
from services.common.tracing import carrier


async def publish_event(js: JetStreamContext, event: pipeline_pb2.StageEvent) -> None:
    """Publish a stage event; the message id makes a re-published duplicate a no-op in JetStream."""
    outcome = event.WhichOneof("outcome") or "none"
    msg_id = f"{event.ref.run_id}:{event.stage}:{outcome}"
    headers = {**_trace_headers(event.ref.resume_id), "Nats-Msg-Id": msg_id}
    await js.publish(event_subject(event.stage), event.SerializeToString(), headers=headers)


WorkTask = pipeline_pb2.ExtractTask | pipeline_pb2.RankTask | pipeline_pb2.AnalyzeTask


async def publish_work(js: JetStreamContext, subject: str, task: WorkTask, msg_id: str) -> None:
    """Publish a work message; TooLarge (nothing sent) when it would pass the server's payload limit."""
    headers = {**_trace_headers(task.ref.resume_id), "Nats-Msg-Id": msg_id}
    try:
        await js.publish(subject, task.SerializeToString(), headers=headers)
    except nats_errors.MaxPayloadError as exc:
        raise TooLarge(
            f"the work message for this resume ({task.ByteSize():,} bytes) is larger than the message "
            "bus accepts",
        ) from exc


def _trace_headers(resume_id: str) -> dict[str, str]:
    return carrier(request_id=log_context().get("request_id", ""), resume_id=resume_id)


async def dead_letter(js: JetStreamContext, msg: Msg, durable: str, exc: BaseException) -> None:
    """Keep a message that was given up on in the dead-letter stream, with where it came from and why."""
    meta = msg.metadata
    seq = meta.sequence.stream if meta else 0
    await js.publish(
        f"screener.dead.{durable}",
        msg.data,
        headers={
            "Nats-Msg-Id": f"dead:{durable}:{seq}",
            H_SUBJECT: msg.subject,
            H_ERROR: f"{type(exc).__name__}: {exc}"[:1000],
            H_DELIVERIES: str(meta.num_delivered if meta else 0),
            H_CONSUMER: durable,
        },
    )
