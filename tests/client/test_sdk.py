"""The Python SDK against the session's mesh: sync and async paths, token refresh, paging, uploads with
bounded concurrency, waiting through SSE and by polling, and one exception type per error code."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import httpx
import pytest

from screener.client import AsyncClient, Client, Credentials, errors, schemas
from services.demo.samples import SAMPLE_JOB
from services.launcher import Mesh
from tests.client.conftest import TEXT_SAMPLES
from tests.conftest import PASSWORD, Account


class NoEventStream(httpx.HTTPTransport):
    """The real transport, except that the SSE route cannot be reached (a proxy that buffers it, say)."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/events"):
            self.refused += 1
            raise httpx.ConnectError("event stream blocked", request=request)
        return super().handle_request(request)


def test_sync_client_screens_a_folder_end_to_end(mesh: Mesh, account: Account, resume_folder: Path) -> None:
    seen: list[Credentials] = []
    with Client(mesh.http_url, on_tokens=lambda c: seen.append(c)) as client:
        tokens = client.login(account.email, PASSWORD)
        assert tokens.access_token and seen  # the caller is told the tokens to keep
        job = client.create_job({**SAMPLE_JOB, "title": "SDK sync"})
        assert isinstance(job, schemas.JobOut) and job.title == "SDK sync"
        uploaded: list[int] = []
        items = client.upload(
            job.id, [resume_folder], concurrency=3, per_request=2, on_progress=uploaded.append
        )
        # 4 PDFs and the empty one from the folder (not the .csv, .txt or .tif the gateway would refuse),
        # in requests of at most 2 files.
        assert sorted(uploaded) == [1, 2, 2] and len(items) == len(TEXT_SAMPLES) + 1
        refused = [i for i in items if i.error]
        assert [(i.filename, i.error["code"]) for i in refused if i.error] == [("empty.pdf", "bad_file")]
        accepted = [i.id for i in items if i.id and not i.error]

        states: list[schemas.BatchOut] = []
        batch = client.start_batch(job.id, accepted)
        done = client.wait_for_batch(batch.id, on_progress=states.append, timeout=240)
        assert done.status == "done" and done.completed + done.failed == len(accepted)
        assert states[-1].status == "done"

        rows = list(client.iter_resumes(job.id, page_size=2))  # two pages of 2
        assert [r.rank for r in rows] == list(range(1, len(accepted) + 1))
        scores = [r.final_score or 0.0 for r in rows]
        assert scores == sorted(scores, reverse=True)
        detail = client.get_resume(rows[0].id)
        assert detail.rank == 1 and detail.parsed and detail.score_components
        assert client.get_job(job.id).completed_resumes == len(accepted)
        assert job.id in {j.id for j in client.list_jobs()}
        assert client.export(job.id, "csv").splitlines()[0].startswith("rank,")


def test_waiting_falls_back_to_polling_when_the_event_stream_cannot_be_had(
    mesh: Mesh, account: Account, resume_folder: Path
) -> None:
    transport = NoEventStream()
    with Client(mesh.http_url, transport=transport) as client:
        client.login(account.email, PASSWORD)
        job = client.create_job(SAMPLE_JOB)
        client.upload(job.id, [resume_folder / TEXT_SAMPLES[0].filename])
        batch = client.start_batch(job.id)
        states: list[schemas.BatchOut] = []
        done = client.wait_for_batch(batch.id, on_progress=states.append, poll_seconds=0.2, timeout=240)
    assert transport.refused == 1 and done.status == "done" and done.completed == 1
    assert states and states[-1] == done


def test_tokens_are_refreshed_when_rejected_and_before_they_expire(mesh: Mesh, account: Account) -> None:
    told: list[str] = []
    # A rejected access token: refreshed once, the call repeated, the new tokens handed over.
    with Client(
        mesh.http_url,
        access_token="not-a-valid-token",
        refresh_token=account.refresh_token,
        on_tokens=lambda c: told.append(c.refresh_token or ""),
    ) as client:
        assert isinstance(client.list_jobs(), list)
        assert len(told) == 1 and told[0] != account.refresh_token
        fresh = told[0]
        # An access token about to expire is refreshed before the call, not after a rejection.
        client.credentials.expires_at = time.time() + 5
        before = client.credentials.access_token
        client.list_jobs()
        assert len(told) == 2 and client.credentials.access_token != before
    # The first refresh token was rotated away: using it again is reuse, and revokes the family.
    with Client(mesh.http_url, access_token="x", refresh_token=account.refresh_token) as stale:
        with pytest.raises(errors.Unauthorized) as caught:
            stale.list_jobs()
        assert caught.value.status == 401
    with (
        Client(mesh.http_url, access_token="x", refresh_token=fresh) as revoked,
        pytest.raises(errors.Unauthorized),
    ):
        revoked.list_jobs()


def test_each_error_code_raises_its_own_exception(mesh: Mesh, account: Account) -> None:
    with Client(mesh.http_url) as client:
        client.login(account.email, PASSWORD)
        with pytest.raises(errors.NotFound) as missing:
            client.get_job(uuid.uuid4())
        assert missing.value.code == "not_found" and missing.value.status == 404
        with pytest.raises(errors.InvalidInput) as invalid:
            client.list_resumes(client.create_job(SAMPLE_JOB).id, page_size=1000)
        assert invalid.value.details  # which field, and why
        with pytest.raises(errors.Unauthorized):
            Client(mesh.http_url).list_jobs()  # no credentials at all
        with pytest.raises(errors.Unauthorized):
            client.login(account.email, "wrong password")
    with pytest.raises(errors.Unreachable):
        Client("http://127.0.0.1:9", timeout=2).list_jobs()
    # Every code the gateway documents maps to its class, with Retry-After kept.
    cases = {
        ("bad_file", 422): errors.BadFile,
        ("queue_full", 503): errors.QueueFull,
        ("rate_limited", 429): errors.RateLimited,
        ("email_not_verified", 403): errors.EmailNotVerified,
        ("token_reused", 401): errors.TokenReused,
        ("budget_exceeded", 409): errors.BudgetExceeded,
        ("conflict", 409): errors.Conflict,
        ("something_new", 503): errors.Unavailable,  # unknown code: by status
    }
    for (code, status), cls in cases.items():
        response = httpx.Response(
            status, json={"error": {"code": code, "message": "m"}}, headers={"Retry-After": "7"}
        )
        error = errors.error_from(response)
        assert type(error) is cls and error.code == code and error.retry_after == 7.0


def test_async_client_uploads_concurrently_waits_and_pages(
    mesh: Mesh, account: Account, resume_folder: Path
) -> None:
    async def scenario() -> None:
        async with AsyncClient(mesh.http_url) as client:
            await client.login(account.email, PASSWORD)
            job = await client.create_job({**SAMPLE_JOB, "title": "SDK async"})
            items = await client.upload(job.id, [resume_folder], concurrency=2, per_request=1)
            accepted = [i.id for i in items if i.id and not i.error]
            assert len(accepted) == len(TEXT_SAMPLES)
            states: list[schemas.BatchOut] = []
            batch = await client.start_batch(job.id, accepted)
            done = await client.wait_for_batch(batch.id, on_progress=states.append, timeout=240)
            assert done.status == "done" and states[-1].status == "done"
            rows = [row async for row in client.iter_resumes(job.id, page_size=3)]
            assert [r.rank for r in rows] == list(range(1, len(accepted) + 1))
            with pytest.raises(errors.NotFound):
                await client.get_resume(uuid.uuid4())
            # A rejected token is refreshed by the async client too.
            client.credentials.access_token = "expired"
            assert (await client.get_job(job.id)).id == job.id
            polled = await client.wait_for_batch(batch.id, stream=False)
            assert polled == (await client.get_batch(batch.id))

    asyncio.run(scenario())
