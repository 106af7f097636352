"""Orchestration: registering files, starting batches, and applying stage events idempotently.

Every resume transition happens in one transaction that locks the resume row, checks that the
event belongs to the resume's current run and that the resume is in the state the event expects,
moves the job's and the batch's counters with it, and publishes the next stage's work before
committing. A redelivered or duplicated event therefore changes nothing, and an event that
arrives while the transaction that queued its work is still open waits for that commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any

from google.protobuf.json_format import MessageToDict, ParseDict
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.object_store import ObjectStore
from opentelemetry import context as otel_context
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import async_sessionmaker

from screener.v1 import pipeline_pb2, resume_pb2
from services.common import jetstream
from services.common.errors import (
    BadFile,
    Conflict,
    InvalidInput,
    NotFound,
    ScreeningError,
    TooLarge,
    TooManyRequests,
    Unavailable,
)
from services.common.files import CONTENT_TYPES, safe_filename, sniff_kind
from services.common.logging import bind_log_context, log_context, reset_log_context
from services.common.metrics import RESUMES_FINISHED
from services.common.redaction import redact
from services.common.tracing import REQUEST_ID, carrier, context_from
from services.gateway.candidates import identity_of
from services.gateway.models import Batch, Job, Resume
from services.gateway.quotas import Quotas, check_batch, storage_of
from services.gateway.repository import ACTIVE_STATUSES, SKILL_SEPARATOR, Repository

log = logging.getLogger(__name__)


def to_dict(message: object) -> dict:
    # Zero values are kept: a score of 0 is an answer, not a missing field.
    return _without_nul(
        MessageToDict(
            message,  # type: ignore[arg-type]
            preserving_proto_field_name=True,
            always_print_fields_with_no_presence=True,
        )
    )


def _without_nul(value: Any) -> Any:
    """Postgres cannot store a NUL character in text or JSON; a file can contain one anywhere."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def job_content_hash(
    title: str, description: str, required: list[str], preferred: list[str], years: float
) -> str:
    payload = json.dumps([title, description, sorted(required), sorted(preferred), years], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def for_scoring(job: Job, resume: resume_pb2.ParsedResume) -> resume_pb2.ParsedResume:
    """What the ranker and the analyzer may see of a resume: masked when the job screens blind."""
    return redact(resume) if job.blind_screening else resume


def job_spec(job: Job) -> resume_pb2.JobSpec:
    return resume_pb2.JobSpec(
        job_id=str(job.id),
        title=job.title,
        description=job.description,
        required_skills=job.required_skills,
        preferred_skills=job.preferred_skills,
        min_years_experience=job.min_years_experience,
        content_hash=job.content_hash,
        weights=resume_pb2.ScoringWeights(**(job.weights or {})),
        rules=resume_pb2.KnockoutRules(**(job.rules or {})),
        required_education=job.required_education or "",
    )


@dataclass
class UploadItem:
    """One uploaded file, not yet read: its bytes stay where the transport put them (a file spooled to
    disk past a small buffer) until register_files reads it, one file at a time, so the gateway's memory
    does not grow with the size of a request."""

    filename: str
    source: IO[bytes]

    def read(self, limit: int) -> bytes:
        """The file's bytes, at most limit + 1 of them (one past the limit is enough to refuse it)."""
        self.source.seek(0)
        return self.source.read(limit + 1)


@dataclass
class UploadOutcome:
    filename: str
    resume: Resume | None = None
    duplicate: bool = False
    error: ScreeningError | None = None


class PipelineService:
    def __init__(
        self,
        sessions: async_sessionmaker,
        js: JetStreamContext,
        store: ObjectStore,
        *,
        max_file_bytes: int,
        job_token_budget: int = 500_000,
        user_token_budget: int = 2_000_000,
        max_queued_work: int = 20_000,
        dispatch_window: int = 16,
        dispatch_idle_seconds: float = 0.25,
        quotas: Quotas | None = None,
    ) -> None:
        self.quotas = quotas or Quotas()
        self.max_queued_work = max_queued_work
        self.dispatch_window = dispatch_window
        self.dispatch_idle_seconds = dispatch_idle_seconds
        self._wake = asyncio.Event()
        self.sessions = sessions
        self.js = js
        self.store = store
        self.max_file_bytes = max_file_bytes
        self.job_token_budget = job_token_budget
        self.user_token_budget = user_token_budget

    # uploads
    def _check_file(self, filename: str, content: bytes) -> str:
        if len(content) > self.max_file_bytes:
            raise BadFile(
                f"{filename}: larger than the {self.max_file_bytes // (1024 * 1024)} MiB limit",
                code="too_large",
            )
        try:
            return sniff_kind(content)
        except BadFile as exc:
            raise BadFile(f"{filename}: {exc.message}", code=exc.code) from exc

    async def register_files(
        self, repo: Repository, owner_id: uuid.UUID, job_id: uuid.UUID, items: list[UploadItem]
    ) -> list[UploadOutcome]:
        """Store each good file by content address and register it once per job; list each bad one."""
        job = await repo.job_for_owner(job_id, owner_id, lock=True)
        if job is None:
            raise NotFound("job not found")
        outcomes: list[UploadOutcome] = []
        added = 0
        seen: dict[str, Resume] = {}
        storage = await storage_of(repo, owner_id, self.quotas)
        for item in items:
            item.filename = safe_filename(item.filename)
            outcome = UploadOutcome(filename=item.filename)
            outcomes.append(outcome)
            # One file in memory at a time: read it, check it, store it, let it go.
            content = await asyncio.to_thread(item.read, self.max_file_bytes)
            try:
                kind = self._check_file(item.filename, content)
            except BadFile as exc:
                outcome.error = exc
                continue
            sha256 = hashlib.sha256(content).hexdigest()
            existing = seen.get(sha256) or await repo.resume_by_sha(job_id, sha256)
            if existing is not None:
                outcome.resume, outcome.duplicate = existing, True
                continue
            outcome.error = storage.refusal(len(content))
            if outcome.error is not None:
                continue
            storage.add(len(content))
            await self.store.put(sha256, content)
            resume = Resume(
                job_id=job_id,
                owner_id=owner_id,
                filename=item.filename[:500],
                sha256=sha256,
                content_type=CONTENT_TYPES[kind],
                size_bytes=len(content),
                status="uploaded",
                stage_seconds={},
            )
            repo.add(resume)
            seen[sha256] = resume
            outcome.resume = resume
            added += 1
        if added:
            await repo.session.flush()
            await repo.move_job_counters(job_id, total=added)
        return outcomes

    async def read_file(self, sha256: str) -> bytes:
        try:
            result = await self.store.get(sha256)
        except Exception as exc:
            raise NotFound("the file is no longer stored") from exc
        return bytes(result.data or b"")

    async def delete_file(self, sha256: str) -> None:
        try:
            await self.store.delete(sha256)
        except Exception as exc:  # already gone: nothing to do
            log.info("file %s not deleted: %s", sha256, exc)

    # batches
    async def start_batch(
        self, repo: Repository, owner_id: uuid.UUID, job_id: uuid.UUID, resume_ids: list[uuid.UUID] | None
    ) -> Batch:
        """Queue resumes for processing; the only way processing starts (bounded per hour by quota)."""
        await check_batch(repo, owner_id, self.quotas)
        job = await repo.job_for_owner(job_id, owner_id, lock=True)
        if job is None:
            raise NotFound("job not found")
        resumes = await repo.resumes_for_batch(job_id, resume_ids)
        if resume_ids is not None:
            missing = set(resume_ids) - {r.id for r in resumes}
            if missing:
                raise NotFound(f"{len(missing)} of the resumes are not in this job")
            busy = [r for r in resumes if r.status in ACTIVE_STATUSES]
            if busy:
                raise Conflict(f"{len(busy)} of the resumes are already being processed")
        if not resumes:
            raise InvalidInput(
                "no resumes to process: upload resumes first, or name resumes to process again"
            )
        await self.check_room(len(resumes), repo)
        batch = Batch(
            job_id=job_id, owner_id=owner_id, total=len(resumes), completed=0, failed=0, status="running"
        )
        repo.add(batch)
        await repo.session.flush()
        completed_back = sum(1 for r in resumes if r.status == "completed")
        failed_back = sum(1 for r in resumes if r.status == "failed")
        # Queued, not sent: the dispatcher sends each resume's extract task when its turn comes (the
        # owner with the fewest in progress first), so a large batch never holds a small one back.
        queued_by = carrier(request_id=log_context().get("request_id", ""))
        now = datetime.now(UTC)
        for resume in resumes:
            resume.status = "queued"
            resume.batch_id = batch.id
            resume.run_id = uuid.uuid4()
            resume.failure_reason = resume.failure_message = None
            resume.final_score = resume.passed = None
            resume.ranking = None
            resume.updated_at = now
            resume.dispatched_at = None
            resume.trace_carrier = queued_by
        if completed_back or failed_back:
            await repo.move_job_counters(job_id, completed=-completed_back, failed=-failed_back)
        await repo.session.flush()
        await repo.audit(
            owner_id, "batch.started", "batch", batch.id, {"job_id": str(job_id), "resumes": batch.total}
        )
        # Once these rows are committed the dispatcher has work: wake it rather than wait for its tick.
        event.listen(repo.session.sync_session, "after_commit", lambda _: self.wake(), once=True)
        return batch

    def wake(self) -> None:
        self._wake.set()

    @staticmethod
    def _extract_task(resume: Resume) -> pipeline_pb2.ExtractTask:
        received = resume.created_at or resume.updated_at
        return pipeline_pb2.ExtractTask(
            ref=pipeline_pb2.WorkRef(
                resume_id=str(resume.id),
                job_id=str(resume.job_id),
                batch_id=str(resume.batch_id or ""),
                run_id=str(resume.run_id),
            ),
            file_sha256=resume.sha256,
            filename=resume.filename,
            content_type=resume.content_type,
            # "Present" in the resume means the month it was received, on every run of it.
            as_of=resume_pb2.YearMonth(year=received.year, month=received.month),
        )

    async def dispatch(self) -> int:
        """Send the extract tasks of the next waiting resumes (Repository.next_turns: the owner with the
        fewest in progress first), keeping at most DISPATCH_WINDOW resumes in progress; returns how many
        were sent.

        Sent while their rows are locked, and marked sent in the same transaction: a result that comes
        early waits for the commit, and a send whose commit fails is sent again with the same message
        id, which JetStream drops as a duplicate.
        """
        async with self.sessions() as session, session.begin():
            repo = Repository(session)
            room = self.dispatch_window - await repo.in_flight()
            if room <= 0:
                return 0
            resumes = await repo.next_turns(room)
            now = datetime.now(UTC)
            for resume in resumes:
                with resumed_trace(resume.trace_carrier or {}):
                    await jetstream.publish_work(
                        self.js,
                        jetstream.SUBJECT_EXTRACT,
                        self._extract_task(resume),
                        f"{resume.run_id}:extract",
                    )
                resume.dispatched_at = now
            return len(resumes)

    async def run_dispatcher(self, stop: asyncio.Event) -> None:
        """Dispatch whenever there is room and work: woken by new batches and finished resumes, and every
        DISPATCH_IDLE_SECONDS in any case (another gateway replica's batches, a missed wake-up)."""
        while not stop.is_set():
            try:
                sent = await self.dispatch()
            except Exception as exc:  # Postgres or NATS away for a moment: try again shortly
                log.warning("dispatching failed (%s); retrying", exc)
                sent = 0
                await asyncio.sleep(1.0)
            if sent == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.dispatch_idle_seconds)

    async def check_room(self, adding: int, repo: Repository) -> None:
        """Back-pressure: refuse new work while the queue (the work stream and the resumes waiting for
        their turn) holds more than it may (nothing is dropped; the client retries after Retry-After)."""
        try:
            sent = (await self.js.stream_info(jetstream.WORK_STREAM)).state.messages
        except Exception as exc:
            raise Unavailable("the work queue cannot be reached; retry shortly", retry_after=5) from exc
        waiting = sent + await repo.waiting()
        if waiting + adding > self.max_queued_work:
            raise Unavailable(
                f"the work queue is full ({waiting} waiting, {self.max_queued_work} at most); retry later",
                retry_after=30,
                code="queue_full",
            )

    async def rescore_job(self, repo: Repository, job: Job) -> Batch | None:
        """Score every processed resume of a job again after an edit, from stored parse and embeddings.

        Resumes still being ranked are sent again too, so no result computed from the old job lands; they
        stay in the batch they belong to (which would otherwise never finish), and the new batch counts
        the completed resumes it re-scores.
        """
        resumes = await repo.resumes_to_rescore(job.id)
        if not resumes:
            return None
        await self.check_room(len(resumes), repo)
        rescored = sum(1 for r in resumes if r.status == "completed")
        batch = Batch(
            job_id=job.id,
            owner_id=job.owner_id,
            total=rescored,
            completed=0,
            failed=0,
            status="running" if rescored else "done",
            finished_at=None if rescored else datetime.now(UTC),
        )
        repo.add(batch)
        await repo.session.flush()
        completed_back = sum(1 for r in resumes if r.status == "completed")
        spec = job_spec(job)
        tasks = []
        for resume in resumes:
            if resume.status == "completed" or resume.batch_id is None:
                resume.batch_id = batch.id
            resume.status, resume.run_id = "ranking", uuid.uuid4()
            resume.updated_at = datetime.now(UTC)
            parsed = ParseDict(resume.parsed or {}, resume_pb2.ParsedResume(), ignore_unknown_fields=True)
            task = pipeline_pb2.RankTask(
                ref=pipeline_pb2.WorkRef(
                    resume_id=str(resume.id),
                    job_id=str(job.id),
                    batch_id=str(resume.batch_id),
                    run_id=str(resume.run_id),
                ),
                job=spec,
                resume=for_scoring(job, parsed),
            )
            if resume.embeddings:
                task.embeddings.ParseFromString(resume.embeddings)
            tasks.append((task, f"{resume.run_id}:rank"))
        if completed_back:
            await repo.move_job_counters(job.id, completed=-completed_back)
        await repo.session.flush()
        published = await asyncio.gather(
            *(jetstream.publish_work(self.js, jetstream.SUBJECT_RANK, t, msg_id) for t, msg_id in tasks),
            return_exceptions=True,
        )
        now = datetime.now(UTC)
        for resume, outcome in zip(resumes, published, strict=True):
            # A message past the bus's payload limit fails its own resume, not the edit.
            if isinstance(outcome, TooLarge):
                await self._fail(repo, resume, outcome.code, outcome.message, now)
            elif isinstance(outcome, BaseException):
                raise outcome
        return batch

    async def request_analysis(self, repo: Repository, owner_id: uuid.UUID, resume_id: uuid.UUID) -> Resume:
        """Queue an LLM analysis of one ranked resume; refused (costing nothing) past a token budget."""
        resume = await repo.resume_for_owner(resume_id, owner_id, lock=True)
        if resume is None:
            raise NotFound("resume not found")
        if resume.status != "completed" or resume.parsed is None or resume.ranking is None:
            raise Conflict("the resume must be ranked before it can be analyzed")
        if resume.analysis_status == "pending":
            return resume
        job = await repo.job_for_owner(resume.job_id, owner_id)
        user = await repo.user_by_id(owner_id)
        assert job is not None and user is not None
        self.check_budget(job, user.tokens_used)
        await self._queue_analysis(job, resume)
        await repo.audit(owner_id, "analysis.requested", "resume", resume.id, {"job_id": str(job.id)})
        return resume

    def check_budget(self, job: Job, user_tokens: int) -> None:
        job_budget = job.token_budget if job.token_budget is not None else self.job_token_budget
        if job.tokens_used >= job_budget:
            raise TooManyRequests(
                f"this job has used {job.tokens_used:,} of its {job_budget:,} analysis tokens",
                code="budget_exceeded",
                retry_after=3600,
            )
        if user_tokens >= self.user_token_budget:
            raise TooManyRequests(
                f"this account has used {user_tokens:,} of its {self.user_token_budget:,} analysis tokens",
                code="budget_exceeded",
                retry_after=3600,
            )

    async def _queue_analysis(self, job: Job, resume: Resume) -> None:
        resume.analysis_status = "pending"
        resume.analysis_run_id = uuid.uuid4()
        task = pipeline_pb2.AnalyzeTask(
            ref=pipeline_pb2.WorkRef(
                resume_id=str(resume.id), job_id=str(job.id), run_id=str(resume.analysis_run_id)
            ),
            job=job_spec(job),
            resume=for_scoring(job, ParseDict(resume.parsed or {}, resume_pb2.ParsedResume())),
            rank=ParseDict(resume.ranking or {}, resume_pb2.RankResult()),
        )
        await jetstream.publish_work(
            self.js,
            jetstream.SUBJECT_ANALYZE,
            task,
            f"{resume.analysis_run_id}:analyze",
        )

    async def _auto_analyze(self, repo: Repository, batch_id: uuid.UUID) -> None:
        """When a batch is done, analyze the job's top K resumes (a job setting, 0 = off) within budget."""
        batch = await repo.batch(batch_id)
        if batch is None or batch.status != "done":
            return
        job = await repo.job(batch.job_id)
        if job is None or job.auto_analyze_top_k <= 0:
            return
        user = await repo.user_by_id(job.owner_id)
        try:
            self.check_budget(job, user.tokens_used if user else 0)
        except TooManyRequests:
            log.info("auto-analysis of job %s skipped: over budget", job.id)
            return
        for resume in await repo.top_unanalyzed(job.id, job.auto_analyze_top_k):
            await self._queue_analysis(job, resume)

    # stage events
    async def apply_event(self, repo: Repository, event: pipeline_pb2.StageEvent) -> str:
        """Apply one stage event; returns what happened (for logs and tests)."""
        try:
            resume_id, run_id = uuid.UUID(event.ref.resume_id), uuid.UUID(event.ref.run_id)
        except ValueError:
            return "ignored: malformed reference"
        resume = await repo.resume_for_update(resume_id)
        if resume is None:
            return "ignored: resume no longer exists"
        outcome = event.WhichOneof("outcome")
        if event.stage == pipeline_pb2.STAGE_ANALYZE:
            return await self._apply_analysis(repo, resume, run_id, event)
        if resume.run_id != run_id:
            return "ignored: stale run"
        if resume.status == "failed" and event.ref.replay and outcome in ("started", "extracted", "ranked"):
            await self._reopen(repo, resume, event.stage)
        stage_name = jetstream.STAGE_NAMES.get(event.stage, "unknown")
        if event.duration_seconds:
            resume.stage_seconds = {
                **(resume.stage_seconds or {}),
                stage_name: round(event.duration_seconds, 3),
            }
        now = datetime.now(UTC)
        if outcome == "started":
            if event.stage == pipeline_pb2.STAGE_EXTRACT and resume.status == "queued":
                resume.status, resume.updated_at = "extracting", now
                return "extracting"
            return "ignored: already past start"
        if outcome == "extracted":
            if resume.status in ("queued", "extracting"):
                resume.parsed = to_dict(event.extracted)
                skills = SKILL_SEPARATOR.join(s.name for s in event.extracted.skills)
                resume.skill_names = skills.replace("\x00", "") or None
                resume.candidate_name = event.extracted.contact.name.replace("\x00", "")[:300] or None
                resume.status, resume.updated_at = "ranking", now
            elif resume.status != "ranking":
                return "ignored: already ranked"
            # Also on redelivery while still ranking: the rank task may not have been published.
            job = await repo.job(resume.job_id)
            assert job is not None
            task = pipeline_pb2.RankTask(
                ref=event.ref, job=job_spec(job), resume=for_scoring(job, event.extracted)
            )
            # The same file screened for another job: its passages need not be embedded again.
            stored = resume.embeddings or await repo.stored_embeddings(resume.owner_id, resume.sha256)
            if stored:
                task.embeddings.ParseFromString(stored)
            try:
                await jetstream.publish_work(self.js, jetstream.SUBJECT_RANK, task, f"{run_id}:rank")
            except TooLarge as exc:
                return await self._fail(repo, resume, exc.code, exc.message, now)
            return "ranking"
        if outcome == "ranked":
            if resume.status != "ranking":
                return "ignored: not ranking"
            return await self._apply_ranked(repo, resume, event, now)
        if outcome == "failed":
            if resume.status not in ACTIVE_STATUSES:
                return "ignored: not in progress"
            return await self._fail(repo, resume, event.failed.reason or "failed", event.failed.message, now)
        return "ignored: no outcome"

    async def _apply_ranked(
        self, repo: Repository, resume: Resume, event: pipeline_pb2.StageEvent, now: datetime
    ) -> str:
        """A resume's score arrives: stored with its ranking, counted, and recorded with what made it."""
        result = resume_pb2.RankResult()
        result.CopyFrom(event.ranked)
        if result.HasField("embeddings"):
            # Kept apart: the embeddings let a job edit re-score without embedding the resume again.
            resume.embeddings = result.embeddings.SerializeToString()
            result.ClearField("embeddings")
        resume.ranking = to_dict(result)
        resume.final_score = result.final_score
        resume.passed = result.passed
        resume.status, resume.updated_at = "completed", now
        identity = identity_of(resume.parsed or {})
        resume.email_key, resume.phone_key = identity.email_key, identity.phone_key
        resume.signature, resume.text_bands = identity.signature, identity.bands or None
        resume.same_as = await repo.find_same_candidate(resume)
        await repo.move_job_counters(resume.job_id, completed=1)
        # What made the score, so it can be reproduced: the scorer and the model.
        facts = {
            "job_id": str(resume.job_id),
            "score": result.final_score,
            "passed": result.passed,
            "scorer_version": result.scorer_version,
            "taxonomy_version": result.taxonomy_version,
            "model": result.model,
        }
        await repo.audit(resume.owner_id, "resume.scored", "resume", resume.id, facts)
        if resume.batch_id:
            await repo.count_batch_outcome(resume.batch_id, completed=1)
            await self._auto_analyze(repo, resume.batch_id)
        return "completed"

    async def _fail(self, repo: Repository, resume: Resume, reason: str, message: str, now: datetime) -> str:
        """A resume in progress fails with its reason; the job's and batch's counters follow."""
        resume.status, resume.updated_at = "failed", now
        resume.failure_reason = reason
        resume.failure_message = message.replace("\x00", "")
        await repo.move_job_counters(resume.job_id, failed=1)
        if resume.batch_id:
            await repo.count_batch_outcome(resume.batch_id, failed=1)
            await self._auto_analyze(repo, resume.batch_id)
        return "failed"

    @staticmethod
    async def _reopen(repo: Repository, resume: Resume, stage: int) -> None:
        """An operator replayed the message this resume failed on: un-count the failure and let the
        resume go through that stage again."""
        await repo.move_job_counters(resume.job_id, failed=-1)
        if resume.batch_id:
            await repo.count_batch_outcome(resume.batch_id, failed=-1)
        resume.status = "queued" if stage == pipeline_pb2.STAGE_EXTRACT else "ranking"
        resume.failure_reason = resume.failure_message = None
        log.info("resume %s reopened by a replayed %s message", resume.id, jetstream.STAGE_NAMES.get(stage))

    @staticmethod
    async def _apply_analysis(
        repo: Repository, resume: Resume, run_id: uuid.UUID, event: pipeline_pb2.StageEvent
    ) -> str:
        outcome = event.WhichOneof("outcome")
        if event.ref.replay and resume.analysis_status == "failed" and outcome == "analyzed":
            resume.analysis_status = "pending"  # an operator replayed the analysis that failed
        if resume.analysis_run_id != run_id or resume.analysis_status != "pending":
            return "ignored: stale analysis"
        if outcome == "analyzed":
            resume.analysis = to_dict(event.analyzed)
            resume.analysis_status = "completed"
            tokens = event.analyzed.tokens_in + event.analyzed.tokens_out
            if tokens:
                await repo.add_tokens(resume.job_id, resume.owner_id, tokens)
            return "analyzed"
        if outcome == "failed":
            resume.analysis = {"error": {"code": event.failed.reason, "message": event.failed.message}}
            resume.analysis_status = "failed"
            return "analysis failed"
        return "ignored: analysis started"


class EventApplier:
    """The gateway's JetStream handler. Events that arrive together are applied in one transaction
    (one commit instead of one per event), committed before any of them is acked; if that
    transaction fails, each event is applied in a transaction of its own, so one bad event fails
    alone."""

    def __init__(self, sessions: async_sessionmaker, pipeline: PipelineService) -> None:
        self.sessions = sessions
        self.pipeline = pipeline

    async def __call__(self, msgs: list[Msg]) -> list[BaseException | None]:
        outcomes: list[BaseException | None] = [None] * len(msgs)
        events: list[tuple[int, pipeline_pb2.StageEvent]] = []
        for index, msg in enumerate(msgs):
            try:
                events.append((index, pipeline_pb2.StageEvent.FromString(msg.data)))
            except Exception:
                log.error("dropping an undecodable event on %s", msg.subject)
        if len(events) > 1:
            try:
                results = await self._apply([event for _, event in events])
            except Exception as exc:  # one event's trouble: find it by applying them one at a time
                log.info("applying %d events together failed (%s); one at a time", len(events), exc)
            else:
                for (index, event), result in zip(events, results, strict=True):
                    with jetstream.each_message("gateway", msgs, msgs[index]):
                        self._applied(event, result)
                return outcomes
        for index, event in events:
            with jetstream.each_message("gateway", msgs, msgs[index]):
                try:
                    self._applied(event, (await self._apply([event]))[0])
                except (OperationalError, DBAPIError, OSError) as exc:
                    outcomes[index] = jetstream.RetryableError(f"database unavailable: {exc}")
                except Exception as exc:  # retried, then dead-lettered; the other events go on
                    log.exception("could not apply event %s", event.WhichOneof("outcome"))
                    outcomes[index] = exc
        return outcomes

    async def _apply(self, events: list[pipeline_pb2.StageEvent]) -> list[str]:
        async with self.sessions() as session, session.begin():
            repo = Repository(session)
            # Outcomes that move the job's counters or tokens lock the job before the resume, the order
            # a job edit and a batch start take them in.
            ids = [(_uuid_or_none(e.ref.resume_id), _touches_the_job(e)) for e in events]
            await repo.lock_jobs_of_resumes(sorted({i for i, touches in ids if i and touches}))
            # Then every resume the events are about, in id order, whatever order the events came in.
            await repo.lock_resumes(sorted({i for i, _ in ids if i}))
            return [await self.pipeline.apply_event(repo, event) for event in events]

    def _applied(self, event: pipeline_pb2.StageEvent, result: str) -> None:
        if result in ("completed", "failed"):
            RESUMES_FINISHED.labels(result).inc()
            self.pipeline.wake()  # a slot is free: the next turn may go
        log.debug("event %s for %s: %s", event.WhichOneof("outcome"), event.ref.resume_id, result)

    async def give_up(self, msg: Msg, exc: BaseException) -> None:
        """An event that could not be stored after every attempt: its resume (or analysis) fails with the
        reason, so the resume does not stay in progress and its batch can finish."""
        log.error("could not apply event on %s after repeated attempts: %s", msg.subject, exc)
        try:
            event = pipeline_pb2.StageEvent.FromString(msg.data)
        except Exception:
            return
        stage = jetstream.STAGE_NAMES.get(event.stage, "stage")
        failure = pipeline_pb2.StageEvent(
            ref=event.ref,
            stage=event.stage,
            failed=pipeline_pb2.StageFailure(
                reason="result_not_stored", message=f"the {stage} result could not be stored: {exc}"[:2000]
            ),
        )
        try:
            self._applied(failure, (await self._apply([failure]))[0])
        except Exception:
            log.exception(
                "could not record that the %s result of %s was not stored", stage, event.ref.resume_id
            )


def _touches_the_job(event: pipeline_pb2.StageEvent) -> bool:
    return event.stage == pipeline_pb2.STAGE_ANALYZE or event.WhichOneof("outcome") in ("ranked", "failed")


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@contextlib.contextmanager
def resumed_trace(queued_by: dict[str, str]) -> Iterator[None]:
    """Go on with the trace (and request id) of the request that queued a resume."""
    token = otel_context.attach(context_from(queued_by))
    bound = bind_log_context(request_id=queued_by.get(REQUEST_ID, ""))
    try:
        yield
    finally:
        reset_log_context(bound)
        otel_context.detach(token)
