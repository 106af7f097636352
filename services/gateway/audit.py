"""The audit trail: who did what, when, from where, to which object, as an append-only chain per
account (its arithmetic: screener.contract.audit). Entries hold ids and facts about acts, never resume
text or a candidate's personal data.

Who acts is taken from the request (ACTOR, set where the caller is authenticated); acts the system takes
itself (scores computed by the workers, retention sweeps) have no actor."""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass

from screener.contract.audit import GENESIS, entry_hash, timestamp

__all__ = ["ACTOR", "GENESIS", "SYSTEM", "Actor", "acting", "entry_hash", "timestamp"]


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID | None
    api_key_id: uuid.UUID | None = None
    client: str = ""


SYSTEM = Actor(user_id=None, client="system")
ACTOR: contextvars.ContextVar[Actor] = contextvars.ContextVar("audit_actor", default=SYSTEM)


def acting(actor: Actor) -> None:
    ACTOR.set(actor)
