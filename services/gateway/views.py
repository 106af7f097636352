"""What every transport shows of a stored row and computes the same way: a batch that stalls, a ranking's
skill lists, who wrote an analysis, what a resume says about who the candidate is, a masked parse. Each
transport's presenters (routes/presenters.py for REST, grpc_api.py for gRPC) put these in its own
shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from google.protobuf.json_format import ParseDict

from screener.v1 import resume_pb2
from services.common import protected
from services.common.redaction import redact
from services.gateway.models import Batch, Resume
from services.gateway.pipeline import to_dict

RULE_BASED = "rule-based analysis: no language model is configured"


def stalled(batch: Batch, stall_after_seconds: float) -> bool:
    """A running batch with no resume finished for `stall_after_seconds`: a stuck batch is visible
    without digging into the mesh."""
    idle = (datetime.now(UTC) - batch.updated_at).total_seconds()
    return batch.status == "running" and idle > stall_after_seconds


def progress_key(batch: Batch, stall_after_seconds: float) -> tuple[Any, ...]:
    """What a follower of the batch sees change."""
    return (
        batch.status,
        batch.total,
        batch.completed,
        batch.failed,
        batch.updated_at,
        batch.finished_at,
        stalled(batch, stall_after_seconds),
    )


def skill_lists(ranking: dict | None) -> tuple[list[str], list[str]]:
    """The matched (required and preferred) and missing required skills of a stored ranking."""
    ranking = ranking or {}
    matched = ranking.get("matched_required", []) + ranking.get("matched_preferred", [])
    return matched, ranking.get("missing_required", [])


def analysis_label(analysis: dict | None) -> str | None:
    """Who wrote an analysis, said plainly: never a rule-based one passed off as a model's."""
    if not analysis or "summary" not in analysis:
        return None
    if analysis.get("offline"):
        return RULE_BASED
    cached = " (from the analysis cache)" if analysis.get("cached") else ""
    return f"written by the language model {analysis.get('model') or '(unnamed)'}{cached}"


def withheld(parsed: dict | None) -> tuple[list[str], bool] | None:
    """What the resume says about who the candidate is, by kind only (and whether it has a photo); None
    when it says nothing."""
    if not parsed:
        return None
    categories = protected.find(parsed.get("full_text", ""))
    photo = bool(parsed.get("stats", {}).get("has_photo"))
    return (categories, photo) if categories or photo else None


def shown_parse(resume: Resume, masked: bool) -> dict | None:
    """The stored parse, with the personal details redacted when the resume is shown blind."""
    parsed = resume.parsed
    if masked and parsed is not None:
        return to_dict(redact(ParseDict(parsed, resume_pb2.ParsedResume(), ignore_unknown_fields=True)))
    return parsed


def scored_with(ranking: dict | None) -> dict | None:
    """The versions that made a score, from its ranking: the same ones give the same number."""
    if not ranking:
        return None
    return {
        "scorer_version": ranking.get("scorer_version", ""),
        "taxonomy_version": ranking.get("taxonomy_version", 0),
        "model": ranking.get("model", ""),
    }
