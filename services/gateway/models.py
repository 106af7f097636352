"""The gateway's tables. The schema itself is created by the Alembic migrations in migrations/."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql import func

JsonType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    pass


def _uuid() -> uuid.UUID:
    return uuid.uuid4()


class User(Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=_uuid)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    tokens_used: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # How long a closed job keeps its resumes (None: the gateway's RETENTION_DAYS).
    retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The account's own quotas, set by an operator (None: the gateway's QUOTA_* defaults).
    quota_resumes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quota_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    quota_batches_per_hour: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class EmailCode(Base):
    __tablename__ = "email_codes"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=_uuid)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=_uuid)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    family_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), index=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_closed_at", "closed_at", postgresql_where=text("closed_at IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=_uuid)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    required_skills: Mapped[list[str]] = mapped_column(JsonType, default=list)
    preferred_skills: Mapped[list[str]] = mapped_column(JsonType, default=list)
    min_years_experience: Mapped[float] = mapped_column(Float, default=0.0)
    # Blind screening: names, contact details and other personal markers are masked before ranking.
    blind_screening: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # Per-job scoring: component weights, knock-out rule severities, required education level.
    weights: Mapped[dict[str, float]] = mapped_column(JsonType, default=dict, server_default="{}")
    rules: Mapped[dict[str, str]] = mapped_column(JsonType, default=dict, server_default="{}")
    required_education: Mapped[str] = mapped_column(String(32), default="", server_default="")
    # LLM analysis: tokens spent, budget (None = gateway default), auto-analysis of the top K after a batch.
    tokens_used: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    token_budget: Mapped[int | None] = mapped_column(Integer, nullable=True)
    auto_analyze_top_k: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    content_hash: Mapped[str] = mapped_column(String(64))
    # Denormalized counters, moved in the same transaction as each resume transition.
    total_resumes: Mapped[int] = mapped_column(Integer, default=0)
    completed_resumes: Mapped[int] = mapped_column(Integer, default=0)
    failed_resumes: Mapped[int] = mapped_column(Integer, default=0)
    # Closed: its resumes are erased once the account's retention period has passed, unless on legal hold.
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # The notice published to candidates (services.gateway.notice); empty: one written from the job.
    candidate_notice: Mapped[str] = mapped_column(Text, default="", server_default="")
    last_updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Batch(Base):
    __tablename__ = "batches"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=_uuid)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    total: Mapped[int] = mapped_column(Integer)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="running")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Resume(Base):
    __tablename__ = "resumes"
    __table_args__ = (
        UniqueConstraint("job_id", "sha256", name="uq_resumes_job_sha256"),
        Index("ix_resumes_job_score", "job_id", "final_score"),
        Index("ix_resumes_job_status", "job_id", "status"),
        # The resumes waiting for their turn (the dispatcher's queue), in each owner's order.
        Index(
            "ix_resumes_waiting",
            "owner_id",
            "updated_at",
            postgresql_where=text("status = 'queued' AND dispatched_at IS NULL"),
        ),
        # The resumes in progress: what the dispatcher counts against its window.
        Index(
            "ix_resumes_active",
            "status",
            postgresql_where=text("status IN ('queued', 'extracting', 'ranking')"),
        ),
        # Looking for the same candidate among a job's files (services.gateway.candidates).
        Index("ix_resumes_job_email", "job_id", "email_key", postgresql_where=text("email_key IS NOT NULL")),
        Index("ix_resumes_job_phone", "job_id", "phone_key", postgresql_where=text("phone_key IS NOT NULL")),
        Index("ix_resumes_text_bands", "text_bands", postgresql_using="gin"),
        Index("ix_resumes_same_as", "same_as"),
        Index("ix_resumes_job_decision", "job_id", "decision"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=_uuid)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="uploaded")
    failure_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    failure_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("batches.id", ondelete="SET NULL"), nullable=True
    )
    run_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    # When the dispatcher sent this run's extract task (None: queued, waiting for its turn), and the
    # trace context of the request that queued it, so its trace goes on from that request.
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    trace_carrier: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    candidate_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    parsed: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    # The parsed skill names joined by " | ": what the ranked table's text search reads.
    skill_names: Mapped[str | None] = mapped_column(Text, nullable=True)
    final_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    ranking: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    analysis_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    analysis_run_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    analysis: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    stage_seconds: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    # The ranker's embeddings of this resume (a serialized ResumeEmbeddings), for re-scoring on job edits.
    embeddings: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # Whose resume it is, as far as the files tell (services.gateway.candidates), and the first file of
    # the same candidate in the job when this one repeats it (the ranked table lists the candidate once).
    email_key: Mapped[str | None] = mapped_column(String(320), nullable=True)
    phone_key: Mapped[str | None] = mapped_column(String(32), nullable=True)
    text_bands: Mapped[list[int] | None] = mapped_column(ARRAY(BigInteger), nullable=True)
    signature: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # Not a foreign key (its check would lock the first file's row out of the lock order); deleting a
    # first file hands its place to the next one (Repository.delete_resume).
    same_as: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    # The recruiter's current decision (shortlist, hold, reject) and when it was taken; every decision
    # with its note is kept in decisions.
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Decision(Base):
    """A person's decision on a candidate, with a note: the tool ranks, a person decides. Never edited;
    a new decision is a new row, so the history says who decided what and when."""

    __tablename__ = "decisions"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=_uuid)
    resume_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("resumes.id", ondelete="CASCADE"), index=True)
    decided_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    decision: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AnalysisCacheRow(Base):
    """An LLM analysis by (model, prompt version, job hash, resume hash): never paid for twice."""

    __tablename__ = "analysis_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    model: Mapped[str] = mapped_column(String(200))
    analysis: Mapped[bytes] = mapped_column(LargeBinary)  # a serialized Analysis
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    hits: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RateLimitWindow(Base):
    """Attempts counted per key (client or account) and fixed time window."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class Task(Base):
    """A task of the token API: one token, one hidden owner, one job, its files; gone when it expires."""

    __tablename__ = "tasks"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=_uuid)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    batch_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ApiKey(Base):
    """A platform team's key for the gRPC API: acts for its owner, stored as a SHA-256 of the secret."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=_uuid)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuditEvent(Base):
    """One entry of an account's audit trail (services.gateway.audit): append-only, chained by hash."""

    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("owner_id", "seq", name="uq_audit_owner_seq"),
        Index("ix_audit_owner_at", "owner_id", "at"),
        Index("ix_audit_owner_action", "owner_id", "action"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    seq: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), nullable=True)
    client: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JsonType)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Demographics(Base):
    """A candidate's self-reported sex and race/ethnicity for bias audits (services.gateway.bias_audit):
    read by nothing else, deleted with the resume."""

    __tablename__ = "demographics"
    __table_args__ = (Index("ix_demographics_job", "job_id"),)

    resume_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("resumes.id", ondelete="CASCADE"), primary_key=True
    )
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    sex: Mapped[str | None] = mapped_column(String(16), nullable=True)
    race_ethnicity: Mapped[str | None] = mapped_column(String(48), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
