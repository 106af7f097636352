"""The counterfactual audit of a job's own resumes: each one scored again by the ranker as it is, under
other names, and with a statement of a protected attribute written in, with nothing stored; a fair
score does not move. The same measurement as bench/fairness.py, run on real uploads."""

from __future__ import annotations

import asyncio
import statistics
from dataclasses import dataclass

import grpc
from google.protobuf.json_format import ParseDict

from screener.v1 import ranker_pb2, ranker_pb2_grpc, resume_pb2
from services.common.counterfactual import ATTRIBUTE_LINES, NAMES
from services.common.errors import Conflict
from services.gateway.models import Job, Resume
from services.gateway.pipeline import for_scoring, job_spec

# Four names across genders, origins and scripts, and one statement of each protected attribute.
AUDIT_NAMES = (NAMES[0], NAMES[1], NAMES[5], NAMES[8])
PARALLEL = 4
RPC_SECONDS = 60.0


@dataclass(frozen=True)
class Variant:
    kind: str  # name or attribute
    label: str
    resume: resume_pb2.ParsedResume


def variants_of(parsed: resume_pb2.ParsedResume) -> list[Variant]:
    """The resume under other names (in its contact and wherever its text names the candidate), and with
    one statement of each protected attribute written below its contact lines."""
    out = []
    name = parsed.contact.name
    for other in AUDIT_NAMES:
        if other == name:
            continue
        renamed = resume_pb2.ParsedResume()
        renamed.CopyFrom(parsed)
        renamed.contact.name = other
        renamed.full_text = parsed.full_text.replace(name, other) if name else f"{other}\n{parsed.full_text}"
        out.append(Variant("name", other, renamed))
    lines = parsed.full_text.splitlines()
    after_contact = next((i + 1 for i, line in enumerate(lines[:6]) if "@" in line), min(2, len(lines)))
    for category, statements in ATTRIBUTE_LINES.items():
        stated = resume_pb2.ParsedResume()
        stated.CopyFrom(parsed)
        stated.full_text = "\n".join([*lines[:after_contact], statements[0], *lines[after_contact:]])
        out.append(Variant("attribute", f"{category}: {statements[0]}", stated))
    return out


@dataclass(frozen=True)
class Difference:
    resume_id: str
    kind: str
    label: str
    points: float


async def audit(channel: grpc.aio.Channel, job: Job, resumes: list[Resume]) -> list[Difference]:
    """Every variant's score minus the resume's own, as the ranker gives them now."""
    stub = ranker_pb2_grpc.RankerServiceStub(channel)
    spec = job_spec(job)
    gate = asyncio.Semaphore(PARALLEL)

    async def score(parsed: resume_pb2.ParsedResume, stored: bytes | None) -> float:
        request = ranker_pb2.RankRequest(job=spec, resume=for_scoring(job, parsed))
        if stored:
            request.embeddings.ParseFromString(stored)
        async with gate:
            try:
                answer = await stub.Rank(request, timeout=RPC_SECONDS)
            except grpc.aio.AioRpcError as exc:
                raise Conflict(f"the ranker is not available for the audit: {exc.details()}") from None
        return float(answer.result.final_score)

    async def one(resume: Resume) -> list[Difference]:
        parsed = ParseDict(resume.parsed or {}, resume_pb2.ParsedResume(), ignore_unknown_fields=True)
        cases = variants_of(parsed)
        scores = await asyncio.gather(
            score(parsed, resume.embeddings), *(score(c.resume, resume.embeddings) for c in cases)
        )
        base = scores[0]
        return [
            Difference(str(resume.id), c.kind, c.label, s - base)
            for c, s in zip(cases, scores[1:], strict=True)
        ]

    found = await asyncio.gather(*(one(resume) for resume in resumes))
    return [difference for per_resume in found for difference in per_resume]


def summary(differences: list[Difference]) -> dict[str, dict[str, float | int]]:
    out: dict[str, dict[str, float | int]] = {}
    for kind in ("name", "attribute"):
        values = [abs(d.points) for d in differences if d.kind == kind]
        out[kind] = {
            "variants": len(values),
            "largest": round(max(values, default=0.0), 2),
            "mean": round(statistics.fmean(values), 3) if values else 0.0,
        }
    return out
