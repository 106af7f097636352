"""The audit trail: read it a page at a time with filters, or export it whole (CSV or JSON)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from screener.contract import schemas
from services.gateway.deps import Repo, UserId
from services.gateway.models import AuditEvent

router = APIRouter(tags=["audit"])

Action = Annotated[
    str | None,
    Query(max_length=64, pattern=r"^[a-z_.]+$", description="an action (job.created) or its kind (job)"),
]
ObjectId = Annotated[str | None, Query(max_length=64, description="the job, resume, batch or key")]
Since = Annotated[datetime | None, Query(description="entries at or after this time")]
Until = Annotated[datetime | None, Query(description="entries before this time")]


def entry_out(row: AuditEvent) -> schemas.AuditEntry:
    return schemas.AuditEntry.model_validate(row, from_attributes=True)


@router.get("/api/audit", response_model=schemas.AuditPage, responses=schemas.error_responses(401, 422))
async def read_audit(
    user_id: UserId,
    r: Repo,
    action: Action = None,
    object_id: ObjectId = None,
    since: Since = None,
    until: Until = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> schemas.AuditPage:
    """Your audit trail, oldest first: who did what, when, from where, to which object."""
    rows, total = await r.audit_page(
        user_id, page=page, page_size=page_size, action=action, object_id=object_id, since=since, until=until
    )
    return schemas.AuditPage(
        items=[entry_out(row) for row in rows], total=total, page=page, page_size=page_size
    )


@router.get(
    "/api/audit/export",
    response_class=Response,
    responses={
        **{200: {"content": {"text/csv": {}, "application/json": {}}}},
        **schemas.error_responses(401, 422),
    },
)
async def export_audit(
    user_id: UserId,
    r: Repo,
    action: Action = None,
    object_id: ObjectId = None,
    since: Since = None,
    until: Until = None,
    format: Literal["csv", "json"] = "csv",
) -> Response:
    """The trail (or what the filters keep) as CSV or JSON, oldest first."""
    entries: list[schemas.AuditEntry] = []
    page = 1
    while True:
        rows, total = await r.audit_page(
            user_id, page=page, page_size=1000, action=action, object_id=object_id, since=since, until=until
        )
        entries += [entry_out(row) for row in rows]
        if len(entries) >= total or not rows:
            break
        page += 1
    if format == "json":
        body = json.dumps({"items": [e.model_dump(mode="json") for e in entries]})
        return Response(body, media_type="application/json")
    return Response(
        schemas.audit_csv(entries),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
