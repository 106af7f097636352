"""What a recruiter can do, shared by the REST and the gRPC APIs: each takes the caller's id and a
repository inside the caller's transaction, and answers NotFound for anything the caller does not own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from google.protobuf.json_format import ParseDict
from sqlalchemy.ext.asyncio import async_sessionmaker

from screener.contract import schemas
from screener.v1 import resume_pb2
from services.common import protected
from services.common.errors import Conflict, NotFound
from services.common.job_understanding import DEFAULT_WEIGHTS, understand
from services.common.knockout import DEFAULT_RULES, RULES
from services.common.redaction import redact
from services.common.skills import SkillTaxonomy
from services.gateway.models import Batch, Job, Resume
from services.gateway.pipeline import PipelineService, job_content_hash, job_spec, to_dict
from services.gateway.repository import Repository


def _skills(names: list[str]) -> list[str]:
    return [name.strip() for name in names if name.strip()]


def job_out(job: Job) -> schemas.JobOut:
    return schemas.JobOut.model_validate(job, from_attributes=True)


def batch_out(batch: Batch, stall_after_seconds: float) -> schemas.BatchOut:
    """The batch as clients see it; a running batch with no resume finished for `stall_after_seconds`
    is marked stalled, so a stuck batch is visible without digging into the mesh."""
    out = schemas.BatchOut.model_validate(batch, from_attributes=True)
    out.last_progress_at = batch.updated_at
    idle = (datetime.now(UTC) - batch.updated_at).total_seconds()
    out.stalled = batch.status == "running" and idle > stall_after_seconds
    return out


def skill_lists(ranking: dict | None) -> tuple[list[str], list[str]]:
    """The matched (required and preferred) and missing required skills of a stored ranking."""
    ranking = ranking or {}
    matched = ranking.get("matched_required", []) + ranking.get("matched_preferred", [])
    return matched, ranking.get("missing_required", [])


def resume_row(
    resume: Resume, rank: int | None, job: Job, *, masked: bool | None = None
) -> schemas.ResumeRow:
    """A resume as a row of its job's ranked table; its name masked in a blind-screened job (or as
    `masked` says, for a recruiter who reveals one resume)."""
    matched, missing = skill_lists(resume.ranking)
    masked = job.blind_screening if masked is None else masked
    return schemas.ResumeRow(
        id=resume.id,
        filename=resume.filename,
        status=resume.status,
        final_score=resume.final_score,
        rank=rank,
        passed=resume.passed,
        candidate_name=None if masked else resume.candidate_name,
        failure_reason=resume.failure_reason,
        matched_skills=matched,
        missing_skills=missing,
        summary=(resume.ranking or {}).get("summary"),
        reasons=list((resume.ranking or {}).get("reasons", [])),
    )


RULE_BASED = "rule-based analysis: no language model is configured"


def analysis_label(analysis: dict | None) -> str | None:
    """Who wrote an analysis, said plainly: never a rule-based one passed off as a model's."""
    if not analysis or "summary" not in analysis:
        return None
    if analysis.get("offline"):
        return RULE_BASED
    cached = " (from the analysis cache)" if analysis.get("cached") else ""
    return f"written by the language model {analysis.get('model') or '(unnamed)'}{cached}"


def withheld(parsed: dict | None) -> schemas.Withheld | None:
    """What the resume says about who the candidate is, by kind only; None when it says nothing."""
    if not parsed:
        return None
    categories = protected.find(parsed.get("full_text", ""))
    photo = bool(parsed.get("stats", {}).get("has_photo"))
    return schemas.Withheld(categories=categories, photo=photo) if categories or photo else None


def resume_detail(resume: Resume, rank: int | None, *, masked: bool = False) -> schemas.ResumeDetail:
    ranking = resume.ranking or {}
    parsed = resume.parsed
    if masked and parsed is not None:
        parsed = to_dict(redact(ParseDict(parsed, resume_pb2.ParsedResume(), ignore_unknown_fields=True)))
    return schemas.ResumeDetail(
        id=resume.id,
        job_id=resume.job_id,
        batch_id=resume.batch_id,
        filename=resume.filename,
        sha256=resume.sha256,
        content_type=resume.content_type,
        size_bytes=resume.size_bytes,
        status=resume.status,
        failure={"reason": resume.failure_reason, "message": resume.failure_message}
        if resume.status == "failed"
        else None,
        candidate_name=None if masked else resume.candidate_name,
        redacted=masked,
        quality=(parsed or {}).get("quality"),
        flags=list((parsed or {}).get("flags", [])),
        parsed=parsed,
        final_score=resume.final_score,
        rank=rank,
        passed=resume.passed,
        reasons=list(ranking.get("reasons", [])),
        explanation=ranking.get("explanation"),
        score_components=ranking.get("components"),
        withheld=withheld(resume.parsed),
        same_candidate_as=resume.same_as,
        ranking=resume.ranking or None,
        analysis_status=resume.analysis_status,
        analysis=resume.analysis,
        analysis_label=analysis_label(resume.analysis),
        stage_seconds=resume.stage_seconds or {},
        created_at=resume.created_at,
        updated_at=resume.updated_at,
    )


async def owned_job(r: Repository, owner_id: uuid.UUID, job_id: uuid.UUID, *, lock: bool = False) -> Job:
    job = await r.job_for_owner(job_id, owner_id, lock=lock)
    if job is None:
        raise NotFound("job not found")
    return job


SEVERITY_TEXT = {
    "hard": "a candidate who fails it ranks below every candidate who passes",
    "soft": "failing it takes 10% off the score",
    "off": "not applied",
}


def preview_job(body: schemas.JobCreate, taxonomy: SkillTaxonomy) -> schemas.JobPreview:
    """What the job understanding derives from a job that is not created."""
    spec = resume_pb2.JobSpec(
        title=body.title.strip(),
        description=body.description,
        required_skills=_skills(body.required_skills),
        preferred_skills=_skills(body.preferred_skills),
        min_years_experience=body.min_years_experience,
        required_education=body.required_education,
    )
    seen = understand(spec, taxonomy)
    weights = {**DEFAULT_WEIGHTS, **body.weights.model_dump(exclude_none=True)}
    if not (seen.required_skills or seen.preferred_skills):
        weights["skills"] = 0.0
    total = sum(weights.values()) or 1.0
    rules = {**DEFAULT_RULES, **body.rules.model_dump(exclude_none=True)}
    in_force = [
        schemas.RuleInForce(
            rule=rule.name,
            severity=rules[rule.name],
            explanation=f"{rule.describe(seen)}: {SEVERITY_TEXT[rules[rule.name]]}",
        )
        for rule in RULES.values()
        if rule.applies(seen)
    ]
    return schemas.JobPreview(
        required_skills=list(seen.required_skills),
        preferred_skills=list(seen.preferred_skills),
        min_years=seen.min_years,
        seniority=seen.seniority,
        education=seen.education,
        derived=list(seen.derived),
        weights={name: round(value / total, 4) for name, value in weights.items()},
        rules=in_force,
    )


async def create_job(r: Repository, owner_id: uuid.UUID, body: schemas.JobCreate) -> Job:
    required, preferred = _skills(body.required_skills), _skills(body.preferred_skills)
    job = Job(
        owner_id=owner_id,
        title=body.title.strip(),
        description=body.description,
        required_skills=required,
        preferred_skills=preferred,
        min_years_experience=body.min_years_experience,
        blind_screening=body.blind_screening,
        weights=body.weights.model_dump(exclude_none=True),
        rules=body.rules.model_dump(exclude_none=True),
        required_education=body.required_education,
        token_budget=body.token_budget,
        auto_analyze_top_k=body.auto_analyze_top_k,
        tokens_used=0,
        content_hash=job_content_hash(
            body.title, body.description, required, preferred, body.min_years_experience
        ),
        total_resumes=0,
        completed_resumes=0,
        failed_resumes=0,
    )
    r.add(job)
    await r.session.flush()
    await r.session.refresh(job)
    return job


async def update_job(
    r: Repository, pipeline: PipelineService, owner_id: uuid.UUID, job_id: uuid.UUID, body: schemas.JobUpdate
) -> tuple[Job, Batch | None]:
    """Apply the fields set in body; a change to anything that scores re-scores the job's resumes."""
    job = await owned_job(r, owner_id, job_id, lock=True)
    changes = body.model_dump(exclude_unset=True)
    if "weights" in changes:
        changes["weights"] = body.weights.model_dump(exclude_none=True) if body.weights else {}
    if "rules" in changes:
        changes["rules"] = body.rules.model_dump(exclude_none=True) if body.rules else {}
    for list_field in ("required_skills", "preferred_skills"):
        if changes.get(list_field) is not None:
            changes[list_field] = _skills(changes[list_field])
    before = job_spec(job).SerializeToString(deterministic=True), job.blind_screening
    for name, value in changes.items():
        if value is not None:
            setattr(job, name, value)
    job.content_hash = job_content_hash(
        job.title, job.description, job.required_skills, job.preferred_skills, job.min_years_experience
    )
    batch = None
    if (job_spec(job).SerializeToString(deterministic=True), job.blind_screening) != before:
        batch = await pipeline.rescore_job(r, job)
    await r.session.flush()
    await r.session.refresh(job)
    return job, batch


async def delete_job(
    r: Repository, pipeline: PipelineService, owner_id: uuid.UUID, job_id: uuid.UUID
) -> None:
    """Delete a job, its resumes, batches and (unless another job holds them) its files."""
    job = await owned_job(r, owner_id, job_id, lock=True)
    if await r.busy_resumes(job.id):
        raise Conflict("the job has resumes being processed; delete it when its batch is done")
    shas = await r.delete_job(job)
    await r.session.flush()
    for sha256 in set(shas):
        if not await r.file_in_use(sha256):
            await pipeline.delete_file(sha256)


async def delete_resume(
    r: Repository, pipeline: PipelineService, owner_id: uuid.UUID, resume_id: uuid.UUID
) -> None:
    """Delete a resume that is not being processed, and its file when no other resume holds it."""
    resume = await r.resume_for_owner(resume_id, owner_id, lock=True)
    if resume is None:
        raise NotFound("resume not found")
    if resume.status in ("queued", "extracting", "ranking"):
        raise Conflict("the resume is being processed; delete it when it is done")
    await r.delete_resume(resume)
    await r.session.flush()
    if not await r.file_in_use(resume.sha256):
        await pipeline.delete_file(resume.sha256)


async def ranked_rows(r: Repository, job: Job) -> list[schemas.ResumeRow]:
    """The job's whole ranked table, read a page at a time."""
    rows: list[schemas.ResumeRow] = []
    page = 1
    while True:
        chunk, total = await r.ranked_page(
            job.id, page=page, page_size=200, status=None, passed=None, sort="rank"
        )
        rows += [resume_row(resume, rank, job) for resume, rank in chunk]
        if len(rows) >= total or not chunk:
            return rows
        page += 1


@dataclass(frozen=True)
class ResumeQuery:
    page: int = 1
    page_size: int = 50
    status: str | None = None
    passed: bool | None = None
    sort: str = "rank"
    min_score: float | None = None
    skill: str | None = None
    text: str | None = None


async def list_resumes(
    r: Repository, taxonomy: SkillTaxonomy, owner_id: uuid.UUID, job_id: uuid.UUID, query: ResumeQuery
) -> tuple[list[schemas.ResumeRow], int]:
    job = await owned_job(r, owner_id, job_id)
    rows, total = await r.ranked_page(
        job_id,
        page=query.page,
        page_size=query.page_size,
        status=query.status,
        passed=query.passed,
        sort=query.sort,
        min_score=query.min_score,
        skill=taxonomy.canonical_name(query.skill) if query.skill else None,
        text=query.text,
        search_names=not job.blind_screening,
    )
    files = await r.same_candidate_files([resume.id for resume, _ in rows])
    listed = []
    for resume, rank in rows:
        row = resume_row(resume, rank, job)
        row.other_files = [schemas.CandidateFile(id=i, filename=name) for i, name in files.get(resume.id, [])]
        listed.append(row)
    return listed, total


async def resume_views(
    r: Repository, owner_id: uuid.UUID, resume_id: uuid.UUID, *, reveal: bool
) -> tuple[schemas.ResumeRow, schemas.ResumeDetail]:
    """A resume as its table row and as its detail, from the same row of the database."""
    resume = await r.resume_for_owner(resume_id, owner_id)
    if resume is None:
        raise NotFound("resume not found")
    job = await r.job_for_owner(resume.job_id, owner_id)
    assert job is not None
    masked = job.blind_screening and not reveal
    rank = await r.rank_of(resume)
    return resume_row(resume, rank, job, masked=masked), resume_detail(resume, rank, masked=masked)


async def get_resume(
    r: Repository, owner_id: uuid.UUID, resume_id: uuid.UUID, *, reveal: bool
) -> schemas.ResumeDetail:
    return (await resume_views(r, owner_id, resume_id, reveal=reveal))[1]


async def owned_batch(r: Repository, owner_id: uuid.UUID, batch_id: uuid.UUID) -> Batch:
    batch = await r.batch_for_owner(batch_id, owner_id)
    if batch is None:
        raise NotFound("batch not found")
    return batch


# Outcomes commit in a different order than their timestamps: the look-back covers that.
FINISH_LOOK_BACK = timedelta(seconds=60)


@dataclass
class BatchProgress:
    """One change of a batch: its state, and the resumes that finished since the last change."""

    state: schemas.BatchOut
    batch: Batch
    job: Job
    finished: list[Resume] = field(default_factory=list)


async def watch_batch(
    sessions: async_sessionmaker,
    owner_id: uuid.UUID,
    batch_id: uuid.UUID,
    *,
    stall_seconds: float,
    max_seconds: float,
    poll_seconds: float = 0.5,
) -> AsyncIterator[BatchProgress]:
    """A batch's progress as it changes, for every transport that follows one (SSE, gRPC WatchBatch,
    the task API's wait): an update whenever its state changes or resumes finish, the last one when it
    is done; it stops after max_seconds. NotFound when the batch is not the owner's (or is deleted)."""
    reported: set[uuid.UUID] = set()
    since: datetime | None = None
    last = ""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_seconds
    while loop.time() < deadline:
        async with sessions() as db:
            r = Repository(db)
            # The batch first: once it reads "done", every outcome is already committed.
            batch = await owned_batch(r, owner_id, batch_id)
            job = await owned_job(r, owner_id, batch.job_id)
            finished = await r.finished_in_batch(
                batch_id, None if since is None else since - FINISH_LOOK_BACK
            )
        fresh = []
        for resume in finished:
            since = resume.updated_at if since is None else max(since, resume.updated_at)
            if resume.id not in reported:
                reported.add(resume.id)
                fresh.append(resume)
        state = batch_out(batch, stall_seconds)
        dumped = state.model_dump_json()
        if fresh or dumped != last:
            last = dumped
            yield BatchProgress(state, batch, job, fresh)
        if batch.status == "done":
            return
        await asyncio.sleep(poll_seconds)
