"""The upload gate: a gateway reads at most UPLOAD_SLOTS uploads at once (each is spooled to /tmp, which
is sized from it); one past them waits for a slot, then gets 503 with Retry-After."""

from __future__ import annotations

import asyncio

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from services.gateway.limits import BodyLimit, UploadSlots


def _app(release: asyncio.Event, reading: list[int], started: asyncio.Event) -> BodyLimit:
    async def upload(request: Request) -> JSONResponse:
        reading.append(len(await request.body()))
        started.set()
        await release.wait()
        return JSONResponse({"read": reading[-1]})

    async def ping(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    app = Starlette(
        routes=[Route("/upload", upload, methods=["POST"]), Route("/ping", ping, methods=["POST"])]
    )
    slots = UploadSlots(1, wait_seconds=0.5)
    return BodyLimit(
        app,
        limit_for=lambda method, path: 1 << 20,
        is_upload=lambda method, path: path == "/upload",
        slots=lambda: slots,
    )


async def test_an_upload_past_the_slots_waits_then_is_refused_and_others_pass() -> None:
    release = asyncio.Event()
    reading: list[int] = []
    started = asyncio.Event()
    transport = httpx.ASGITransport(app=_app(release, reading, started))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        first = asyncio.create_task(client.post("/upload", content=b"x" * 1000))
        await started.wait()
        busy = await client.post("/upload", content=b"y" * 10)
        assert busy.status_code == 503, busy.text
        assert busy.json()["error"]["code"] == "uploads_busy"
        assert busy.headers["retry-after"] == "1"
        # Requests that are not uploads never wait for a slot.
        assert (await client.post("/ping", content=b"{}")).status_code == 200
        release.set()
        assert (await first).json() == {"read": 1000}
        # The slot came back: the next upload is read.
        again = await client.post("/upload", content=b"z" * 10)
        assert again.status_code == 200 and again.json() == {"read": 10}
    assert reading == [1000, 10]


async def test_an_upload_that_gets_a_slot_in_time_is_read() -> None:
    release = asyncio.Event()
    reading: list[int] = []
    started = asyncio.Event()
    transport = httpx.ASGITransport(app=_app(release, reading, started))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        first = asyncio.create_task(client.post("/upload", content=b"a"))
        await started.wait()
        second = asyncio.create_task(client.post("/upload", content=b"bb"))
        await asyncio.sleep(0.1)
        assert reading == [1]
        release.set()
        assert (await first).status_code == 200
        assert (await second).json() == {"read": 2}
