"""How a batch is shown: a running batch without progress for too long is marked stalled."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.gateway.models import Batch
from services.gateway.routes.presenters import batch_out


def _batch(status: str, idle: timedelta) -> Batch:
    now = datetime.now(UTC)
    return Batch(
        id=uuid.uuid4(),
        job_id=uuid.uuid4(),
        owner_id=uuid.uuid4(),
        total=5,
        completed=2,
        failed=0,
        status=status,
        created_at=now - idle - timedelta(minutes=1),
        updated_at=now - idle,
        finished_at=None,
    )


def test_a_running_batch_without_progress_is_stalled_and_a_finished_one_never_is() -> None:
    assert batch_out(_batch("running", timedelta(minutes=11)), stall_after_seconds=600).stalled
    fresh = batch_out(_batch("running", timedelta(seconds=30)), stall_after_seconds=600)
    assert not fresh.stalled and fresh.last_progress_at is not None
    assert not batch_out(_batch("done", timedelta(hours=3)), stall_after_seconds=600).stalled
