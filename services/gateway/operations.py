"""What a recruiter can do, shared by the REST and the gRPC APIs: each takes the caller's id and a
repository inside the caller's transaction, and answers NotFound for anything the caller does not own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker

from screener.contract import schemas
from screener.v1 import resume_pb2
from services.common.errors import Conflict, NotFound
from services.common.job_understanding import DEFAULT_WEIGHTS, understand
from services.common.knockout import DEFAULT_RULES, RULES
from services.common.skills import SkillTaxonomy
from services.gateway import views
from services.gateway.models import Batch, Decision, Job, Resume
from services.gateway.pipeline import PipelineService, job_content_hash, job_spec
from services.gateway.repository import Repository


def _skills(names: list[str]) -> list[str]:
    return [name.strip() for name in names if name.strip()]


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
        candidate_notice=body.candidate_notice,
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
    await r.audit(owner_id, "job.created", "job", job.id, _job_facts(job))
    return job


def _job_facts(job: Job) -> dict:
    """What scores a job, as the audit trail records it: the weights and rules in force with the rest."""
    return {
        "title": job.title,
        "required_skills": job.required_skills,
        "preferred_skills": job.preferred_skills,
        "min_years_experience": job.min_years_experience,
        "required_education": job.required_education,
        "blind_screening": job.blind_screening,
        "weights": job.weights,
        "rules": job.rules,
        "closed_at": job.closed_at.isoformat() if job.closed_at else None,
        "legal_hold": job.legal_hold,
    }


async def update_job(
    r: Repository, pipeline: PipelineService, owner_id: uuid.UUID, job_id: uuid.UUID, body: schemas.JobUpdate
) -> tuple[Job, Batch | None]:
    """Apply the fields set in body; a change to anything that scores re-scores the job's resumes."""
    job = await owned_job(r, owner_id, job_id, lock=True)
    changes = body.model_dump(exclude_unset=True)
    closing = changes.pop("closed", None)
    if closing is not None and closing != (job.closed_at is not None):
        job.closed_at = datetime.now(UTC) if closing else None
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
    changed = sorted(
        [name for name, value in changes.items() if value is not None]
        + (["closed"] if closing is not None else [])
    )
    facts = {"changed": changed, **_job_facts(job), "rescore_batch_id": str(batch.id) if batch else None}
    await r.audit(owner_id, "job.updated", "job", job.id, facts)
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
    await r.audit(owner_id, "job.deleted", "job", job_id, {"resumes": len(shas)})
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
    await r.audit(owner_id, "resume.deleted", "resume", resume_id, {"job_id": str(resume.job_id)})
    if not await r.file_in_use(resume.sha256):
        await pipeline.delete_file(resume.sha256)


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
    decision: str | None = None


@dataclass
class Listed:
    """A resume of a ranked page: its rank and the other files of the same candidate."""

    resume: Resume
    rank: int | None
    other_files: list[tuple[uuid.UUID, str]]


async def list_resumes(
    r: Repository, taxonomy: SkillTaxonomy, owner_id: uuid.UUID, job_id: uuid.UUID, query: ResumeQuery
) -> tuple[Job, list[Listed], int]:
    job = await owned_job(r, owner_id, job_id)
    rows, total = await _ranked_page(r, taxonomy, job, query)
    files = await r.same_candidate_files([resume.id for resume, _ in rows])
    return job, [Listed(resume, rank, files.get(resume.id, [])) for resume, rank in rows], total


async def ranked_resumes(
    r: Repository, taxonomy: SkillTaxonomy, job: Job, query: ResumeQuery | None = None
) -> list[tuple[Resume, int | None]]:
    """The job's ranked table (all of it, or what `query` filters, in its order), read a page at a
    time: each resume with its rank."""
    rows: list[tuple[Resume, int | None]] = []
    query = replace(query or ResumeQuery(), page=1, page_size=200)
    while True:
        chunk, total = await _ranked_page(r, taxonomy, job, query)
        rows += chunk
        if len(rows) >= total or not chunk:
            return rows
        query = replace(query, page=query.page + 1)


async def _ranked_page(
    r: Repository, taxonomy: SkillTaxonomy, job: Job, query: ResumeQuery
) -> tuple[list[tuple[Resume, int | None]], int]:
    return await r.ranked_page(
        job.id,
        page=query.page,
        page_size=query.page_size,
        status=query.status,
        passed=query.passed,
        sort=query.sort,
        min_score=query.min_score,
        skill=taxonomy.canonical_name(query.skill) if query.skill else None,
        text=query.text,
        search_names=not job.blind_screening,
        decision=query.decision,
    )


async def decide(
    r: Repository, owner_id: uuid.UUID, resume_id: uuid.UUID, decision: str, note: str
) -> tuple[Decision, str]:
    """A recruiter's decision on one of their candidates, with the note; the history keeps every one."""
    resume = await r.resume_for_owner(resume_id, owner_id, lock=True)
    if resume is None:
        raise NotFound("resume not found")
    user = await r.user_by_id(owner_id)
    assert user is not None
    previous = resume.decision
    made = await r.decide(resume, owner_id, decision, note.strip())
    facts = {"decision": decision, "previous": previous, "note": note.strip(), "job_id": str(resume.job_id)}
    await r.audit(
        owner_id, "decision.made" if previous is None else "decision.changed", "resume", resume_id, facts
    )
    return made, user.email


async def decisions(r: Repository, owner_id: uuid.UUID, resume_id: uuid.UUID) -> list[tuple[Decision, str]]:
    if await r.resume_for_owner(resume_id, owner_id) is None:
        raise NotFound("resume not found")
    return await r.decisions_of(resume_id)


@dataclass
class ResumeView:
    """One resume as its owner may see it: its rank, its job, and whether its personal details are masked."""

    resume: Resume
    rank: int | None
    job: Job
    masked: bool


async def resume_view(
    r: Repository, owner_id: uuid.UUID, resume_id: uuid.UUID, *, reveal: bool
) -> ResumeView:
    resume = await r.resume_for_owner(resume_id, owner_id)
    if resume is None:
        raise NotFound("resume not found")
    job = await owned_job(r, owner_id, resume.job_id)
    if job.blind_screening and reveal:
        # Seeing a blind-screened candidate's name is an act of its own, on the record.
        await r.audit(owner_id, "resume.revealed", "resume", resume_id, {"job_id": str(job.id)})
    return ResumeView(resume, await r.rank_of(resume), job, job.blind_screening and not reveal)


async def owned_batch(r: Repository, owner_id: uuid.UUID, batch_id: uuid.UUID) -> Batch:
    batch = await r.batch_for_owner(batch_id, owner_id)
    if batch is None:
        raise NotFound("batch not found")
    return batch


# Outcomes commit in a different order than their timestamps: the look-back covers that.
FINISH_LOOK_BACK = timedelta(seconds=60)


@dataclass
class BatchProgress:
    """One change of a batch, and the resumes that finished since the last change."""

    batch: Batch
    job: Job | None = None  # with outcomes only
    finished: list[Resume] = field(default_factory=list)


async def watch_batch(
    sessions: async_sessionmaker,
    owner_id: uuid.UUID,
    batch_id: uuid.UUID,
    *,
    stall_seconds: float,
    max_seconds: float,
    poll_seconds: float = 0.5,
    outcomes: bool = True,
) -> AsyncIterator[BatchProgress]:
    """A batch's progress as it changes, for every transport that follows one (SSE, gRPC WatchBatch,
    the task API's wait): an update whenever its state changes or resumes finish, the last one when it
    is done; it stops after max_seconds. NotFound when the batch is not the owner's (or is deleted).
    Without `outcomes`, only the batch is read: no job, no finished resumes."""
    reported: set[uuid.UUID] = set()
    since: datetime | None = None
    last: tuple | None = None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_seconds
    while loop.time() < deadline:
        async with sessions() as db:
            r = Repository(db)
            # The batch first: once it reads "done", every outcome is already committed.
            batch = await owned_batch(r, owner_id, batch_id)
            job, finished = None, []
            if outcomes:
                job = await owned_job(r, owner_id, batch.job_id)
                look_back = None if since is None else since - FINISH_LOOK_BACK
                finished = await r.finished_in_batch(batch_id, look_back)
        fresh = []
        for resume in finished:
            since = resume.updated_at if since is None else max(since, resume.updated_at)
            if resume.id not in reported:
                reported.add(resume.id)
                fresh.append(resume)
        key = views.progress_key(batch, stall_seconds)
        if fresh or key != last:
            last = key
            yield BatchProgress(batch, job, fresh)
        if batch.status == "done":
            return
        await asyncio.sleep(poll_seconds)
