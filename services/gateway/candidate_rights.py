"""A candidate's rights over their data: everything held about them exported as one archive, or erased
from the account: every resume of theirs in every job with its parse, embeddings, ranking, analysis,
decisions and demographic data, the analysis cache entries made from them, the dead letters that carry
them, and each original file once no other resume holds it. The audit trail records the erasure with
ids and counts only."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime

from screener.contract.schemas import canonical_email
from services.common import deadletters
from services.common.errors import Conflict, InvalidInput, NotFound
from services.gateway.models import Resume
from services.gateway.pipeline import PipelineService
from services.gateway.repository import Repository

BUSY = ("queued", "extracting", "ranking")


@dataclass(frozen=True)
class Erased:
    resumes: int
    jobs: int
    files: int
    cache_entries: int
    dead_letters: int


async def _person(
    r: Repository, owner_id: uuid.UUID, resume_id: uuid.UUID | None, email: str | None
) -> list[Resume]:
    if resume_id is None and not email:
        raise InvalidInput("name the candidate by one of their resume ids or by their email")
    found = await r.person_resumes(owner_id, resume_id, canonical_email(email) if email else None)
    if not found:
        raise NotFound("no resume of that candidate in this account")
    return found


async def erase(
    r: Repository,
    pipeline: PipelineService,
    owner_id: uuid.UUID,
    resume_id: uuid.UUID | None = None,
    email: str | None = None,
) -> Erased:
    resumes = await _person(r, owner_id, resume_id, email)
    if any(resume.status in BUSY for resume in resumes):
        raise Conflict("a resume of this candidate is being processed; erase them when it is done")
    ids = [resume.id for resume in resumes]
    erased = await erase_resumes(r, pipeline, resumes)
    facts = {**erased.__dict__, "resume_ids": [str(i) for i in ids]}
    await r.audit(owner_id, "candidate.erased", "candidate", ids[0], facts)
    return erased


async def erase_resumes(r: Repository, pipeline: PipelineService, resumes: list[Resume]) -> Erased:
    """Erase these resumes and all that was made from them: the rows (with their parses, embeddings,
    rankings, analyses, decisions and demographic data), the analysis cache entries, the dead letters,
    and each file once no other resume holds it."""
    cache_keys = {str((resume.analysis or {}).get("cache_key") or "") for resume in resumes} - {""}
    cache_entries = await r.delete_cache_entries(cache_keys)
    shas = {resume.sha256 for resume in resumes}
    ids = {str(resume.id) for resume in resumes}
    jobs = {resume.job_id for resume in resumes}
    for resume in resumes:
        await r.delete_resume(resume)
    await r.session.flush()
    files = 0
    for sha256 in shas:
        if not await r.file_in_use(sha256):
            await pipeline.delete_file(sha256)
            files += 1
    dead = await deadletters.purge(pipeline.js, ids) if ids else 0
    return Erased(len(resumes), len(jobs), files, cache_entries, dead)


async def export(
    r: Repository,
    pipeline: PipelineService,
    owner_id: uuid.UUID,
    resume_id: uuid.UUID | None = None,
    email: str | None = None,
) -> bytes:
    """A ZIP of everything held about the candidate: per resume, what was read from it, its score and
    reasons, its analysis, the decisions on it, and the original file; a README says what each is."""
    resumes = await _person(r, owner_id, resume_id, email)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", _readme(len(resumes)))
        for n, resume in enumerate(resumes, start=1):
            folder = f"{n:02d}-{resume.id}"
            decisions = [
                {"decision": d.decision, "note": d.note, "by": by, "at": d.created_at.isoformat()}
                for d, by in await r.decisions_of(resume.id)
            ]
            held = {
                "resume_id": str(resume.id),
                "job_id": str(resume.job_id),
                "filename": resume.filename,
                "uploaded_at": resume.created_at.isoformat(),
                "status": resume.status,
                "read_from_the_file": resume.parsed,
                "score": resume.final_score,
                "passed": resume.passed,
                "ranking": resume.ranking,
                "analysis": resume.analysis,
                "decisions": decisions,
            }
            archive.writestr(
                f"{folder}/data.json", json.dumps(held, indent=2, ensure_ascii=False, default=str)
            )
            try:
                original = await pipeline.read_file(resume.sha256)
            except NotFound:
                continue
            archive.writestr(f"{folder}/{resume.filename.replace('/', '_')}", original)
    await r.audit(owner_id, "candidate.exported", "candidate", resumes[0].id, {"resumes": len(resumes)})
    return buffer.getvalue()


def _readme(count: int) -> str:
    return (
        f"Everything this account holds about the candidate, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC:\n"
        f"{count} resume(s), one folder each. data.json holds what was read from the file, the score with "
        "its reasons, the analysis if one was written, and every decision with its note; the original file "
        "is beside it.\n"
    )
