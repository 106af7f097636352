"""Candidates' data rights: export everything held about a candidate, or erase it. Both take the
candidate in the body (a resume id, or the email they wrote from), so no personal data is in a URL."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from screener.contract import schemas
from services.gateway import candidate_rights
from services.gateway.deps import Ctx, Repo, UserId

router = APIRouter(tags=["candidates"])


@router.post(
    "/api/candidates/erase",
    response_model=schemas.ErasureReport,
    responses=schemas.error_responses(400, 401, 404, 409, 422),
)
async def erase_candidate(
    ctx: Ctx, body: schemas.CandidateRef, user_id: UserId, r: Repo
) -> schemas.ErasureReport:
    """Erase the candidate from the account: every resume of theirs in every job (the same email,
    phone or file, or linked as the same person), with parses, scores, analyses and their cache entries,
    decisions, demographic data, dead letters, and the files no other resume holds. Irreversible; the
    audit trail keeps that it happened, with ids and counts only."""
    erased = await candidate_rights.erase(r, ctx.pipeline, user_id, body.resume_id, body.email)
    return schemas.ErasureReport(**erased.__dict__)


@router.post(
    "/api/candidates/export",
    response_class=Response,
    responses={**{200: {"content": {"application/zip": {}}}}, **schemas.error_responses(400, 401, 404, 422)},
)
async def export_candidate(ctx: Ctx, body: schemas.CandidateRef, user_id: UserId, r: Repo) -> Response:
    """Everything held about the candidate as one ZIP: per resume, what was read, the score and its
    reasons, the analysis, the decisions with their notes, and the original file."""
    archive = await candidate_rights.export(r, ctx.pipeline, user_id, body.resume_id, body.email)
    return Response(
        archive,
        media_type="application/zip",
        headers={
            "Content-Disposition": 'attachment; filename="candidate-data.zip"',
            "Cache-Control": "private, no-store",
        },
    )
