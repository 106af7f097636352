"""The synchronous client."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx

from screener.client import _base as calls
from screener.client._base import DEFAULT_URL, Call, Credentials, TokenCallback
from screener.client.errors import (
    BadFile,
    RateLimited,
    Unauthorized,
    Unavailable,
    Unreachable,
    WaitTimeout,
    error_from,
)
from screener.contract import schemas

T = TypeVar("T")
Progress = Callable[[schemas.BatchOut], None]


class Client:
    """A typed client for the Screener REST API.

        with Client("http://127.0.0.1:8080") as client:
            client.login("recruiter@example.com", "secret")
            job = client.create_job({"title": "Backend engineer", "required_skills": ["Python"]})
            items = client.upload(job.id, ["resumes/"])
            batch = client.wait_for_batch(client.start_batch(job.id).id)
            for row in client.iter_resumes(job.id):
                print(row.rank, row.final_score, row.candidate_name)

    Credentials: an API key (`api_key=`), tokens from `login`, or tokens given (`access_token=`,
    `refresh_token=`); an expiring or rejected access token is refreshed once by itself and
    `on_tokens` is told the new ones. Rate-limit and unavailable answers that carry Retry-After are
    retried up to `retries` times. Errors raise one exception type per code (screener.client.errors).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        api_key: str | None = None,
        access_token: str | None = None,
        refresh_token: str | None = None,
        expires_at: float = 0.0,
        on_tokens: TokenCallback | None = None,
        timeout: float = 60.0,
        retries: int = 2,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = (url or os.environ.get("SCREENER_URL") or DEFAULT_URL).rstrip("/")
        self.credentials = Credentials(api_key, access_token, refresh_token, expires_at)
        self.on_tokens = on_tokens
        self.retries = retries
        self._http = httpx.Client(base_url=self.url, timeout=timeout, transport=transport)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # transport
    def call(self, call: Call[T]) -> T:
        if call.authenticated and self.credentials.stale():
            self._refresh(self.credentials.access_token)
        attempt = 0
        refreshed = False
        while True:
            used = self.credentials.access_token
            headers = self.credentials.headers() if call.authenticated else {}
            try:
                response = self._http.request(
                    call.method, call.path, headers=headers, **call.request_kwargs()
                )
            except httpx.TransportError as exc:
                raise Unreachable(f"cannot reach the gateway at {self.url}: {exc}") from exc
            try:
                return calls.decode(response, call)
            except Unauthorized:
                if not call.authenticated or refreshed or not self.credentials.refresh_token:
                    raise
                refreshed = True
                self._refresh(used)
            except (RateLimited, Unavailable) as exc:
                if attempt >= self.retries or exc.retry_after is None:
                    raise
                attempt += 1
                time.sleep(min(exc.retry_after, 30.0))

    def _refresh(self, used: str | None) -> None:
        """New tokens, unless another thread already replaced the access token `used`."""
        with self.credentials.lock:
            token = self.credentials.refresh_token
            if token is None or (self.credentials.access_token != used and not self.credentials.stale()):
                return
            self.credentials.take(self.call(calls.refresh(token)))
        if self.on_tokens:
            self.on_tokens(self.credentials)

    # auth
    def signup(self, email: str, password: str, name: str) -> schemas.SignupResponse:
        """A new account; the verification code goes to the email address."""
        return self.call(calls.signup(email, password, name))

    def verify(self, email: str, code: str) -> schemas.TokenResponse:
        """Verify the account with the mailed code; signs in."""
        return self._signed_in(self.call(calls.verify(email, code)))

    def login(self, email: str, password: str) -> schemas.TokenResponse:
        return self._signed_in(self.call(calls.login(email, password)))

    def _signed_in(self, tokens: schemas.TokenResponse) -> schemas.TokenResponse:
        self.credentials.api_key = None
        self.credentials.take(tokens)
        if self.on_tokens:
            self.on_tokens(self.credentials)
        return tokens

    def logout(self) -> None:
        if self.credentials.refresh_token:
            self.call(calls.logout(self.credentials.refresh_token))
        self.credentials.access_token = self.credentials.refresh_token = None

    # jobs
    def create_job(self, job: schemas.JobCreate | dict[str, Any]) -> schemas.JobOut:
        return self.call(calls.create_job(job))

    def lookup_resumes(self, prefix: str) -> list[uuid.UUID]:
        """Your resume ids that start with `prefix` (at most two)."""
        return self.call(calls.lookup_resumes(prefix)).ids

    def preview_job(self, job: schemas.JobCreate | dict[str, Any]) -> schemas.JobPreview:
        """What the job understanding derives from a job, without creating it."""
        return self.call(calls.preview_job(job))

    def update_job(
        self, job_id: uuid.UUID | str, changes: schemas.JobUpdate | dict[str, Any]
    ) -> schemas.JobOut:
        return self.call(calls.update_job(job_id, changes))

    def get_job(self, job_id: uuid.UUID | str) -> schemas.JobOut:
        return self.call(calls.get_job(job_id))

    def list_jobs(self) -> list[schemas.JobOut]:
        return self.call(calls.list_jobs()).items

    def delete_job(self, job_id: uuid.UUID | str) -> None:
        self.call(calls.delete_job(job_id))

    def audit(
        self,
        *,
        action: str | None = None,
        object_id: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> list[schemas.AuditEntry]:
        """The account's audit trail (or what the filters keep), oldest first, every page of it."""
        entries: list[schemas.AuditEntry] = []
        page = 1
        while True:
            found = self.call(calls.audit_page(page, 1000, action, object_id, since, until))
            entries += found.items
            if len(entries) >= found.total or not found.items:
                return entries
            page += 1

    def export(self, job_id: uuid.UUID | str, format: str = "csv") -> str:
        return self.call(calls.export(job_id, format))

    # resumes
    def upload(
        self,
        job_id: uuid.UUID | str,
        paths: Iterable[str | os.PathLike[str]],
        *,
        concurrency: int = 4,
        per_request: int = 20,
        max_request_bytes: int = 20 * 1024 * 1024,
        on_progress: Callable[[int], None] | None = None,
    ) -> list[schemas.UploadItemOut]:
        """Upload files and the resumes in folders, `concurrency` requests at a time. Refused files come
        back as items with an error; they do not stop the others. `on_progress(n)` after each request."""
        groups = calls.chunks(calls.resume_files(paths), per_request, max_request_bytes)

        def send(group: list[Path]) -> list[schemas.UploadItemOut]:
            try:
                items = self.call(calls.upload(job_id, [(p.name, p.read_bytes()) for p in group])).items
            except BadFile as exc:
                items = calls.refused_items(exc)
            if on_progress:
                on_progress(len(group))
            return items

        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            return [item for items in pool.map(send, groups) for item in items]

    def list_resumes(
        self, job_id: uuid.UUID | str, *, page: int = 1, page_size: int = 50, **filters: Any
    ) -> schemas.ResumePage:
        """One page of the ranked table; filters: status, passed, sort, min_score, skill, q, decision."""
        return self.call(calls.list_resumes(job_id, page, page_size, **filters))

    def iter_resumes(
        self, job_id: uuid.UUID | str, *, page_size: int = 200, **filters: Any
    ) -> Iterator[schemas.ResumeRow]:
        """Every row of the ranked table, page after page."""
        page = 1
        while True:
            result = self.list_resumes(job_id, page=page, page_size=page_size, **filters)
            yield from result.items
            if not result.items or page * page_size >= result.total:
                return
            page += 1

    def get_resume(self, resume_id: uuid.UUID | str, *, reveal: bool = False) -> schemas.ResumeDetail:
        return self.call(calls.get_resume(resume_id, reveal))

    def delete_resume(self, resume_id: uuid.UUID | str) -> None:
        self.call(calls.delete_resume(resume_id))

    def request_analysis(self, resume_id: uuid.UUID | str) -> schemas.AnalysisAccepted:
        return self.call(calls.request_analysis(resume_id))

    def decide(self, resume_id: uuid.UUID | str, decision: str, *, note: str = "") -> schemas.DecisionOut:
        """Shortlist, hold or reject a candidate, with a note; every decision is kept."""
        return self.call(calls.decide(resume_id, decision, note))

    def decisions(self, resume_id: uuid.UUID | str) -> list[schemas.DecisionOut]:
        """Who decided what on the candidate, and when, latest first."""
        return (self.call(calls.decisions(resume_id))).items

    # batches
    def start_batch(
        self, job_id: uuid.UUID | str, resume_ids: list[uuid.UUID] | None = None
    ) -> schemas.BatchOut:
        return self.call(calls.start_batch(job_id, resume_ids))

    def get_batch(self, batch_id: uuid.UUID | str) -> schemas.BatchOut:
        return self.call(calls.get_batch(batch_id))

    def wait_for_batch(
        self,
        batch_id: uuid.UUID | str,
        *,
        on_progress: Progress | None = None,
        timeout: float | None = None,
        poll_seconds: float = 1.0,
        stream: bool = True,
    ) -> schemas.BatchOut:
        """Until the batch is done: follows the SSE progress stream, and polls when the stream cannot be
        had or breaks off. `on_progress` sees every new state."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if stream:
            try:
                done = self._follow(batch_id, on_progress, deadline)
                if done is not None:
                    return done
            except (httpx.HTTPError, ValueError):
                pass  # fall back to polling
        last = None
        while True:
            batch = self.get_batch(batch_id)
            if batch != last and on_progress:
                on_progress(batch)
            last = batch
            if batch.status == "done":
                return batch
            if deadline is not None and time.monotonic() > deadline:
                raise WaitTimeout(f"batch {batch_id} still running after {timeout:g}s")
            time.sleep(poll_seconds)

    def _follow(
        self, batch_id: uuid.UUID | str, on_progress: Progress | None, deadline: float | None
    ) -> schemas.BatchOut | None:
        if self.credentials.stale():
            self._refresh(self.credentials.access_token)
        reader = calls.SseReader()
        read_timeout = None if deadline is None else max(1.0, deadline - time.monotonic())
        with self._http.stream(
            "GET",
            f"/api/batches/{batch_id}/events",
            headers={**self.credentials.headers(), "Accept": "text/event-stream"},
            timeout=httpx.Timeout(10.0, read=read_timeout),
        ) as response:
            if response.status_code == 401:
                return None  # polling refreshes the token and carries on
            if response.status_code >= 400:
                response.read()
                raise error_from(response)
            for line in response.iter_lines():
                for event, data in reader.feed(line):
                    batch = calls.batch_from_event(data)
                    if on_progress:
                        on_progress(batch)
                    if event == "done" or batch.status == "done":
                        return batch
                if deadline is not None and time.monotonic() > deadline:
                    raise WaitTimeout(f"batch {batch_id} still running")
        return None

    # API keys
    def create_api_key(self, name: str) -> schemas.ApiKeyCreated:
        return self.call(calls.create_api_key(name))

    def list_api_keys(self) -> list[schemas.ApiKeyOut]:
        return self.call(calls.list_api_keys()).items

    def revoke_api_key(self, key_id: uuid.UUID | str) -> None:
        self.call(calls.revoke_api_key(key_id))
