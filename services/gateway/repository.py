"""Every SQL statement the gateway runs. Callers own the transaction (commit at the edge)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text, and_, case, cast, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from services.gateway import audit
from services.gateway.candidates import SAME_TEXT, similarity
from services.gateway.models import (
    AnalysisCacheRow,
    ApiKey,
    AuditEvent,
    Batch,
    Decision,
    Demographics,
    EmailCode,
    Job,
    RefreshToken,
    Resume,
    Task,
    User,
)

ACTIVE_STATUSES = ("queued", "extracting", "ranking")


SKILL_SEPARATOR = " | "  # between the skill names in resumes.skill_names


def _literal(text: str) -> str:
    """`text` for a LIKE pattern, its wildcards taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# The dispatcher's two sets: resumes sent to the workers and not finished, and resumes waiting their turn.
_SENT = (Resume.status.in_(ACTIVE_STATUSES), Resume.dispatched_at.is_not(None))
_WAITING = (Resume.status == "queued", Resume.dispatched_at.is_(None))


# A job's ranked order: every candidate who passes the hard knock-out rules above every one who fails
# one, each group by score (sort=score lists by score alone).
RANK_ORDER = (Resume.passed.desc().nulls_last(), Resume.final_score.desc().nulls_last())


_HIT = text(
    """
    INSERT INTO rate_limits (key, window_start, count) VALUES (:key, :window_start, 1)
    ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limits.count + 1
    RETURNING count
    """
)
_COUNT = text("SELECT count FROM rate_limits WHERE key = :key AND window_start = :window_start")


def _page_filters(
    job_id: uuid.UUID,
    status: str | None,
    passed: bool | None,
    min_score: float | None,
    skill: str | None,
    text: str | None,
    search_names: bool,
    decision: str | None,
) -> list[Any]:
    """The conditions of a ranked page. One row per candidate: a file that repeats an earlier one of the
    same candidate is listed with it."""
    filters: list[Any] = [Resume.job_id == job_id, Resume.same_as.is_(None)]
    if status:
        filters.append(Resume.status == status)
    if passed is not None:
        filters.append(Resume.passed.is_(passed))
    if min_score is not None:
        filters.append(Resume.final_score >= min_score)
    if skill:
        # An exact skill name in the narrow column, not a containment test on the whole parse.
        listed = func.concat(SKILL_SEPARATOR, Resume.skill_names, SKILL_SEPARATOR)
        filters.append(listed.like(f"%{SKILL_SEPARATOR}{_literal(skill)}{SKILL_SEPARATOR}%"))
    if text:
        pattern = f"%{_literal(text)}%"
        found_in = [Resume.skill_names.ilike(pattern)]
        if search_names:
            found_in += [Resume.candidate_name.ilike(pattern), Resume.filename.ilike(pattern)]
        filters.append(or_(*found_in))
    if decision == "none":
        filters.append(Resume.decision.is_(None))
    elif decision:
        filters.append(Resume.decision == decision)
    return filters


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # users and credentials
    async def user_by_email(self, email: str) -> User | None:
        return await self.session.scalar(select(User).where(User.email == email))

    async def user_by_id(self, user_id: uuid.UUID) -> User | None:
        return await self.session.get(User, user_id)

    def add(self, row: Any) -> None:
        self.session.add(row)

    async def latest_code(self, user_id: uuid.UUID, purpose: str) -> EmailCode | None:
        return await self.session.scalar(
            select(EmailCode)
            .where(
                EmailCode.user_id == user_id, EmailCode.purpose == purpose, EmailCode.consumed_at.is_(None)
            )
            .order_by(EmailCode.created_at.desc())
            .limit(1)
            .with_for_update()
        )

    async def refresh_token_by_hash(self, token_hash: str) -> RefreshToken | None:
        return await self.session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == token_hash).with_for_update()
        )

    async def revoke_family(self, family_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    async def family_revoked(self, family_id: uuid.UUID) -> bool:
        """Whether a session was ended (signed out, its refresh token reused, or the password reset)."""
        revoked = await self.session.scalar(
            select(RefreshToken.id)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_not(None))
            .limit(1)
        )
        return revoked is not None

    async def revoke_all_tokens(self, user_id: uuid.UUID, now: datetime) -> None:
        await self.session.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )

    # jobs
    async def jobs_for_owner(self, owner_id: uuid.UUID) -> list[Job]:
        result = await self.session.scalars(
            select(Job).where(Job.owner_id == owner_id).order_by(Job.created_at.desc())
        )
        return list(result)

    async def job_activity(self, job_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[int, uuid.UUID | None]]:
        """For each job: how many resumes are shortlisted, and the batch running now (if any)."""
        if not job_ids:
            return {}
        shortlisted = dict(
            (
                await self.session.execute(
                    select(Resume.job_id, func.count())
                    .where(Resume.job_id.in_(job_ids), Resume.decision == "shortlist")
                    .group_by(Resume.job_id)
                )
            ).all()
        )
        running: dict[uuid.UUID, uuid.UUID] = {}
        rows = await self.session.execute(
            select(Batch.job_id, Batch.id)
            .where(Batch.job_id.in_(job_ids), Batch.status == "running")
            .order_by(Batch.created_at)
        )
        for job_id, batch_id in rows.all():
            running[job_id] = batch_id  # the latest one wins
        return {job_id: (shortlisted.get(job_id, 0), running.get(job_id)) for job_id in job_ids}

    async def job_for_owner(
        self, job_id: uuid.UUID, owner_id: uuid.UUID, *, lock: bool = False
    ) -> Job | None:
        query = select(Job).where(Job.id == job_id, Job.owner_id == owner_id)
        if lock:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def move_job_counters(
        self, job_id: uuid.UUID, *, total: int = 0, completed: int = 0, failed: int = 0
    ) -> None:
        await self.session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                total_resumes=Job.total_resumes + total,
                completed_resumes=Job.completed_resumes + completed,
                failed_resumes=Job.failed_resumes + failed,
                last_updated_at=func.now(),
            )
        )

    # resumes
    async def resume_by_sha(self, job_id: uuid.UUID, sha256: str) -> Resume | None:
        return await self.session.scalar(
            select(Resume).where(Resume.job_id == job_id, Resume.sha256 == sha256)
        )

    async def resume_for_owner(
        self, resume_id: uuid.UUID, owner_id: uuid.UUID, *, lock: bool = False
    ) -> Resume | None:
        query = select(Resume).where(Resume.id == resume_id, Resume.owner_id == owner_id)
        if lock:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def resume_ids_starting(self, owner_id: uuid.UUID, prefix: str, limit: int = 2) -> list[uuid.UUID]:
        """The owner's resume ids that begin with `prefix` (hex digits and dashes only), at most `limit`."""
        return list(
            await self.session.scalars(
                select(Resume.id)
                .where(Resume.owner_id == owner_id, cast(Resume.id, Text).like(f"{prefix}%"))
                .order_by(Resume.id)
                .limit(limit)
            )
        )

    # the dispatcher's queue
    async def in_flight(self) -> int:
        """Resumes whose work was sent to the workers and is not finished."""
        return int(await self.session.scalar(select(func.count()).select_from(Resume).where(*_SENT)) or 0)

    async def waiting(self) -> int:
        """Resumes queued and waiting for their turn."""
        return int(await self.session.scalar(select(func.count()).select_from(Resume).where(*_WAITING)) or 0)

    async def next_turns(self, limit: int) -> list[Resume]:
        """Up to `limit` waiting resumes, fairest first, locked; rows another gateway is dispatching are
        skipped.

        A waiting resume's load is how many of its owner's resumes would be in progress once it is sent
        (those already in progress plus its place in its owner's queue); the lowest load goes first, so
        an owner with nothing in progress is served before one with many, and owners with equal shares
        take turns.
        """
        active = (
            select(Resume.owner_id, func.count().label("n"))
            .where(*_SENT)
            .group_by(Resume.owner_id)
            .subquery()
        )
        turn = func.row_number().over(
            partition_by=Resume.owner_id, order_by=(Resume.updated_at, Resume.created_at, Resume.id)
        )
        waiting = (
            select(Resume.id, Resume.updated_at, (turn + func.coalesce(active.c.n, 0)).label("load"))
            .outerjoin(active, active.c.owner_id == Resume.owner_id)
            .where(*_WAITING)
            .subquery()
        )
        chosen = select(waiting.c.id).order_by(waiting.c.load, waiting.c.updated_at).limit(limit)
        rows = await self.session.scalars(
            select(Resume).where(Resume.id.in_(chosen)).with_for_update(skip_locked=True)
        )
        return sorted(rows, key=lambda r: (r.updated_at, r.created_at, r.id))

    async def lock_jobs_of_resumes(self, resume_ids: list[uuid.UUID]) -> None:
        """Lock the jobs of these resumes, in id order, before any resume: every transaction that locks a
        job and its resumes (an edit, a batch start, a stored result) takes the job first, so no two of
        them wait on each other in a cycle."""
        if not resume_ids:
            return
        job_ids = select(Resume.job_id).where(Resume.id.in_(resume_ids)).scalar_subquery()
        await self.session.execute(
            select(Job.id).where(Job.id.in_(job_ids)).order_by(Job.id).with_for_update(key_share=False)
        )

    async def lock_resumes(self, resume_ids: list[uuid.UUID]) -> None:
        """Lock these resumes in id order. The lock order everywhere: a job before its resumes, and
        several resumes in id order, so no two transactions wait on each other in a cycle."""
        if resume_ids:
            await self.session.execute(
                select(Resume.id).where(Resume.id.in_(resume_ids)).order_by(Resume.id).with_for_update()
            )

    async def resume_for_update(self, resume_id: uuid.UUID) -> Resume | None:
        return await self.session.scalar(select(Resume).where(Resume.id == resume_id).with_for_update())

    async def resumes_for_batch(self, job_id: uuid.UUID, resume_ids: list[uuid.UUID] | None) -> list[Resume]:
        query = select(Resume).where(Resume.job_id == job_id)
        if resume_ids is None:
            query = query.where(Resume.status == "uploaded")
        else:
            query = query.where(Resume.id.in_(resume_ids))
        # Locked in id order, as every transaction locks several resumes (see lock_resumes).
        result = await self.session.scalars(query.order_by(Resume.id).with_for_update())
        return sorted(result, key=lambda r: (r.created_at, r.id))

    async def stored_embeddings(self, owner_id: uuid.UUID, sha256: str) -> bytes | None:
        """Embeddings already computed for the same file in another of the owner's jobs."""
        return await self.session.scalar(
            select(Resume.embeddings)
            .where(Resume.owner_id == owner_id, Resume.sha256 == sha256, Resume.embeddings.is_not(None))
            .limit(1)
        )

    async def add_tokens(self, job_id: uuid.UUID, owner_id: uuid.UUID, tokens: int) -> None:
        await self.session.execute(
            update(Job).where(Job.id == job_id).values(tokens_used=Job.tokens_used + tokens)
        )
        await self.session.execute(
            update(User).where(User.id == owner_id).values(tokens_used=User.tokens_used + tokens)
        )

    async def top_unanalyzed(self, job_id: uuid.UUID, limit: int) -> list[Resume]:
        result = await self.session.scalars(
            select(Resume)
            .where(Resume.job_id == job_id, Resume.status == "completed", Resume.analysis_status.is_(None))
            .order_by(*RANK_ORDER, Resume.id)
            .limit(limit)
            .with_for_update()
        )
        return list(result)

    async def resumes_to_rescore(self, job_id: uuid.UUID) -> list[Resume]:
        result = await self.session.scalars(
            select(Resume)
            .where(
                Resume.job_id == job_id,
                Resume.status.in_(("completed", "ranking")),
                Resume.parsed.is_not(None),
            )
            .order_by(Resume.id)
            .with_for_update()
        )
        return sorted(result, key=lambda r: (r.created_at, r.id))

    async def rank_of(self, resume: Resume) -> int | None:
        """The resume's place in its job's ranked order (RANK_ORDER); a file that repeats an earlier one
        of the same candidate has none of its own."""
        if resume.final_score is None or resume.same_as is not None:
            return None
        ahead = and_(Resume.passed.is_(bool(resume.passed)), Resume.final_score > resume.final_score)
        if not resume.passed:
            ahead = or_(ahead, Resume.passed.is_(True))
        higher = await self.session.scalar(
            select(func.count()).where(
                Resume.job_id == resume.job_id,
                Resume.final_score.is_not(None),
                Resume.same_as.is_(None),
                ahead,
            )
        )
        return int(higher or 0) + 1

    async def ranked_page(
        self,
        job_id: uuid.UUID,
        *,
        page: int,
        page_size: int,
        status: str | None,
        passed: bool | None,
        sort: str,
        min_score: float | None = None,
        skill: str | None = None,
        text: str | None = None,
        search_names: bool = True,
        decision: str | None = None,
    ) -> tuple[list[tuple[Resume, int | None]], int]:
        """One page of a job's resumes with each one's rank in the whole job (RANK_ORDER)."""
        rank = func.rank().over(order_by=RANK_ORDER)
        ranked = (
            select(Resume.id.label("resume_id"), rank.label("rank"))
            .where(Resume.job_id == job_id, Resume.final_score.is_not(None), Resume.same_as.is_(None))
            .subquery()
        )
        filters = _page_filters(job_id, status, passed, min_score, skill, text, search_names, decision)
        order = {
            "rank": (*RANK_ORDER, Resume.created_at, Resume.id),
            "score": (Resume.final_score.desc().nulls_last(), Resume.created_at, Resume.id),
            "name": (func.lower(func.coalesce(Resume.candidate_name, Resume.filename)), Resume.id),
            "uploaded": (Resume.created_at, Resume.id),
        }[sort]
        total = await self.session.scalar(select(func.count()).select_from(Resume).where(and_(*filters)))
        # Three narrow steps instead of joining every row of the job to its rank: the page's ids in the
        # requested order, the job-wide rank of just those ids, then those rows without the heavy
        # columns (parse, analysis, stored embeddings).
        page_ids = list(
            await self.session.scalars(
                select(Resume.id)
                .where(and_(*filters))
                .order_by(*order)
                .offset((page - 1) * page_size)
                .limit(page_size)
            )
        )
        if not page_ids:
            return [], int(total or 0)
        ranks = dict(
            (
                await self.session.execute(
                    select(ranked.c.resume_id, ranked.c.rank).where(ranked.c.resume_id.in_(page_ids))
                )
            ).all()
        )
        resumes = {
            resume.id: resume
            for resume in await self.session.scalars(
                select(Resume)
                .options(defer(Resume.parsed), defer(Resume.analysis), defer(Resume.embeddings))
                .where(Resume.id.in_(page_ids))
            )
        }
        return [(resumes[i], ranks.get(i)) for i in page_ids if i in resumes], int(total or 0)

    async def same_candidate_files(
        self, resume_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, list[tuple[uuid.UUID, str]]]:
        """The other files of each candidate: (id, filename) of the resumes that repeat each given one."""
        rows = await self.session.execute(
            select(Resume.same_as, Resume.id, Resume.filename)
            .where(Resume.same_as.in_(resume_ids))
            .order_by(Resume.created_at, Resume.id)
        )
        files: dict[uuid.UUID, list[tuple[uuid.UUID, str]]] = {}
        for same_as, resume_id, filename in rows.all():
            if same_as is not None:
                files.setdefault(same_as, []).append((resume_id, filename))
        return files

    async def find_same_candidate(self, resume: Resume) -> uuid.UUID | None:
        """The first file of the same candidate among the job's completed resumes, if there is one.

        Called with the job locked (a ranked result locks its job), so two files of one candidate that
        finish together are compared one after the other, never both taken as the first."""
        if await self.session.scalar(select(func.count()).where(Resume.same_as == resume.id)):
            return None  # already the first file of its candidate
        keys = []
        if resume.email_key:
            keys.append(Resume.email_key == resume.email_key)
        if resume.phone_key:
            keys.append(Resume.phone_key == resume.phone_key)
        if resume.text_bands:
            keys.append(Resume.text_bands.overlap(resume.text_bands))
        if not keys:
            return None
        rows = await self.session.execute(
            select(
                Resume.id,
                Resume.same_as,
                Resume.email_key,
                Resume.phone_key,
                Resume.signature,
                Resume.created_at,
            )
            .where(
                Resume.job_id == resume.job_id,
                Resume.id != resume.id,
                Resume.status == "completed",
                or_(*keys),
            )
            .order_by(Resume.created_at, Resume.id)
        )
        for other_id, same_as, email_key, phone_key, signature, _ in rows.all():
            same_contact = (resume.email_key and email_key == resume.email_key) or (
                resume.phone_key and phone_key == resume.phone_key
            )
            if same_contact or similarity(resume.signature, signature) >= SAME_TEXT:
                return same_as or other_id
        return None

    async def delete_resume(self, resume: Resume) -> None:
        completed = 1 if resume.status == "completed" else 0
        failed = 1 if resume.status == "failed" else 0
        # The next file of the same candidate becomes the first, and the others point to it.
        members = list(
            await self.session.scalars(
                select(Resume.id).where(Resume.same_as == resume.id).order_by(Resume.created_at, Resume.id)
            )
        )
        if members:
            await self.session.execute(update(Resume).where(Resume.id == members[0]).values(same_as=None))
            await self.session.execute(
                update(Resume).where(Resume.id.in_(members[1:])).values(same_as=members[0])
            )
        await self.session.delete(resume)
        await self.move_job_counters(resume.job_id, total=-1, completed=-completed, failed=-failed)

    async def delete_job(self, job: Job) -> list[str]:
        """Delete a job with its resumes and batches; returns the file hashes it held."""
        shas = list(await self.session.scalars(select(Resume.sha256).where(Resume.job_id == job.id)))
        await self.session.execute(delete(Resume).where(Resume.job_id == job.id))
        await self.session.execute(delete(Batch).where(Batch.job_id == job.id))
        await self.session.delete(job)
        return shas

    async def file_in_use(self, sha256: str) -> bool:
        return bool(await self.session.scalar(select(func.count()).where(Resume.sha256 == sha256)))

    async def busy_resumes(self, job_id: uuid.UUID) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).where(Resume.job_id == job_id, Resume.status.in_(ACTIVE_STATUSES))
            )
            or 0
        )

    # batches
    async def batch_for_owner(self, batch_id: uuid.UUID, owner_id: uuid.UUID) -> Batch | None:
        return await self.session.scalar(
            select(Batch).where(Batch.id == batch_id, Batch.owner_id == owner_id)
        )

    async def finished_in_batch(self, batch_id: uuid.UUID, since: datetime | None) -> list[Resume]:
        """The batch's resumes that completed or failed, last changed at or after `since`."""
        query = select(Resume).where(Resume.batch_id == batch_id, Resume.status.in_(("completed", "failed")))
        if since is not None:
            query = query.where(Resume.updated_at >= since)
        return list(await self.session.scalars(query.order_by(Resume.updated_at, Resume.id)))

    async def count_batch_outcome(self, batch_id: uuid.UUID, *, completed: int = 0, failed: int = 0) -> None:
        """Count one resume's outcome; the batch is done once every resume has one."""
        finished = Batch.completed + Batch.failed + completed + failed >= Batch.total
        await self.session.execute(
            update(Batch)
            .where(Batch.id == batch_id)
            .values(
                completed=Batch.completed + completed,
                failed=Batch.failed + failed,
                updated_at=func.now(),
                status=case((finished, "done"), else_="running"),
                finished_at=case((finished, func.now()), else_=None),
            )
        )

    # the task-token API: a task is a hidden owner with one job

    async def create_task(self, task_id: uuid.UUID, token_hash: str, expires_at: datetime) -> Task:
        owner = User(
            email=f"task-{task_id}@tasks.screener.invalid", name="task", password_hash="!", verified=False
        )
        self.session.add(owner)
        await self.session.flush()
        job = Job(
            owner_id=owner.id,
            title="Task",
            description="",
            required_skills=[],
            preferred_skills=[],
            min_years_experience=0,
            content_hash="",
            total_resumes=0,
            completed_resumes=0,
            failed_resumes=0,
        )
        self.session.add(job)
        await self.session.flush()
        task = Task(id=task_id, token_hash=token_hash, user_id=owner.id, job_id=job.id, expires_at=expires_at)
        self.session.add(task)
        return task

    async def task_by_token_hash(self, token_hash: str) -> Task | None:
        return await self.session.scalar(select(Task).where(Task.token_hash == token_hash))

    async def task(self, task_id: uuid.UUID) -> Task | None:
        return await self.session.get(Task, task_id)

    async def job_holdings(self, job_id: uuid.UUID) -> tuple[int, int]:
        """How many files a job holds, and their bytes."""
        count, size = (
            await self.session.execute(
                select(func.count(Resume.id), func.coalesce(func.sum(Resume.size_bytes), 0)).where(
                    Resume.job_id == job_id
                )
            )
        ).one()
        return int(count), int(size)

    async def job_resumes(self, job_id: uuid.UUID) -> list[Resume]:
        return list(await self.session.scalars(select(Resume).where(Resume.job_id == job_id)))

    async def batch(self, batch_id: uuid.UUID) -> Batch | None:
        return await self.session.get(Batch, batch_id)

    async def job(self, job_id: uuid.UUID) -> Job | None:
        return await self.session.get(Job, job_id)

    async def ping(self) -> None:
        """A round trip to the database (readiness)."""
        await self.session.execute(text("SELECT 1"))

    async def delete_expired_tasks(self, now: datetime) -> tuple[int, list[str]]:
        """Delete tasks past their time with their hidden owner, job and resumes; the count and the
        files those resumes held."""
        expired = list(
            await self.session.scalars(select(Task).where(Task.expires_at < now).with_for_update())
        )
        shas: list[str] = []
        for task in expired:
            job = await self.session.get(Job, task.job_id)
            if job is not None:
                shas += await self.delete_job(job)
            owner = await self.session.get(User, task.user_id)
            await self.session.delete(task)
            if owner is not None:
                await self.session.delete(owner)
        await self.session.flush()
        return len(expired), shas

    # API keys

    async def api_keys_of(self, owner_id: uuid.UUID) -> list[ApiKey]:
        result = await self.session.scalars(
            select(ApiKey).where(ApiKey.owner_id == owner_id).order_by(ApiKey.created_at.desc())
        )
        return list(result)

    async def api_key_of(self, owner_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
        return await self.session.scalar(
            select(ApiKey).where(ApiKey.id == key_id, ApiKey.owner_id == owner_id)
        )

    async def active_api_key(self, key_hash: str) -> ApiKey | None:
        return await self.session.scalar(
            select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
        )

    # the analysis cache, shared by every analyzer

    async def cached_analysis(self, key: str) -> AnalysisCacheRow | None:
        """The cached analysis for a key, counting the hit."""
        row = await self.session.get(AnalysisCacheRow, key)
        if row is not None:
            await self.session.execute(
                update(AnalysisCacheRow)
                .where(AnalysisCacheRow.key == key)
                .values(hits=AnalysisCacheRow.hits + 1)
            )
        return row

    async def cache_analysis(
        self, key: str, model: str, analysis: bytes, tokens_in: int, tokens_out: int
    ) -> None:
        """Store an analysis; the first one stored for a key stays."""
        await self.session.execute(
            insert(AnalysisCacheRow)
            .values(
                key=key, model=model, analysis=analysis, tokens_in=tokens_in, tokens_out=tokens_out, hits=0
            )
            .on_conflict_do_nothing(index_elements=["key"])
        )

    # rate limits: fixed windows counted in Postgres

    async def count_hit(self, key: str, window_start: datetime) -> int:
        """Count one attempt in a window; the window's count after it."""
        return int(
            (await self.session.execute(_HIT, {"key": key, "window_start": window_start})).scalar_one()
        )

    async def window_count(self, key: str, window_start: datetime) -> int:
        found = await self.session.execute(_COUNT, {"key": key, "window_start": window_start})
        return int(found.scalar_one_or_none() or 0)

    async def prune_rate_limits(self, before: datetime) -> None:
        await self.session.execute(text("DELETE FROM rate_limits WHERE window_start < :old"), {"old": before})

    # decisions

    async def decide(self, resume: Resume, user_id: uuid.UUID, decision: str, note: str) -> Decision:
        """A new decision on a resume (locked by the caller), which becomes its current one."""
        row = Decision(resume_id=resume.id, decided_by=user_id, decision=decision, note=note)
        self.session.add(row)
        await self.session.flush()
        await self.session.refresh(row)
        resume.decision, resume.decided_at = decision, row.created_at
        return row

    async def decisions_of(self, resume_id: uuid.UUID) -> list[tuple[Decision, str]]:
        """Every decision on a resume, latest first, with the address of who took it."""
        rows = await self.session.execute(
            select(Decision, User.email)
            .join(User, User.id == Decision.decided_by)
            .where(Decision.resume_id == resume_id)
            .order_by(Decision.created_at.desc(), Decision.id)
        )
        return [(decision, email) for decision, email in rows.all()]

    # The audit trail (services.gateway.audit): appended in the transaction of the act it records.

    async def audit(
        self,
        owner_id: uuid.UUID,
        action: str,
        object_type: str,
        object_id: object,
        details: dict[str, Any] | None = None,
    ) -> AuditEvent:
        """Append an entry to the owner's trail, chained to the last one; the actor is the request's."""
        actor = audit.ACTOR.get()
        # One writer per trail at a time, so each entry follows the one before it.
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"audit:{owner_id}"}
        )
        last = (
            await self.session.execute(
                select(AuditEvent.seq, AuditEvent.hash)
                .where(AuditEvent.owner_id == owner_id)
                .order_by(AuditEvent.seq.desc())
                .limit(1)
            )
        ).first()
        seq, prev = (last[0] + 1, last[1]) if last else (1, audit.GENESIS)
        entry: dict[str, Any] = {
            "seq": seq,
            "at": audit.timestamp(datetime.now(UTC)),
            "owner_id": owner_id,
            "actor_id": actor.user_id,
            "api_key_id": actor.api_key_id,
            "client": actor.client[:64],
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "details": details or {},
        }
        row = AuditEvent(
            **{**entry, "at": datetime.fromisoformat(entry["at"])},
            prev_hash=prev,
            hash=audit.entry_hash(prev, entry),
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def audit_page(
        self,
        owner_id: uuid.UUID,
        *,
        page: int,
        page_size: int,
        action: str | None = None,
        object_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> tuple[list[AuditEvent], int]:
        """A page of the owner's trail, oldest first, with the total the filters keep."""
        where = [AuditEvent.owner_id == owner_id]
        if action:
            where.append(
                AuditEvent.action == action if "." in action else AuditEvent.action.startswith(action)
            )
        if object_id:
            where.append(AuditEvent.object_id == object_id)
        if since:
            where.append(AuditEvent.at >= since)
        if until:
            where.append(AuditEvent.at < until)
        total = await self.session.scalar(select(func.count()).select_from(AuditEvent).where(*where))
        rows = await self.session.scalars(
            select(AuditEvent)
            .where(*where)
            .order_by(AuditEvent.seq)
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
        return list(rows), int(total or 0)

    # Demographic data for bias audits: written by the employer's upload, read only by the audit.

    async def resumes_by_reference(
        self, job_id: uuid.UUID, ids: list[uuid.UUID], emails: list[str]
    ) -> tuple[dict[uuid.UUID, uuid.UUID], dict[str, uuid.UUID]]:
        """The job's resumes named by id, and by canonical email (the first file of each person)."""
        by_id = dict(
            (
                await self.session.execute(
                    select(Resume.id, Resume.id).where(Resume.job_id == job_id, Resume.id.in_(ids))
                )
            )
            .tuples()
            .all()
        )
        by_email: dict[str, uuid.UUID] = {}
        if emails:
            rows = await self.session.execute(
                select(Resume.email_key, Resume.id)
                .where(Resume.job_id == job_id, Resume.email_key.in_(emails), Resume.same_as.is_(None))
                .order_by(Resume.created_at)
            )
            for email, resume_id in rows.tuples():
                if email:
                    by_email.setdefault(email, resume_id)
        return by_id, by_email

    async def save_demographics(
        self, job_id: uuid.UUID, entries: dict[uuid.UUID, tuple[str | None, str | None]]
    ) -> None:
        for resume_id, (sex, race) in entries.items():
            statement = insert(Demographics).values(
                resume_id=resume_id, job_id=job_id, sex=sex, race_ethnicity=race
            )
            await self.session.execute(
                statement.on_conflict_do_update(
                    index_elements=[Demographics.resume_id],
                    set_={"sex": sex, "race_ethnicity": race, "updated_at": func.now()},
                )
            )

    async def audit_candidates(
        self,
        owner_id: uuid.UUID,
        job_id: uuid.UUID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[tuple[float, bool, bool, str | None, str | None]]:
        """Every screened candidate (one per person) of a job, or of the account's jobs uploaded in a time
        range: score, passed, shortlisted, and the demographic data the employer gave."""
        where = [
            Resume.owner_id == owner_id,
            Resume.final_score.is_not(None),
            Resume.same_as.is_(None),
        ]
        if job_id is not None:
            where.append(Resume.job_id == job_id)
        if since is not None:
            where.append(Resume.created_at >= since)
        if until is not None:
            where.append(Resume.created_at < until)
        rows = await self.session.execute(
            select(
                Resume.final_score,
                Resume.passed,
                Resume.decision == "shortlist",
                Demographics.sex,
                Demographics.race_ethnicity,
            )
            .outerjoin(Demographics, Demographics.resume_id == Resume.id)
            .where(*where)
        )
        return [(float(s or 0), bool(p), bool(sl), sex, race) for s, p, sl, sex, race in rows.tuples()]

    # A candidate's data rights: every resume of one person in the account, for export or erasure.

    async def person_resumes(
        self, owner_id: uuid.UUID, resume_id: uuid.UUID | None = None, email_key: str | None = None
    ) -> list[Resume]:
        """The person's resumes in every job of the account: the resume named (or those with the email),
        then, until nothing new turns up, those sharing its email, phone, file, or candidate link."""
        found: dict[uuid.UUID, Resume] = {}
        if resume_id is not None:
            first = await self.resume_for_owner(resume_id, owner_id)
            if first is not None:
                found[first.id] = first
        if email_key:
            for resume in await self.session.scalars(
                select(Resume).where(Resume.owner_id == owner_id, Resume.email_key == email_key)
            ):
                found[resume.id] = resume
        for _ in range(5):
            emails = {r.email_key for r in found.values() if r.email_key}
            phones = {r.phone_key for r in found.values() if r.phone_key}
            shas = {r.sha256 for r in found.values()}
            ids = set(found)
            linked = {r.same_as for r in found.values() if r.same_as}
            more = await self.session.scalars(
                select(Resume).where(
                    Resume.owner_id == owner_id,
                    Resume.id.not_in(ids),
                    or_(
                        Resume.email_key.in_(emails),
                        Resume.phone_key.in_(phones),
                        Resume.sha256.in_(shas),
                        Resume.same_as.in_(ids),
                        Resume.id.in_(linked),
                    ),
                )
            )
            new = {r.id: r for r in more}
            if not new:
                break
            found.update(new)
        return sorted(found.values(), key=lambda r: r.created_at)

    async def delete_cache_entries(self, keys: set[str]) -> int:
        if not keys:
            return 0
        result = await self.session.execute(delete(AnalysisCacheRow).where(AnalysisCacheRow.key.in_(keys)))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    # Retention: closed jobs whose resumes have outlived their account's retention period.

    async def jobs_past_retention(self, default_days: int, now: datetime) -> list[Job]:
        days = func.coalesce(User.retention_days, default_days)
        rows = await self.session.scalars(
            select(Job)
            .join(User, User.id == Job.owner_id)
            .where(
                Job.closed_at.is_not(None),
                Job.legal_hold.is_(False),
                Job.total_resumes > 0,
                Job.closed_at + func.make_interval(0, 0, 0, days) <= now,
            )
            .order_by(Job.closed_at)
            .limit(50)
            .with_for_update(of=Job, skip_locked=True)
        )
        return list(rows)

    async def resumes_of_job(self, job_id: uuid.UUID) -> list[Resume]:
        return list(await self.session.scalars(select(Resume).where(Resume.job_id == job_id)))

    # Quotas (services.gateway.quotas): what an account holds, and the batches it started lately.

    async def holdings_of(self, owner_id: uuid.UUID) -> tuple[int, int]:
        row = (
            await self.session.execute(
                select(func.count(), func.coalesce(func.sum(Resume.size_bytes), 0)).where(
                    Resume.owner_id == owner_id
                )
            )
        ).one()
        return int(row[0]), int(row[1])

    async def batches_since(self, owner_id: uuid.UUID, since: datetime) -> list[datetime]:
        rows = await self.session.scalars(
            select(Batch.created_at)
            .where(Batch.owner_id == owner_id, Batch.created_at >= since)
            .order_by(Batch.created_at)
        )
        return list(rows)
