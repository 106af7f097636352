"""Gateway settings."""

from __future__ import annotations

import logging
import secrets

from pydantic import Field, model_validator

from services.common.settings import ServiceSettings
from services.gateway.mailer import SmtpTarget

log = logging.getLogger(__name__)


class GatewaySettings(ServiceSettings):
    grpc_port: int = Field(default=50054, alias="GRPC_PORT")
    http_host: str = Field(default="127.0.0.1", alias="HTTP_HOST")
    http_port: int = Field(default=8080, alias="HTTP_PORT")
    # The proxies (addresses or networks, comma-separated) whose X-Forwarded-For and X-Forwarded-Proto
    # are believed; empty: none, and the client is the address that connected. Per-client limits key on
    # the client, so a header from any other hop is ignored.
    forwarded_allow_ips: str = Field(default="", alias="FORWARDED_ALLOW_IPS")
    # The console's built files (index.html and assets/); empty: console/dist beside the sources.
    console_dir: str = Field(default="", alias="CONSOLE_DIR")
    database_url: str = Field(
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/screener", alias="DATABASE_URL"
    )
    # No default anyone could read in the source: `screener up` keeps a random one in its data folder,
    # a bare dev-mode gateway makes one per process, anything else must be given one.
    jwt_secret: str = Field(default="", alias="JWT_SECRET")
    # The internal API (the analysis cache) listens on a port of its own and answers only callers that
    # present this service credential; the public gRPC port does not serve it.
    internal_grpc_port: int = Field(default=50055, alias="INTERNAL_GRPC_PORT")
    internal_api_token: str = Field(default="", alias="INTERNAL_API_TOKEN")
    jwt_issuer: str = Field(default="screener", alias="JWT_ISSUER")
    jwt_audience: str = Field(default="screener-api", alias="JWT_AUDIENCE")
    # How long a closed job keeps its resumes before they are erased (an account may set its own).
    retention_days: int = Field(default=730, ge=0, alias="RETENTION_DAYS")
    # Quotas per account (an operator may set an account's own in users.quota_*).
    quota_resumes: int = Field(default=100_000, ge=0, alias="QUOTA_RESUMES")
    quota_bytes: int = Field(default=50 * 1024**3, ge=0, alias="QUOTA_BYTES")
    quota_batches_per_hour: int = Field(default=300, ge=0, alias="QUOTA_BATCHES_PER_HOUR")
    access_token_ttl_seconds: int = Field(default=900, alias="ACCESS_TOKEN_TTL_SECONDS")
    refresh_token_ttl_seconds: int = Field(default=30 * 24 * 3600, alias="REFRESH_TOKEN_TTL_SECONDS")
    otp_ttl_seconds: int = Field(default=600, alias="OTP_TTL_SECONDS")
    otp_max_attempts: int = Field(default=5, alias="OTP_MAX_ATTEMPTS")
    smtp_url: str = Field(default="", alias="SMTP_URL")
    smtp_from: str = Field(default="Screener <no-reply@screener.local>", alias="SMTP_FROM")
    max_file_bytes: int = Field(default=10 * 1024 * 1024, alias="MAX_FILE_BYTES")
    max_files_per_upload: int = Field(default=200, alias="MAX_FILES_PER_UPLOAD")
    # Uploads read at once by one gateway process (REST and gRPC): each is spooled to /tmp, so /tmp needs
    # UPLOAD_SLOTS x the largest upload (MAX_FILES_PER_UPLOAD x MAX_FILE_BYTES). Past them an upload waits
    # UPLOAD_SLOT_WAIT_SECONDS for a slot, then gets 503 with Retry-After.
    upload_slots: int = Field(default=4, gt=0, alias="UPLOAD_SLOTS")
    upload_slot_wait_seconds: float = Field(default=30.0, ge=0, alias="UPLOAD_SLOT_WAIT_SECONDS")
    # Every request body that is not an upload: a job with its 50,000-character description fits.
    max_json_body_bytes: int = Field(default=1024 * 1024, alias="MAX_JSON_BODY_BYTES")
    extractor_addr: str = Field(default="127.0.0.1:50051", alias="EXTRACTOR_ADDR")
    ranker_addr: str = Field(default="127.0.0.1:50052", alias="RANKER_ADDR")
    analyzer_addr: str = Field(default="127.0.0.1:50053", alias="ANALYZER_ADDR")
    event_concurrency: int = Field(default=8, alias="EVENT_CONCURRENCY")
    # Stage events applied in one transaction when they arrive together.
    event_batch_size: int = Field(default=16, alias="EVENT_BATCH_SIZE")
    # Rate limits: attempts per minute (verification: per 10 minutes; code resend: one per cooldown).
    login_per_account: int = Field(default=10, alias="RATE_LIMIT_LOGIN_PER_ACCOUNT")
    login_per_client: int = Field(default=30, alias="RATE_LIMIT_LOGIN_PER_CLIENT")
    signup_per_client: int = Field(default=10, alias="RATE_LIMIT_SIGNUP_PER_CLIENT")
    verify_per_account: int = Field(default=10, alias="RATE_LIMIT_VERIFY_PER_ACCOUNT")
    verify_per_client: int = Field(default=30, alias="RATE_LIMIT_VERIFY_PER_CLIENT")
    upload_per_account: int = Field(default=60, alias="RATE_LIMIT_UPLOAD_PER_ACCOUNT")
    upload_per_client: int = Field(default=120, alias="RATE_LIMIT_UPLOAD_PER_CLIENT")
    resend_cooldown_seconds: int = Field(default=60, alias="CODE_RESEND_COOLDOWN_SECONDS")
    task_ttl_seconds: int = Field(default=24 * 3600, alias="TASK_TTL_SECONDS")
    # The anonymous task API is bounded: tasks a client may open per hour, and what one task may hold.
    tasks_per_client_per_hour: int = Field(default=20, alias="TASKS_PER_CLIENT_PER_HOUR")
    task_max_files: int = Field(default=50, alias="TASK_MAX_FILES")
    task_max_bytes: int = Field(default=100 * 1024 * 1024, alias="TASK_MAX_BYTES")
    batch_stall_seconds: float = Field(default=600, gt=0, alias="BATCH_STALL_SECONDS")
    # Back-pressure: work waiting in the queue beyond this refuses new batches with 503 and Retry-After.
    max_queued_work: int = Field(default=20_000, gt=0, alias="MAX_QUEUED_WORK")
    # Resumes in progress at once (all owners together): the dispatcher sends the next ones round-robin
    # by owner as these finish. Enough to keep every worker busy; small enough that a newcomer waits
    # behind at most this many.
    dispatch_window: int = Field(default=16, gt=0, alias="DISPATCH_WINDOW")
    queue_watch_seconds: float = Field(default=10, gt=0, alias="QUEUE_WATCH_SECONDS")
    task_sweep_seconds: float = Field(default=60, gt=0, alias="TASK_SWEEP_SECONDS")
    # LLM analysis budgets in tokens (in + out); a job may set its own.
    job_token_budget: int = Field(default=500_000, alias="ANALYSIS_JOB_TOKEN_BUDGET")
    user_token_budget: int = Field(default=2_000_000, alias="ANALYSIS_USER_TOKEN_BUDGET")

    @model_validator(mode="after")
    def _signing_secret(self) -> GatewaySettings:
        if not self.jwt_secret and self.dev_mode:
            self.jwt_secret = secrets.token_urlsafe(48)
            log.warning(
                "JWT_SECRET is not set: signing with a random secret that lasts as long as this process"
            )
        if len(self.jwt_secret) < 32:
            raise ValueError("JWT_SECRET must be set to a random value of at least 32 characters")
        if not self.internal_api_token and self.dev_mode:
            self.internal_api_token = secrets.token_urlsafe(32)
            log.warning("INTERNAL_API_TOKEN is not set: the analysis cache answers no one but this process")
        if len(self.internal_api_token) < 32:
            raise ValueError("INTERNAL_API_TOKEN must be set to a random value of at least 32 characters")
        if self.smtp_url:
            SmtpTarget.parse(self.smtp_url)  # a misspelt URL stops the gateway at start, with the reason
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """DATABASE_URL with the asyncpg driver, whatever scheme it was given in."""
        url = self.database_url
        for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+asyncpg://" + url[len(prefix) :]
        return url
