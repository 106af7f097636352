"""The REST answers made from stored rows: jobs, batches, a resume as a row of its ranked table and as
its detail."""

from __future__ import annotations

import uuid

from screener.contract import schemas
from services.gateway import views
from services.gateway.models import Batch, Decision, Job, Resume
from services.gateway.pipeline import UploadOutcome


def job_out(job: Job, shortlisted: int = 0, running_batch_id: uuid.UUID | None = None) -> schemas.JobOut:
    out = schemas.JobOut.model_validate(job, from_attributes=True)
    out.shortlisted_resumes = shortlisted
    out.running_batch_id = running_batch_id
    return out


def batch_out(batch: Batch, stall_after_seconds: float) -> schemas.BatchOut:
    out = schemas.BatchOut.model_validate(batch, from_attributes=True)
    out.last_progress_at = batch.updated_at
    out.stalled = views.stalled(batch, stall_after_seconds)
    return out


def resume_row(
    resume: Resume, rank: int | None, job: Job, *, masked: bool | None = None
) -> schemas.ResumeRow:
    """A resume as a row of its job's ranked table; its name masked in a blind-screened job (or as
    `masked` says, for a recruiter who reveals one resume)."""
    matched, missing = views.skill_lists(resume.ranking)
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
        decision=resume.decision,  # type: ignore[arg-type]  # stored from a DecisionKind
    )


def resume_detail(resume: Resume, rank: int | None, *, masked: bool = False) -> schemas.ResumeDetail:
    ranking = resume.ranking or {}
    parsed = views.shown_parse(resume, masked)
    withheld = views.withheld(resume.parsed)
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
        withheld=schemas.Withheld(categories=withheld[0], photo=withheld[1]) if withheld else None,
        same_candidate_as=resume.same_as,
        ranking=resume.ranking or None,
        analysis_status=resume.analysis_status,
        analysis=resume.analysis,
        analysis_label=views.analysis_label(resume.analysis),
        stage_seconds=resume.stage_seconds or {},
        decision=resume.decision,  # type: ignore[arg-type]  # stored from a DecisionKind
        scored_with=views.scored_with(resume.ranking),
        created_at=resume.created_at,
        updated_at=resume.updated_at,
    )


def upload_item(outcome: UploadOutcome) -> schemas.UploadItemOut:
    """One uploaded file's outcome: the resume it became, or why it was refused."""
    if outcome.error is not None:
        return schemas.UploadItemOut(
            filename=outcome.filename, error={"code": outcome.error.code, "message": outcome.error.message}
        )
    assert outcome.resume is not None
    return schemas.UploadItemOut(
        id=outcome.resume.id,
        filename=outcome.filename,
        sha256=outcome.resume.sha256,
        status=outcome.resume.status,
        duplicate=outcome.duplicate,
    )


def decision_out(decision: Decision, decided_by: str) -> schemas.DecisionOut:
    return schemas.DecisionOut(
        id=decision.id,
        resume_id=decision.resume_id,
        decision=decision.decision,  # type: ignore[arg-type]
        note=decision.note,
        decided_by=decided_by,
        created_at=decision.created_at,
    )
