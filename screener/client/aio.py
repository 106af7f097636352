"""The asyncio client: the same calls as screener.client.Client, awaited."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
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


class AsyncClient:
    """A typed asyncio client for the Screener REST API (see screener.client.Client).

    async with AsyncClient(url, api_key="sk_...") as client:
        job = await client.create_job({"title": "Data engineer"})
        await client.upload(job.id, paths, concurrency=8)
        batch = await client.wait_for_batch((await client.start_batch(job.id)).id)
        async for row in client.iter_resumes(job.id):
            ...
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
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = (url or os.environ.get("SCREENER_URL") or DEFAULT_URL).rstrip("/")
        self.credentials = Credentials(api_key, access_token, refresh_token, expires_at)
        self.on_tokens = on_tokens
        self.retries = retries
        self._http = httpx.AsyncClient(base_url=self.url, timeout=timeout, transport=transport)
        self._refreshing = asyncio.Lock()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # transport
    async def call(self, call: Call[T]) -> T:
        if call.authenticated and self.credentials.stale():
            await self._refresh(self.credentials.access_token)
        attempt = 0
        refreshed = False
        while True:
            used = self.credentials.access_token
            headers = self.credentials.headers() if call.authenticated else {}
            try:
                response = await self._http.request(
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
                await self._refresh(used)
            except (RateLimited, Unavailable) as exc:
                if attempt >= self.retries or exc.retry_after is None:
                    raise
                attempt += 1
                await asyncio.sleep(min(exc.retry_after, 30.0))

    async def _refresh(self, used: str | None) -> None:
        """New tokens, unless another task already replaced the access token `used`."""
        async with self._refreshing:
            token = self.credentials.refresh_token
            if token is None or (self.credentials.access_token != used and not self.credentials.stale()):
                return
            self.credentials.take(await self.call(calls.refresh(token)))
        if self.on_tokens:
            self.on_tokens(self.credentials)

    # auth
    async def signup(self, email: str, password: str, name: str) -> schemas.SignupResponse:
        """A new account; the verification code goes to the email address."""
        return await self.call(calls.signup(email, password, name))

    async def verify(self, email: str, code: str) -> schemas.TokenResponse:
        """Verify the account with the mailed code; signs in."""
        return await self._signed_in(await self.call(calls.verify(email, code)))

    async def login(self, email: str, password: str) -> schemas.TokenResponse:
        return await self._signed_in(await self.call(calls.login(email, password)))

    async def _signed_in(self, tokens: schemas.TokenResponse) -> schemas.TokenResponse:
        self.credentials.api_key = None
        self.credentials.take(tokens)
        if self.on_tokens:
            self.on_tokens(self.credentials)
        return tokens

    async def logout(self) -> None:
        if self.credentials.refresh_token:
            await self.call(calls.logout(self.credentials.refresh_token))
        self.credentials.access_token = self.credentials.refresh_token = None

    # jobs
    async def create_job(self, job: schemas.JobCreate | dict[str, Any]) -> schemas.JobOut:
        return await self.call(calls.create_job(job))

    async def lookup_resumes(self, prefix: str) -> list[uuid.UUID]:
        """Your resume ids that start with `prefix` (at most two)."""
        return (await self.call(calls.lookup_resumes(prefix))).ids

    async def preview_job(self, job: schemas.JobCreate | dict[str, Any]) -> schemas.JobPreview:
        """What the job understanding derives from a job, without creating it."""
        return await self.call(calls.preview_job(job))

    async def update_job(
        self, job_id: uuid.UUID | str, changes: schemas.JobUpdate | dict[str, Any]
    ) -> schemas.JobOut:
        return await self.call(calls.update_job(job_id, changes))

    async def get_job(self, job_id: uuid.UUID | str) -> schemas.JobOut:
        return await self.call(calls.get_job(job_id))

    async def list_jobs(self) -> list[schemas.JobOut]:
        return (await self.call(calls.list_jobs())).items

    async def delete_job(self, job_id: uuid.UUID | str) -> None:
        await self.call(calls.delete_job(job_id))

    async def audit(
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
            found = await self.call(calls.audit_page(page, 1000, action, object_id, since, until))
            entries += found.items
            if len(entries) >= found.total or not found.items:
                return entries
            page += 1

    async def export(self, job_id: uuid.UUID | str, format: str = "csv") -> str:
        return await self.call(calls.export(job_id, format))

    # resumes
    async def upload(
        self,
        job_id: uuid.UUID | str,
        paths: Iterable[str | os.PathLike[str]],
        *,
        concurrency: int = 4,
        per_request: int = 20,
        max_request_bytes: int = 20 * 1024 * 1024,
        on_progress: Callable[[int], None] | None = None,
    ) -> list[schemas.UploadItemOut]:
        """Upload files and the resumes in folders, at most `concurrency` requests in flight."""
        groups = calls.chunks(calls.resume_files(paths), per_request, max_request_bytes)
        slots = asyncio.Semaphore(max(1, concurrency))

        async def send(group: list[Path]) -> list[schemas.UploadItemOut]:
            async with slots:
                files = [(p.name, await asyncio.to_thread(p.read_bytes)) for p in group]
                try:
                    items = (await self.call(calls.upload(job_id, files))).items
                except BadFile as exc:
                    items = calls.refused_items(exc)
            if on_progress:
                on_progress(len(group))
            return items

        results = await asyncio.gather(*(send(group) for group in groups))
        return [item for items in results for item in items]

    async def list_resumes(
        self, job_id: uuid.UUID | str, *, page: int = 1, page_size: int = 50, **filters: Any
    ) -> schemas.ResumePage:
        return await self.call(calls.list_resumes(job_id, page, page_size, **filters))

    async def iter_resumes(
        self, job_id: uuid.UUID | str, *, page_size: int = 200, **filters: Any
    ) -> AsyncIterator[schemas.ResumeRow]:
        page = 1
        while True:
            result = await self.list_resumes(job_id, page=page, page_size=page_size, **filters)
            for row in result.items:
                yield row
            if not result.items or page * page_size >= result.total:
                return
            page += 1

    async def get_resume(self, resume_id: uuid.UUID | str, *, reveal: bool = False) -> schemas.ResumeDetail:
        return await self.call(calls.get_resume(resume_id, reveal))

    async def delete_resume(self, resume_id: uuid.UUID | str) -> None:
        await self.call(calls.delete_resume(resume_id))

    async def request_analysis(self, resume_id: uuid.UUID | str) -> schemas.AnalysisAccepted:
        return await self.call(calls.request_analysis(resume_id))

    async def decide(
        self, resume_id: uuid.UUID | str, decision: str, *, note: str = ""
    ) -> schemas.DecisionOut:
        """Shortlist, hold or reject a candidate, with a note; every decision is kept."""
        return await self.call(calls.decide(resume_id, decision, note))

    async def decisions(self, resume_id: uuid.UUID | str) -> list[schemas.DecisionOut]:
        """Who decided what on the candidate, and when, latest first."""
        return (await self.call(calls.decisions(resume_id))).items

    # batches
    async def start_batch(
        self, job_id: uuid.UUID | str, resume_ids: list[uuid.UUID] | None = None
    ) -> schemas.BatchOut:
        return await self.call(calls.start_batch(job_id, resume_ids))

    async def get_batch(self, batch_id: uuid.UUID | str) -> schemas.BatchOut:
        return await self.call(calls.get_batch(batch_id))

    async def wait_for_batch(
        self,
        batch_id: uuid.UUID | str,
        *,
        on_progress: Progress | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (the sync client's signature)
        poll_seconds: float = 1.0,
        stream: bool = True,
    ) -> schemas.BatchOut:
        """Until the batch is done: the SSE progress stream, polling when it cannot be had or breaks."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if stream:
            try:
                done = await self._follow(batch_id, on_progress, deadline)
                if done is not None:
                    return done
            except (httpx.HTTPError, ValueError):
                pass
        last = None
        while True:
            batch = await self.get_batch(batch_id)
            if batch != last and on_progress:
                on_progress(batch)
            last = batch
            if batch.status == "done":
                return batch
            if deadline is not None and time.monotonic() > deadline:
                raise WaitTimeout(f"batch {batch_id} still running after {timeout:g}s")
            await asyncio.sleep(poll_seconds)

    async def _follow(
        self, batch_id: uuid.UUID | str, on_progress: Progress | None, deadline: float | None
    ) -> schemas.BatchOut | None:
        if self.credentials.stale():
            await self._refresh(self.credentials.access_token)
        reader = calls.SseReader()
        read_timeout = None if deadline is None else max(1.0, deadline - time.monotonic())
        async with self._http.stream(
            "GET",
            f"/api/batches/{batch_id}/events",
            headers={**self.credentials.headers(), "Accept": "text/event-stream"},
            timeout=httpx.Timeout(10.0, read=read_timeout),
        ) as response:
            if response.status_code == 401:
                return None
            if response.status_code >= 400:
                await response.aread()
                raise error_from(response)
            async for line in response.aiter_lines():
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
    async def create_api_key(self, name: str) -> schemas.ApiKeyCreated:
        return await self.call(calls.create_api_key(name))

    async def list_api_keys(self) -> list[schemas.ApiKeyOut]:
        return (await self.call(calls.list_api_keys())).items

    async def revoke_api_key(self, key_id: uuid.UUID | str) -> None:
        await self.call(calls.revoke_api_key(key_id))
