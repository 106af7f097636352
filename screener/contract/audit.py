"""The audit trail's chain, as both sides compute it: the gateway when it writes an entry, and
`screener audit verify` when it checks what the API returns. Each entry's `hash` is SHA-256 of the
previous entry's hash and the entry's canonical JSON; the first entry follows GENESIS."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def timestamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(entry: dict[str, Any]) -> str:
    """The entry as hashed: the fields below, in one spelling (sorted keys, no spaces, UTC time)."""
    at = entry["at"]
    fields = {
        "seq": entry["seq"],
        "at": timestamp(datetime.fromisoformat(at) if isinstance(at, str) else at),
        "owner_id": str(entry["owner_id"]),
        "actor_id": str(entry["actor_id"]) if entry.get("actor_id") else None,
        "api_key_id": str(entry["api_key_id"]) if entry.get("api_key_id") else None,
        "client": entry["client"],
        "action": entry["action"],
        "object_type": entry["object_type"],
        "object_id": entry["object_id"],
        "details": entry["details"],
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical(entry)}".encode()).hexdigest()


@dataclass(frozen=True)
class Break:
    seq: int
    problem: str


def verify(entries: list[dict[str, Any]]) -> list[Break]:
    """Where a trail, read in order from its first entry, stops being the chain it was written as."""
    problems: list[Break] = []
    prev = GENESIS
    expected_seq = 1
    for entry in entries:
        seq = int(entry["seq"])
        if seq != expected_seq:
            missing = f"entry {expected_seq} is missing (found {seq} after {expected_seq - 1})"
            problems.append(Break(seq, missing))
        if entry["prev_hash"] != prev:
            problems.append(Break(seq, "does not follow the entry before it (prev_hash differs)"))
        if entry_hash(entry["prev_hash"], entry) != entry["hash"]:
            problems.append(Break(seq, "was changed after it was written (its hash does not match)"))
        prev = entry["hash"]
        expected_seq = seq + 1
    return problems
