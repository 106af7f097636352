"""Request bodies bounded by route, refused before they are read.

A pure ASGI middleware: a Content-Length past the route's bound is answered 413 at once; a body sent
without one (chunked) is counted as it arrives and cut off at the bound. The bound of each request
comes from a function of its method and path (see api.create_app): uploads to a job may carry up to
MAX_FILES_PER_UPLOAD files of MAX_FILE_BYTES, the task API's uploads TASK_MAX_BYTES, every other route
a JSON document of at most MAX_JSON_BODY_BYTES.

Uploads are spooled to disk (/tmp) while they are read, so the spool a gateway needs is the largest
upload times the uploads it reads at once: `UploadSlots` bounds the second (UPLOAD_SLOTS per process,
REST and gRPC together); an upload past them waits UPLOAD_SLOT_WAIT_SECONDS for a slot, then is
answered 503 with Retry-After. The Kubernetes manifests size the gateway's /tmp from these settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any

from services.common.errors import Unavailable

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

MULTIPART_OVERHEAD = 1024 * 1024


def is_job_upload(method: str, path: str) -> bool:
    return method == "POST" and path.startswith("/api/jobs/") and path.endswith("/resumes")


class UploadSlots:
    """At most `count` uploads read at once; the others wait up to `wait_seconds` for a slot."""

    def __init__(self, count: int, wait_seconds: float) -> None:
        self.count = count
        self.wait_seconds = wait_seconds
        self._free = asyncio.Semaphore(count)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        try:
            await asyncio.wait_for(self._free.acquire(), self.wait_seconds)
        except TimeoutError:
            raise Unavailable(
                "too many uploads are being received; try again shortly",
                retry_after=max(1, round(self.wait_seconds)),
                code="uploads_busy",
            ) from None
        try:
            yield
        finally:
            self._free.release()


class BodyLimit:
    def __init__(
        self,
        app: App,
        *,
        limit_for: Callable[[str, str], int],
        is_upload: Callable[[str, str], bool] = lambda method, path: False,
        slots: Callable[[], UploadSlots] | None = None,
    ) -> None:
        """limit_for(method, path) is the bound of a request's body, read when the request comes;
        requests that is_upload(method, path) names take one of slots() while they run."""
        self.app = app
        self.limit_for = limit_for
        self.is_upload = is_upload
        self.slots = slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _refuse(send, limit)
            return
        if self.slots is not None and self.is_upload(scope["method"], scope["path"]):
            try:
                async with self.slots().slot():
                    await self._bounded(scope, receive, send, limit)
            except Unavailable as busy:
                await _busy(send, busy)
            return
        await self._bounded(scope, receive, send, limit)

    async def _bounded(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        refused = False

        async def counted() -> Message:
            # Past the bound: answer 413 now and tell the application the client went away, so it stops
            # reading; whatever it answers after that is dropped.
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    await _refuse(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, counted, guarded)


async def _busy(send: Send, busy: Unavailable) -> None:
    body = json.dumps({"error": {"code": busy.code, "message": str(busy)}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(busy.retry_after).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps(
        {"error": {"code": "too_large", "message": f"the request body is larger than {limit:,} bytes"}}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
