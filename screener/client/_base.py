"""What the sync and async clients share: the calls, decoding, credentials and the SSE reader."""

from __future__ import annotations

import json
import mimetypes
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel

from screener.client.errors import BadFile, error_from
from screener.contract import schemas
from screener.contract.files import ACCEPTED_SUFFIXES

T = TypeVar("T")
DEFAULT_URL = "http://127.0.0.1:8080"
# The gateway's own list (services.common.files): a file the gateway would refuse is never picked.
RESUME_SUFFIXES = set(ACCEPTED_SUFFIXES)
# Refresh this long before the access token runs out, so a call never starts with a dying token.
REFRESH_MARGIN_SECONDS = 30.0


@dataclass(frozen=True)
class Call(Generic[T]):
    """One REST call: where it goes, what it sends and the schema of its answer (None: no body)."""

    method: str
    path: str
    model: type[T] | None = None
    params: dict[str, Any] | None = None
    body: Any = None
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None
    authenticated: bool = True

    def request_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        if self.params:
            kwargs["params"] = {k: v for k, v in self.params.items() if v is not None}
        if self.body is not None:
            kwargs["json"] = (
                self.body.model_dump(mode="json", exclude_unset=True)
                if isinstance(self.body, BaseModel)
                else self.body
            )
        if self.files is not None:
            kwargs["files"] = self.files
        return kwargs


def decode(response: httpx.Response, call: Call[T]) -> T:
    if response.status_code >= 400:
        raise error_from(response)
    if call.model is None:
        return None  # type: ignore[return-value]
    if call.model is str:
        return response.text  # type: ignore[return-value]
    model: Any = call.model
    return model.model_validate_json(response.content)  # type: ignore[no-any-return]


@dataclass
class Credentials:
    """An API key, or access and refresh tokens with when the access token expires."""

    api_key: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    expires_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def headers(self) -> dict[str, str]:
        if self.api_key:
            return {"X-API-Key": self.api_key}
        if self.access_token:
            return {"Authorization": f"Bearer {self.access_token}"}
        return {}

    def stale(self) -> bool:
        """An access token that is about to expire and can be refreshed."""
        return bool(
            self.refresh_token and self.expires_at and time.time() > self.expires_at - REFRESH_MARGIN_SECONDS
        )

    def take(self, tokens: schemas.TokenResponse) -> None:
        self.access_token, self.refresh_token = tokens.access_token, tokens.refresh_token
        self.expires_at = time.time() + tokens.expires_in


TokenCallback = Callable[[Credentials], None]


# The calls. Request and response bodies are the gateway's own schemas.
def signup(email: str, password: str, name: str) -> Call[schemas.SignupResponse]:
    body = schemas.SignupRequest(email=email, password=password, name=name)
    return Call("POST", "/api/auth/signup", schemas.SignupResponse, body=body, authenticated=False)


def verify(email: str, code: str) -> Call[schemas.TokenResponse]:
    body = schemas.VerifyRequest(email=email, code=code)
    return Call("POST", "/api/auth/verify", schemas.TokenResponse, body=body, authenticated=False)


def login(email: str, password: str) -> Call[schemas.TokenResponse]:
    body = schemas.LoginRequest(email=email, password=password)
    return Call("POST", "/api/auth/login", schemas.TokenResponse, body=body, authenticated=False)


def refresh(refresh_token: str) -> Call[schemas.TokenResponse]:
    body = schemas.RefreshRequest(refresh_token=refresh_token)
    return Call("POST", "/api/auth/refresh", schemas.TokenResponse, body=body, authenticated=False)


def logout(refresh_token: str) -> Call[None]:
    return Call("POST", "/api/auth/logout", None, body=schemas.RefreshRequest(refresh_token=refresh_token))


def create_job(job: schemas.JobCreate | dict[str, Any]) -> Call[schemas.JobOut]:
    body = job if isinstance(job, schemas.JobCreate) else schemas.JobCreate.model_validate(job)
    return Call("POST", "/api/jobs", schemas.JobOut, body=body)


def preview_job(job: schemas.JobCreate | dict[str, Any]) -> Call[schemas.JobPreview]:
    body = job if isinstance(job, schemas.JobCreate) else schemas.JobCreate.model_validate(job)
    return Call("POST", "/api/jobs/preview", schemas.JobPreview, body=body)


def lookup_resumes(prefix: str) -> Call[schemas.IdMatches]:
    return Call("GET", "/api/resumes/lookup", schemas.IdMatches, params={"prefix": prefix})


def update_job(job_id: uuid.UUID | str, changes: schemas.JobUpdate | dict[str, Any]) -> Call[schemas.JobOut]:
    body = changes if isinstance(changes, schemas.JobUpdate) else schemas.JobUpdate.model_validate(changes)
    return Call("PATCH", f"/api/jobs/{job_id}", schemas.JobOut, body=body)


def get_job(job_id: uuid.UUID | str) -> Call[schemas.JobOut]:
    return Call("GET", f"/api/jobs/{job_id}", schemas.JobOut)


def list_jobs() -> Call[schemas.JobList]:
    return Call("GET", "/api/jobs", schemas.JobList)


def delete_job(job_id: uuid.UUID | str) -> Call[None]:
    return Call("DELETE", f"/api/jobs/{job_id}")


def upload(job_id: uuid.UUID | str, files: list[tuple[str, bytes]]) -> Call[schemas.UploadResponse]:
    parts = [("files", (name, content, content_type(name))) for name, content in files]
    return Call("POST", f"/api/jobs/{job_id}/resumes", schemas.UploadResponse, files=parts)


def start_batch(job_id: uuid.UUID | str, resume_ids: list[uuid.UUID] | None = None) -> Call[schemas.BatchOut]:
    body = schemas.BatchCreate(job_id=uuid.UUID(str(job_id)), resume_ids=resume_ids)
    return Call("POST", "/api/batches", schemas.BatchOut, body=body)


def get_batch(batch_id: uuid.UUID | str) -> Call[schemas.BatchOut]:
    return Call("GET", f"/api/batches/{batch_id}", schemas.BatchOut)


def list_resumes(
    job_id: uuid.UUID | str, page: int, page_size: int, **filters: Any
) -> Call[schemas.ResumePage]:
    params = {"page": page, "page_size": page_size, **filters}
    return Call("GET", f"/api/jobs/{job_id}/resumes", schemas.ResumePage, params=params)


def get_resume(resume_id: uuid.UUID | str, reveal: bool = False) -> Call[schemas.ResumeDetail]:
    params = {"reveal": "true"} if reveal else None
    return Call("GET", f"/api/resumes/{resume_id}", schemas.ResumeDetail, params=params)


def delete_resume(resume_id: uuid.UUID | str) -> Call[None]:
    return Call("DELETE", f"/api/resumes/{resume_id}")


def request_analysis(resume_id: uuid.UUID | str) -> Call[schemas.AnalysisAccepted]:
    return Call("POST", f"/api/resumes/{resume_id}/analysis", schemas.AnalysisAccepted)


def decide(resume_id: uuid.UUID | str, decision: str, note: str) -> Call[schemas.DecisionOut]:
    body = schemas.DecisionCreate(decision=decision, note=note)  # type: ignore[arg-type]  # validated here
    return Call("POST", f"/api/resumes/{resume_id}/decision", schemas.DecisionOut, body=body)


def decisions(resume_id: uuid.UUID | str) -> Call[schemas.DecisionHistory]:
    return Call("GET", f"/api/resumes/{resume_id}/decisions", schemas.DecisionHistory)


def audit_page(
    page: int = 1,
    page_size: int = 1000,
    action: str | None = None,
    object_id: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> Call[schemas.AuditPage]:
    params = {"page": page, "page_size": page_size, "action": action, "object_id": object_id}
    return Call("GET", "/api/audit", schemas.AuditPage, params={**params, "since": since, "until": until})


def export(job_id: uuid.UUID | str, format: str) -> Call[str]:
    return Call("GET", f"/api/jobs/{job_id}/export", str, params={"format": format})


def create_api_key(name: str) -> Call[schemas.ApiKeyCreated]:
    return Call("POST", "/api/keys", schemas.ApiKeyCreated, body=schemas.ApiKeyCreate(name=name))


def list_api_keys() -> Call[schemas.ApiKeyList]:
    return Call("GET", "/api/keys", schemas.ApiKeyList)


def revoke_api_key(key_id: uuid.UUID | str) -> Call[None]:
    return Call("DELETE", f"/api/keys/{key_id}")


def refused_items(error: BadFile) -> list[schemas.UploadItemOut]:
    """An upload request whose every file was refused answers 422 with each file's reason: the same
    items a partly accepted request returns, so one request's refusals do not stop the others."""
    if not isinstance(error.details, list):
        raise error
    return [
        schemas.UploadItemOut(
            filename=str(d.get("filename", "")),
            error={"code": str(d.get("code", error.code)), "message": str(d.get("message", ""))},
        )
        for d in error.details
        if isinstance(d, dict)
    ]


def content_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def resume_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files, and the resume files inside folders (recursively, in name order)."""
    found: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in RESUME_SUFFIXES)
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
    return found


def chunks(paths: list[Path], per_request: int, max_bytes: int) -> list[list[Path]]:
    """Upload requests: at most `per_request` files and about `max_bytes` each."""
    out: list[list[Path]] = []
    current: list[Path] = []
    size = 0
    for path in paths:
        length = path.stat().st_size
        if current and (len(current) >= per_request or size + length > max_bytes):
            out.append(current)
            current, size = [], 0
        current.append(path)
        size += length
    if current:
        out.append(current)
    return out


class SseReader:
    """Server-Sent Events from lines: yields (event, data) for each complete event."""

    def __init__(self) -> None:
        self.event = "message"
        self.data: list[str] = []

    def feed(self, line: str) -> Iterator[tuple[str, str]]:
        if line == "":
            if self.data:
                yield self.event, "\n".join(self.data)
            self.event, self.data = "message", []
        elif line.startswith(":"):
            return
        else:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "event":
                self.event = value
            elif name == "data":
                self.data.append(value)


def batch_from_event(data: str) -> schemas.BatchOut:
    return schemas.BatchOut.model_validate(json.loads(data))
