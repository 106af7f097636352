"""The gateway's gRPC services: the screening API for platform teams, and the analysis cache the
analyzers share."""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TypeVar, get_args

import grpc
from google.protobuf.json_format import ParseDict
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import async_sessionmaker

from screener.contract import schemas
from screener.v1 import gateway_pb2, gateway_pb2_grpc, resume_pb2
from services.common.errors import InvalidInput, Unauthorized
from services.gateway import api_keys, operations, views
from services.gateway.context import ApiContext
from services.gateway.db import refused_value
from services.gateway.models import Batch, Job, Resume
from services.gateway.pipeline import UploadItem
from services.gateway.repository import Repository

RESUME_STATUSES = get_args(schemas.ResumeStatus)
M = TypeVar("M", bound=BaseModel)
SORTS = get_args(schemas.ResumeSort)
DECISION_FILTERS = get_args(schemas.DecisionFilter)


# An uploaded file is kept in memory up to this size, on disk past it.
SPOOL_BYTES = 1024 * 1024


class AnalysisCacheServicer(gateway_pb2_grpc.AnalysisCacheServiceServicer):
    def __init__(self, sessions: async_sessionmaker) -> None:
        self.sessions = sessions

    async def GetAnalysis(
        self, request: gateway_pb2.AnalysisCacheKey, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.AnalysisCacheEntry:
        async with self.sessions() as session, session.begin():
            row = await Repository(session).cached_analysis(request.key)
            if row is None:
                return gateway_pb2.AnalysisCacheEntry(key=request.key, found=False)
            return gateway_pb2.AnalysisCacheEntry(
                key=row.key,
                found=True,
                model=row.model,
                analysis=resume_pb2.Analysis.FromString(row.analysis),
            )

    async def PutAnalysis(
        self, request: gateway_pb2.AnalysisCacheEntry, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.PutAnalysisResponse:
        async with self.sessions() as session, session.begin():
            await Repository(session).cache_analysis(
                request.key,
                request.model,
                request.analysis.SerializeToString(),
                request.analysis.tokens_in,
                request.analysis.tokens_out,
            )
        return gateway_pb2.PutAnalysisResponse()


# conversions between the REST views and their protobuf twins


def _timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _id(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(f"{what} must be a UUID, not {value[:60]!r}") from None


def _validated(model: type[M], data: dict) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = [{"loc": ".".join(str(p) for p in e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        problems = "; ".join(f"{d['loc']}: {d['msg']}" for d in details[:5])
        raise InvalidInput(f"the request is not valid: {problems}", details=details) from None


def job_create_from(draft: gateway_pb2.JobDraft) -> schemas.JobCreate:
    data: dict = {
        "title": draft.title,
        "description": draft.description,
        "required_skills": list(draft.required_skills),
        "preferred_skills": list(draft.preferred_skills),
        "min_years_experience": draft.min_years_experience,
        "blind_screening": draft.blind_screening,
        "weights": {field.name: value for field, value in draft.weights.ListFields()},
        "rules": {field.name: value for field, value in draft.rules.ListFields() if value},
        "required_education": draft.required_education,
        "auto_analyze_top_k": draft.auto_analyze_top_k,
    }
    if draft.HasField("token_budget"):
        data["token_budget"] = draft.token_budget
    return _validated(schemas.JobCreate, data)


def job_message(job: Job) -> gateway_pb2.Job:
    spec = gateway_pb2.JobDraft(
        title=job.title,
        description=job.description,
        required_skills=job.required_skills,
        preferred_skills=job.preferred_skills,
        min_years_experience=job.min_years_experience,
        blind_screening=job.blind_screening,
        weights=resume_pb2.ScoringWeights(**(job.weights or {})),
        rules=resume_pb2.KnockoutRules(**(job.rules or {})),
        required_education=job.required_education,
        auto_analyze_top_k=job.auto_analyze_top_k,
    )
    if job.token_budget is not None:
        spec.token_budget = job.token_budget
    return gateway_pb2.Job(
        id=str(job.id),
        spec=spec,
        tokens_used=job.tokens_used,
        total_resumes=job.total_resumes,
        completed_resumes=job.completed_resumes,
        failed_resumes=job.failed_resumes,
        created_at=_timestamp(job.created_at),
        last_updated_at=_timestamp(job.last_updated_at),
    )


def batch_message(batch: Batch, stall_after_seconds: float) -> gateway_pb2.Batch:
    return gateway_pb2.Batch(
        id=str(batch.id),
        job_id=str(batch.job_id),
        total=batch.total,
        completed=batch.completed,
        failed=batch.failed,
        status=batch.status,
        created_at=_timestamp(batch.created_at),
        finished_at=_timestamp(batch.finished_at),
        stalled=views.stalled(batch, stall_after_seconds),
        last_progress_at=_timestamp(batch.updated_at),
    )


def row_message(
    resume: Resume, rank: int | None, job: Job, *, masked: bool | None = None
) -> gateway_pb2.ResumeRow:
    matched, missing = views.skill_lists(resume.ranking)
    masked = job.blind_screening if masked is None else masked
    ranking = resume.ranking or {}
    message = gateway_pb2.ResumeRow(
        id=str(resume.id),
        filename=resume.filename,
        status=resume.status,
        candidate_name="" if masked else resume.candidate_name or "",
        failure_reason=resume.failure_reason or "",
        matched_skills=matched,
        missing_skills=missing,
        summary=ranking.get("summary") or "",
        reasons=list(ranking.get("reasons", [])),
        decision=resume.decision or "",
    )
    if resume.final_score is not None:
        message.final_score = resume.final_score
    if rank is not None:
        message.rank = rank
    if resume.passed is not None:
        message.passed = resume.passed
    return message


def detail_message(view: operations.ResumeView) -> gateway_pb2.ResumeDetail:
    resume = view.resume
    message = gateway_pb2.ResumeDetail(
        row=row_message(resume, view.rank, view.job, masked=view.masked),
        job_id=str(resume.job_id),
        batch_id=str(resume.batch_id or ""),
        sha256=resume.sha256,
        content_type=resume.content_type,
        size_bytes=resume.size_bytes,
        failure_message=(resume.failure_message or "") if resume.status == "failed" else "",
        redacted=view.masked,
        analysis_status=resume.analysis_status or "",
        stage_seconds={k: float(v) for k, v in (resume.stage_seconds or {}).items()},
        created_at=_timestamp(resume.created_at),
        updated_at=_timestamp(resume.updated_at),
    )
    for field, value, kind in (
        ("parsed", views.shown_parse(resume, view.masked), resume_pb2.ParsedResume),
        ("ranking", resume.ranking, resume_pb2.RankResult),
        ("analysis", resume.analysis, resume_pb2.Analysis),
    ):
        if value:
            getattr(message, field).CopyFrom(ParseDict(value, kind(), ignore_unknown_fields=True))
    return message


class ScreeningServicer(gateway_pb2_grpc.ScreeningServiceServicer):
    """The REST surface for service-to-service use, authenticated by per-client API keys."""

    def __init__(self, ctx: ApiContext, *, poll_seconds: float = 0.5) -> None:
        self.ctx = ctx
        self.poll_seconds = poll_seconds

    @contextlib.asynccontextmanager
    async def _repo(self) -> AsyncIterator[Repository]:
        try:
            async with self.ctx.sessions() as db, db.begin():
                yield Repository(db)
        except DBAPIError as exc:
            if not refused_value(exc):
                raise
            raise InvalidInput(f"a value in the request cannot be stored: {str(exc.orig)[:200]}") from None

    async def _owner(self, context: grpc.aio.ServicerContext) -> uuid.UUID:
        metadata = {key.lower(): value for key, value in (context.invocation_metadata() or ())}
        secret = metadata.get("x-api-key", "")
        authorization = metadata.get("authorization", "")
        if not secret and isinstance(authorization, str) and authorization.lower().startswith("bearer "):
            secret = authorization[7:].strip()
        if not secret or not isinstance(secret, str):
            raise Unauthorized("an API key is required: metadata `authorization: Bearer <key>`")
        peer = context.peer() or ""
        client = peer[5:].rsplit(":", 1)[0] if peer.startswith(("ipv4:", "ipv6:")) else peer
        async with self._repo() as r:
            return await api_keys.authenticate_key(r, secret, client.strip("[]"))

    async def CreateJob(
        self, request: gateway_pb2.CreateJobRequest, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.Job:
        owner = await self._owner(context)
        body = job_create_from(request.job)
        async with self._repo() as r:
            job = await operations.create_job(r, owner, body)
            return job_message(job)

    async def GetJob(
        self, request: gateway_pb2.GetJobRequest, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.Job:
        owner = await self._owner(context)
        async with self._repo() as r:
            job = await operations.owned_job(r, owner, _id(request.job_id, "job_id"))
            return job_message(job)

    async def ListJobs(
        self, request: gateway_pb2.ListJobsRequest, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.ListJobsResponse:
        owner = await self._owner(context)
        async with self._repo() as r:
            jobs = await r.jobs_for_owner(owner)
            return gateway_pb2.ListJobsResponse(jobs=[job_message(job) for job in jobs])

    async def DeleteJob(
        self, request: gateway_pb2.DeleteJobRequest, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.DeleteJobResponse:
        owner = await self._owner(context)
        async with self._repo() as r:
            await operations.delete_job(r, self.ctx.pipeline, owner, _id(request.job_id, "job_id"))
        return gateway_pb2.DeleteJobResponse()

    async def UploadResumes(
        self,
        request_iterator: AsyncIterator[gateway_pb2.UploadResumesRequest],
        context: grpc.aio.ServicerContext,
    ) -> gateway_pb2.UploadResumesResponse:
        owner = await self._owner(context)
        limits = self.ctx.limits
        await self.ctx.limiter.hit(f"upload:account:{owner}", limits.upload_per_account, 60, "uploads")
        async with self.ctx.upload_slots.slot():
            return await self._receive_upload(owner, request_iterator)

    async def _receive_upload(
        self, owner: uuid.UUID, request_iterator: AsyncIterator[gateway_pb2.UploadResumesRequest]
    ) -> gateway_pb2.UploadResumesResponse:
        with contextlib.ExitStack() as spool:
            job_id: uuid.UUID | None = None
            # Each file is spooled to disk past a megabyte; one byte past the limit is kept, so an oversized
            # file is refused without holding all of it.
            files: list[tuple[str, tempfile.SpooledTemporaryFile[bytes]]] = []
            sizes: list[int] = []
            keep = self.ctx.max_file_bytes + 1
            async for part in request_iterator:
                kind = part.WhichOneof("part")
                if kind == "job_id":
                    if job_id is not None or files:
                        raise InvalidInput("job_id goes in the first message, once")
                    job_id = _id(part.job_id, "job_id")
                elif kind == "filename":
                    if job_id is None:
                        raise InvalidInput("the first message must carry the job_id")
                    if len(files) >= self.ctx.max_files_per_upload:
                        raise InvalidInput(f"at most {self.ctx.max_files_per_upload} files per upload")
                    spooled = spool.enter_context(tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES))
                    files.append((part.filename[:255], spooled))
                    sizes.append(0)
                elif kind == "chunk":
                    if not files:
                        raise InvalidInput("a chunk came before any filename")
                    if sizes[-1] < keep:
                        piece = part.chunk[: keep - sizes[-1]]
                        files[-1][1].write(piece)
                        sizes[-1] += len(piece)
            if job_id is None:
                raise InvalidInput("the upload named no job_id")
            if not files:
                raise InvalidInput("the upload carried no files")
            items = [UploadItem(name or "resume", spooled) for name, spooled in files]
            async with self._repo() as r:
                outcomes = await self.ctx.pipeline.register_files(r, owner, job_id, items)
                response = gateway_pb2.UploadResumesResponse()
                for outcome in outcomes:
                    item = response.items.add(filename=outcome.filename, duplicate=outcome.duplicate)
                    if outcome.error is not None:
                        item.error_code, item.error_message = outcome.error.code, outcome.error.message
                    elif outcome.resume is not None:
                        item.resume_id, item.sha256 = str(outcome.resume.id), outcome.resume.sha256
                        item.status = outcome.resume.status
                return response

    async def StartBatch(
        self, request: gateway_pb2.StartBatchRequest, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.Batch:
        owner = await self._owner(context)
        resume_ids = [_id(value, "resume_ids") for value in request.resume_ids] or None
        async with self._repo() as r:
            batch = await self.ctx.pipeline.start_batch(r, owner, _id(request.job_id, "job_id"), resume_ids)
            await r.session.refresh(batch)
            return batch_message(batch, self.ctx.limits.batch_stall_seconds)

    async def GetBatch(
        self, request: gateway_pb2.GetBatchRequest, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.Batch:
        owner = await self._owner(context)
        async with self._repo() as r:
            batch = await operations.owned_batch(r, owner, _id(request.batch_id, "batch_id"))
            return batch_message(batch, self.ctx.limits.batch_stall_seconds)

    async def WatchBatch(
        self, request: gateway_pb2.WatchBatchRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[gateway_pb2.BatchUpdate]:
        owner = await self._owner(context)
        updates = operations.watch_batch(
            self.ctx.sessions,
            owner,
            _id(request.batch_id, "batch_id"),
            stall_seconds=self.ctx.limits.batch_stall_seconds,
            max_seconds=self.ctx.sse_max_seconds,
            poll_seconds=self.poll_seconds,
        )
        async for progress in updates:
            update = gateway_pb2.BatchUpdate(
                batch=batch_message(progress.batch, self.ctx.limits.batch_stall_seconds)
            )
            job = progress.job
            assert job is not None  # followed with outcomes
            update.finished.extend(row_message(resume, None, job) for resume in progress.finished)
            yield update

    async def ListResumes(
        self, request: gateway_pb2.ListResumesRequest, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.ListResumesResponse:
        owner = await self._owner(context)
        page, page_size = request.page or 1, request.page_size or 50
        if page < 1 or not 1 <= page_size <= 200:
            raise InvalidInput("page starts at 1 and page_size is 1 to 200")
        if request.status and request.status not in RESUME_STATUSES:
            raise InvalidInput(f"status is one of {', '.join(RESUME_STATUSES)}")
        if request.sort and request.sort not in SORTS:
            raise InvalidInput(f"sort is one of {', '.join(SORTS)}")
        if request.decision and request.decision not in DECISION_FILTERS:
            raise InvalidInput(f"decision is one of {', '.join(DECISION_FILTERS)}")
        query = operations.ResumeQuery(
            page=page,
            page_size=page_size,
            status=request.status or None,
            passed=request.passed if request.HasField("passed") else None,
            sort=request.sort or "rank",
            min_score=request.min_score if request.HasField("min_score") else None,
            skill=request.skill[:100] or None,
            text=request.query[:100] or None,
            decision=request.decision or None,
        )
        async with self._repo() as r:
            job, listed, total = await operations.list_resumes(
                r, self.ctx.taxonomy, owner, _id(request.job_id, "job_id"), query
            )
        return gateway_pb2.ListResumesResponse(
            items=[row_message(entry.resume, entry.rank, job) for entry in listed],
            total=total,
            page=page,
            page_size=page_size,
        )

    async def GetResume(
        self, request: gateway_pb2.GetResumeRequest, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.ResumeDetail:
        owner = await self._owner(context)
        async with self._repo() as r:
            view = await operations.resume_view(
                r, owner, _id(request.resume_id, "resume_id"), reveal=request.reveal
            )
        return detail_message(view)

    async def Decide(
        self, request: gateway_pb2.DecideRequest, context: grpc.aio.ServicerContext
    ) -> gateway_pb2.Decision:
        owner = await self._owner(context)
        body = _validated(schemas.DecisionCreate, {"decision": request.decision, "note": request.note})
        async with self._repo() as r:
            made, by = await operations.decide(
                r, owner, _id(request.resume_id, "resume_id"), body.decision, body.note
            )
        return gateway_pb2.Decision(
            id=str(made.id),
            resume_id=str(made.resume_id),
            decision=made.decision,
            note=made.note,
            decided_by=by,
            created_at=_timestamp(made.created_at),
        )
