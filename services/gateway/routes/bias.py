"""Bias audits: the employer's demographic data uploaded per job, and the audit of a job or of the
account's jobs over a time range (JSON or CSV)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import Response

from screener.contract import schemas
from screener.contract.schemas import canonical_email
from services.common.errors import Conflict, InvalidInput
from services.gateway import bias_audit, counterfactual, operations
from services.gateway.deps import Ctx, Repo, UserId

router = APIRouter(tags=["bias audit"])
MAX_CSV_BYTES = 10 * 1024 * 1024


@router.post(
    "/api/jobs/{job_id}/demographics",
    response_model=schemas.DemographicsUploaded,
    responses=schemas.error_responses(400, 401, 404, 413, 422),
)
async def upload_demographics(
    job_id: uuid.UUID, user_id: UserId, r: Repo, file: Annotated[UploadFile, File()]
) -> schemas.DemographicsUploaded:
    """The candidates' self-reported sex and race/ethnicity for this job's bias audit, as a CSV with a
    `resume_id` or `email` column and `sex` and `race_ethnicity` (blank: not given). Stored apart from the
    resumes: never sent to the ranker or the analyzer, never shown with a candidate, erased with them."""
    job = await operations.owned_job(r, user_id, job_id)
    raw = await file.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        raise InvalidInput(f"the CSV is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB")
    try:
        parsed = bias_audit.parse(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InvalidInput("the CSV is not UTF-8 text") from None
    ids = [row.resume_id for row in parsed.rows if row.resume_id]
    emails = [canonical_email(row.email) for row in parsed.rows if row.email and not row.resume_id]
    by_id, by_email = await r.resumes_by_reference(job.id, ids, emails)
    entries: dict[uuid.UUID, tuple[str | None, str | None]] = {}
    unmatched: list[dict[str, object]] = []
    for row in parsed.rows:
        found = by_id.get(row.resume_id) if row.resume_id else by_email.get(canonical_email(row.email or ""))
        if found is None:
            unmatched.append({"line": row.line, "reason": "no resume of this job has that id or email"})
        else:
            entries[found] = (row.sex, row.race)
    await r.save_demographics(job.id, entries)
    facts = {"matched": len(entries), "unmatched": len(unmatched), "errors": len(parsed.errors)}
    await r.audit(user_id, "demographics.uploaded", "job", job.id, facts)
    return schemas.DemographicsUploaded(matched=len(entries), unmatched=unmatched, errors=parsed.errors)


def _report(
    rows: list[tuple[float, bool, bool, str | None, str | None]],
    job_id: uuid.UUID | None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> schemas.BiasAudit:
    result = bias_audit.audit(bias_audit.Candidate(*row) for row in rows)
    dimensions = [
        schemas.BiasDimension(
            dimension=dimension.name,  # type: ignore[arg-type]  # the three names of bias_audit.audit
            unknown=dimension.unknown,
            groups=[
                schemas.BiasGroup(
                    category=g.category,
                    candidates=g.candidates,
                    share=g.share,
                    small=g.small,
                    selected=g.selected,
                    selection_rate=g.rates["selection"],
                    selection_impact_ratio=g.impact_ratios["selection"],
                    shortlisted=g.shortlisted,
                    shortlist_rate=g.rates["shortlist"],
                    shortlist_impact_ratio=g.impact_ratios["shortlist"],
                    above_median=g.above_median,
                    scoring_rate=g.rates["scoring"],
                    scoring_impact_ratio=g.impact_ratios["scoring"],
                    below_four_fifths=g.below_four_fifths,
                )
                for g in dimension.groups
            ],
        )
        for dimension in result.dimensions
    ]
    return schemas.BiasAudit(
        job_id=job_id,
        since=since,
        until=until,
        candidates=result.candidates,
        median_score=result.median_score,
        dimensions=dimensions,
    )


def _answer(report: schemas.BiasAudit, format: str) -> Response:
    if format == "csv":
        return Response(
            schemas.bias_csv(report),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="bias-audit.csv"'},
        )
    return Response(report.model_dump_json(), media_type="application/json")


# JSON (the model) by default, CSV on request.
CSV_TOO: dict[int | str, dict[str, object]] = {200: {"content": {"text/csv": {}}}}


@router.get(
    "/api/jobs/{job_id}/bias-audit",
    response_model=schemas.BiasAudit,
    responses={**CSV_TOO, **schemas.error_responses(401, 404, 422)},
)
async def job_bias_audit(
    job_id: uuid.UUID, user_id: UserId, r: Repo, format: Literal["json", "csv"] = "json"
) -> Response:
    """Selection, shortlist and scoring rates with impact ratios for each sex, race/ethnicity and their
    intersections among the job's screened candidates (Local Law 144's method for a tool that scores)."""
    job = await operations.owned_job(r, user_id, job_id)
    report = _report(await r.audit_candidates(user_id, job.id), job.id)
    await r.audit(
        user_id, "bias_audit.run", "job", job.id, {"candidates": report.candidates, "format": format}
    )
    return _answer(report, format)


@router.get(
    "/api/bias-audit",
    response_model=schemas.BiasAudit,
    responses={**CSV_TOO, **schemas.error_responses(401, 422)},
)
async def account_bias_audit(
    user_id: UserId,
    r: Repo,
    since: Annotated[datetime | None, Query(description="resumes uploaded at or after this time")] = None,
    until: Annotated[datetime | None, Query(description="resumes uploaded before this time")] = None,
    format: Literal["json", "csv"] = "json",
) -> Response:
    """The same audit across every job of the account, for the resumes uploaded in a time range."""
    report = _report(await r.audit_candidates(user_id, None, since, until), None, since, until)
    facts = {"candidates": report.candidates, "format": format}
    await r.audit(user_id, "bias_audit.run", "account", user_id, facts)
    return _answer(report, format)


@router.post(
    "/api/jobs/{job_id}/counterfactual-audit",
    response_model=schemas.CounterfactualAudit,
    responses=schemas.error_responses(400, 401, 404, 409, 422),
)
async def counterfactual_audit(
    ctx: Ctx, job_id: uuid.UUID, user_id: UserId, r: Repo, body: schemas.CounterfactualRequest
) -> schemas.CounterfactualAudit:
    """Score the job's top-ranked resumes again as they are, under four other names and with a statement
    of each protected attribute written in (nothing is stored), and report how far any score moved."""
    job = await operations.owned_job(r, user_id, job_id)
    ranked = await operations.ranked_resumes(r, ctx.taxonomy, job, operations.ResumeQuery(status="completed"))
    resumes = [resume for resume, _ in ranked[: body.resumes]]
    for resume in resumes:  # the table's query leaves the parse and the embeddings unread
        await r.session.refresh(resume, attribute_names=["parsed", "embeddings"])
    if ctx.ranker is None:
        raise Conflict("the ranker is not reachable from this gateway")
    differences = await counterfactual.audit(ctx.ranker, job, resumes)
    changes = counterfactual.summary(differences)
    worst = sorted(differences, key=lambda d: abs(d.points), reverse=True)[:5]
    await r.audit(user_id, "counterfactual_audit.run", "job", job.id, {"resumes": len(resumes), **changes})
    return schemas.CounterfactualAudit(
        job_id=job.id,
        resumes=len(resumes),
        changes={
            kind: schemas.CounterfactualChange(
                variants=int(figures["variants"]), largest=figures["largest"], mean=figures["mean"]
            )
            for kind, figures in changes.items()
        },
        worst=[
            schemas.CounterfactualCase(
                resume_id=uuid.UUID(d.resume_id),
                kind="name" if d.kind == "name" else "attribute",
                label=d.label,
                points=round(d.points, 2),
            )
            for d in worst
        ],
    )
