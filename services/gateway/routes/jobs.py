"""Jobs: create (or preview), edit, list, read, export the ranked table, delete."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from screener.contract import schemas
from services.gateway import operations
from services.gateway.deps import Ctx, Repo, ResumeFilters, UserId
from services.gateway.notice import notice_for
from services.gateway.routes.presenters import job_out, resume_row

router = APIRouter(tags=["jobs"])


@router.post(
    "/api/jobs",
    status_code=201,
    response_model=schemas.JobOut,
    responses=schemas.error_responses(400, 401, 422),
)
async def create_job(body: schemas.JobCreate, user_id: UserId, r: Repo) -> schemas.JobOut:
    return job_out(await operations.create_job(r, user_id, body))


@router.post(
    "/api/jobs/preview",
    response_model=schemas.JobPreview,
    responses=schemas.error_responses(400, 401, 422),
)
async def preview_job(ctx: Ctx, body: schemas.JobCreate, user_id: UserId) -> schemas.JobPreview:
    """What the ranker will read from this job (skills, years, seniority, education, the weights and
    rules in force), derived without creating anything."""
    return operations.preview_job(body, ctx.taxonomy)


@router.get(
    "/api/skills",
    response_model=schemas.SkillSuggestions,
    responses=schemas.error_responses(401, 422),
)
async def suggest_skills(
    ctx: Ctx,
    _: UserId,
    q: Annotated[str, Query(min_length=1, max_length=100, description="what has been typed so far")],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> schemas.SkillSuggestions:
    """Skills of the taxonomy for a job's skill lists: names and aliases that start with `q` first,
    then those that contain it."""
    found = ctx.taxonomy.suggest(q, limit)
    return schemas.SkillSuggestions(
        items=[schemas.SkillSuggestion(name=s.name, family=s.family) for s in found],
        taxonomy_version=ctx.taxonomy.version,
    )


@router.patch(
    "/api/jobs/{job_id}",
    response_model=schemas.JobOut,
    responses=schemas.error_responses(400, 401, 404, 422, 503),
)
async def update_job(
    ctx: Ctx, job_id: uuid.UUID, body: schemas.JobUpdate, user_id: UserId, r: Repo
) -> schemas.JobOut:
    """Edit a job; when anything that scores changes, every processed resume is re-scored (202-style:
    the returned rescore_batch_id reports progress) from stored data, without re-extraction."""
    job, batch = await operations.update_job(r, ctx.pipeline, user_id, job_id, body)
    out = job_out(job)
    out.rescore_batch_id = batch.id if batch else None
    return out


@router.get("/api/jobs", response_model=schemas.JobList, responses=schemas.error_responses(401))
async def list_jobs(user_id: UserId, r: Repo) -> schemas.JobList:
    jobs = await r.jobs_for_owner(user_id)
    activity = await r.job_activity([job.id for job in jobs])
    return schemas.JobList(items=[job_out(job, *activity[job.id]) for job in jobs])


@router.get(
    "/api/jobs/{job_id}",
    response_model=schemas.JobOut,
    responses=schemas.error_responses(401, 404, 422),
)
async def get_job(job_id: uuid.UUID, user_id: UserId, r: Repo) -> schemas.JobOut:
    job = await operations.owned_job(r, user_id, job_id)
    return job_out(job, *(await r.job_activity([job.id]))[job.id])


@router.get(
    "/api/jobs/{job_id}/export",
    response_class=Response,
    responses={
        **{200: {"content": {"text/csv": {}, "application/json": {}}}},
        **schemas.error_responses(401, 404, 422),
    },
)
async def export_job(
    ctx: Ctx,
    job_id: uuid.UUID,
    user_id: UserId,
    r: Repo,
    filters: ResumeFilters,
    format: Literal["csv", "json"] = "csv",
) -> Response:
    """The job's ranked table as CSV or JSON: all of it, or what the same filters as the table's pages
    keep, in the same order."""
    job = await operations.owned_job(r, user_id, job_id)
    ranked = await operations.ranked_resumes(r, ctx.taxonomy, job, filters)
    rows = [resume_row(resume, rank, job) for resume, rank in ranked]
    kept = {k: v for k, v in vars(filters).items() if v is not None and k not in ("page", "page_size")}
    await r.audit(user_id, "export", "job", job.id, {"format": format, "rows": len(rows), "filters": kept})
    if format == "json":
        body = json.dumps(schemas.ranked_document(job.id, job.title, rows))
        return Response(body, media_type="application/json")
    return Response(
        schemas.ranked_csv(rows),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="job-{job.id}.csv"'},
    )


@router.delete(
    "/api/jobs/{job_id}",
    status_code=204,
    responses=schemas.error_responses(401, 404, 409, 422),
)
async def delete_job(ctx: Ctx, job_id: uuid.UUID, user_id: UserId, r: Repo) -> None:
    """Delete a job, its resumes, batches and (unless another job holds them) its files."""
    await operations.delete_job(r, ctx.pipeline, user_id, job_id)


@router.get(
    "/api/jobs/{job_id}/notice",
    response_model=schemas.CandidateNotice,
    responses={**{200: {"content": {"text/plain": {}}}}, **schemas.error_responses(401, 404, 422)},
)
async def candidate_notice(
    ctx: Ctx, job_id: uuid.UUID, user_id: UserId, r: Repo, format: Literal["json", "text"] = "json"
) -> Response:
    """The notice to publish to the job's candidates: the employer's own text, or one written from the
    job (what is assessed, the data used and not used, that a person decides, how to ask for another
    process). `format=text` answers it as a file to publish."""
    job = await operations.owned_job(r, user_id, job_id)
    text = notice_for(job, ctx.taxonomy)
    if format == "text":
        return Response(
            text + "\n",
            media_type="text/plain; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="notice-{job.id}.txt"'},
        )
    out = schemas.CandidateNotice(
        job_id=job.id, notice=text, written_from_the_job=not job.candidate_notice.strip()
    )
    return Response(out.model_dump_json(), media_type="application/json")
