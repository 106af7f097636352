"""Resumes: upload to a job, list a job's ranked table, read one, its file and its analysis, delete."""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import Response

from screener.contract import schemas
from services.common.errors import BadFile, InvalidInput, NotFound
from services.gateway import operations, previews, views
from services.gateway.deps import Ctx, Repo, ResumeFilters, UserId, client_host
from services.gateway.pipeline import UploadItem
from services.gateway.quotas import QuotaExceeded
from services.gateway.routes.presenters import decision_out, resume_detail, resume_row, upload_item

router = APIRouter(tags=["resumes"])


@router.post(
    "/api/jobs/{job_id}/resumes",
    status_code=201,
    response_model=schemas.UploadResponse,
    responses=schemas.error_responses(400, 401, 404, 413, 422, 429),
)
async def upload_resumes(
    ctx: Ctx,
    job_id: uuid.UUID,
    user_id: UserId,
    r: Repo,
    request: Request,
    files: Annotated[list[UploadFile], File()],
) -> schemas.UploadResponse:
    await ctx.limiter.hit(f"upload:account:{user_id}", ctx.limits.upload_per_account, 60, "uploads")
    await ctx.limiter.hit(
        f"upload:client:{client_host(request)}", ctx.limits.upload_per_client, 60, "uploads"
    )
    if len(files) > ctx.max_files_per_upload:
        raise InvalidInput(f"at most {ctx.max_files_per_upload} files per request")
    # The parts are spooled to disk past a megabyte; each is read when its turn comes.
    items = [UploadItem(upload.filename or "resume", upload.file) for upload in files]
    outcomes = await ctx.pipeline.register_files(r, user_id, job_id, items)
    out = [upload_item(outcome) for outcome in outcomes]
    if all(isinstance(outcome.error, QuotaExceeded) for outcome in outcomes):
        raise QuotaExceeded(
            f"no file fits this account's quotas ({outcomes[0].error})",
            details=[{"filename": i.filename, **(i.error or {})} for i in out],
        )
    if all(item.error for item in out):
        raise BadFile(
            "none of the files can be screened",
            details=[{"filename": i.filename, **(i.error or {})} for i in out],
        )
    return schemas.UploadResponse(items=out)


@router.get(
    "/api/jobs/{job_id}/resumes",
    response_model=schemas.ResumePage,
    responses=schemas.error_responses(401, 404, 422),
)
async def list_resumes(
    ctx: Ctx,
    job_id: uuid.UUID,
    user_id: UserId,
    r: Repo,
    filters: ResumeFilters,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> schemas.ResumePage:
    query = replace(filters, page=page, page_size=page_size)
    job, listed, total = await operations.list_resumes(r, ctx.taxonomy, user_id, job_id, query)
    items = []
    for entry in listed:
        row = resume_row(entry.resume, entry.rank, job)
        row.other_files = [schemas.CandidateFile(id=i, filename=name) for i, name in entry.other_files]
        items.append(row)
    return schemas.ResumePage(items=items, total=total, page=page, page_size=page_size)


@router.get(
    "/api/resumes/lookup",
    response_model=schemas.IdMatches,
    responses=schemas.error_responses(401, 422),
)
async def lookup_resume(
    user_id: UserId,
    r: Repo,
    prefix: Annotated[str, Query(min_length=4, max_length=36, pattern=r"^[0-9a-fA-F-]+$")],
) -> schemas.IdMatches:
    """Your resumes whose id starts with `prefix` (at most two), for tools that accept short ids."""
    return schemas.IdMatches(ids=await r.resume_ids_starting(user_id, prefix.lower()))


@router.delete(
    "/api/resumes/{resume_id}",
    status_code=204,
    responses=schemas.error_responses(401, 404, 409, 422),
)
async def delete_resume(ctx: Ctx, resume_id: uuid.UUID, user_id: UserId, r: Repo) -> None:
    await operations.delete_resume(r, ctx.pipeline, user_id, resume_id)


@router.get(
    "/api/resumes/{resume_id}/file",
    response_class=Response,
    responses={**{200: {"content": {"application/pdf": {}}}}, **schemas.error_responses(401, 404, 422)},
)
async def resume_file(ctx: Ctx, resume_id: uuid.UUID, user_id: UserId, r: Repo) -> Response:
    """The original file, for its owner only."""
    resume = await r.resume_for_owner(resume_id, user_id)
    if resume is None:
        raise NotFound("resume not found")
    content = await ctx.pipeline.read_file(resume.sha256)
    safe_name = re.sub(r"[^\w.-]", "_", resume.filename) or "resume"
    return Response(
        content,
        media_type=resume.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{safe_name}"',
            # A file is someone's upload: should a browser render it anyway, it runs nothing and
            # reaches nothing.
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    "/api/resumes/{resume_id}/preview",
    response_class=Response,
    responses={**{200: {"content": {"image/png": {}}}}, **schemas.error_responses(401, 404, 422)},
)
async def resume_preview(
    ctx: Ctx,
    resume_id: uuid.UUID,
    user_id: UserId,
    r: Repo,
    page: Annotated[int, Query(ge=1, le=previews.MAX_PAGES)] = 1,
) -> Response:
    """One page of the original file (PDF or image) drawn as a PNG image: the file shown in a browser
    with nothing in it that can run. `X-Page-Count` says how many pages there are (at most 50); a DOCX
    has no preview (422): download the original."""
    resume = await r.resume_for_owner(resume_id, user_id)
    if resume is None:
        raise NotFound("resume not found")
    if not previews.can_preview(resume.content_type):
        raise InvalidInput("this file type has no preview; download the original instead")
    content = await ctx.pipeline.read_file(resume.sha256)
    image, pages = await asyncio.to_thread(previews.render_page, content, resume.content_type, page)
    return Response(
        image,
        media_type="image/png",
        headers={
            "X-Page-Count": str(pages),
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    "/api/resumes/{resume_id}",
    response_model=schemas.ResumeDetail,
    responses=schemas.error_responses(401, 404, 422),
)
async def get_resume(
    resume_id: uuid.UUID,
    user_id: UserId,
    r: Repo,
    reveal: Annotated[bool, Query(description="show personal details of a blind-screened resume")] = False,
) -> schemas.ResumeDetail:
    view = await operations.resume_view(r, user_id, resume_id, reveal=reveal)
    return resume_detail(view.resume, view.rank, masked=view.masked)


@router.post(
    "/api/resumes/{resume_id}/analysis",
    status_code=202,
    response_model=schemas.AnalysisAccepted,
    responses=schemas.error_responses(401, 404, 409, 422, 429),
)
async def analyze_resume(
    ctx: Ctx, resume_id: uuid.UUID, user_id: UserId, r: Repo
) -> schemas.AnalysisAccepted:
    resume = await ctx.pipeline.request_analysis(r, user_id, resume_id)
    kind = await ctx.analysis_kind()
    message = {
        "rule_based": views.RULE_BASED + "; the analysis is written by fixed rules",
        "language_model": "a language model writes the analysis",
    }.get(kind or "", "queued: the analyzer starts when work waits")
    return schemas.AnalysisAccepted(
        resume_id=resume.id,
        analysis_status=resume.analysis_status or "pending",
        analysis_kind=kind,  # type: ignore[arg-type]
        message=message,
    )


@router.post(
    "/api/resumes/{resume_id}/decision",
    status_code=201,
    response_model=schemas.DecisionOut,
    responses=schemas.error_responses(400, 401, 404, 422),
)
async def decide(
    resume_id: uuid.UUID, body: schemas.DecisionCreate, user_id: UserId, r: Repo
) -> schemas.DecisionOut:
    """Shortlist, hold or reject a candidate, with a note: the ranking suggests, a person decides. Every
    decision is kept; the latest is the candidate's current one."""
    decision, by = await operations.decide(r, user_id, resume_id, body.decision, body.note)
    return decision_out(decision, by)


@router.get(
    "/api/resumes/{resume_id}/decisions",
    response_model=schemas.DecisionHistory,
    responses=schemas.error_responses(401, 404, 422),
)
async def decision_history(resume_id: uuid.UUID, user_id: UserId, r: Repo) -> schemas.DecisionHistory:
    """Who decided what on the candidate, and when, latest first."""
    rows = await operations.decisions(r, user_id, resume_id)
    return schemas.DecisionHistory(items=[decision_out(d, by) for d, by in rows])
