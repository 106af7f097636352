"""One exception type per error code the gateway answers with.

Every error body is `{"error": {"code", "message", "details"}}`; the code picks the class, so callers
catch what they can handle (`except QueueFull`) or everything (`except ScreenerError`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx


class ScreenerError(Exception):
    """An error answer from the gateway, or no answer at all."""

    code: ClassVar[str] = "error"

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: str | None = None,
        details: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.details = details
        self.retry_after = retry_after
        if code:
            self.code = code  # type: ignore[misc]

    def __str__(self) -> str:
        return f"{self.message} ({self.code}{f', HTTP {self.status}' if self.status else ''})"


class Unreachable(ScreenerError):
    """The gateway could not be reached (not running, wrong URL, network down)."""

    code = "unreachable"


class BadRequest(ScreenerError):
    code = "http_error"


class InvalidInput(ScreenerError):
    code = "invalid_input"


class BadFile(InvalidInput):
    """A file was refused: not a resume format, empty, too large, encrypted, unreadable."""

    code = "bad_file"


class Unauthorized(ScreenerError):
    """Missing, invalid or expired credentials (a refresh was tried first when possible)."""

    code = "unauthorized"


class TokenReused(Unauthorized):
    """A refresh token was used twice; its whole family is revoked: log in again."""

    code = "token_reused"


class Forbidden(ScreenerError):
    code = "forbidden"


class EmailNotVerified(Forbidden):
    code = "email_not_verified"


class NotFound(ScreenerError):
    code = "not_found"


class Conflict(ScreenerError):
    code = "conflict"


class BudgetExceeded(ScreenerError):
    code = "budget_exceeded"


class RateLimited(ScreenerError):
    code = "rate_limited"


class Unavailable(ScreenerError):
    code = "unavailable"


class QueueFull(Unavailable):
    """The work queue is at its bound; nothing was queued. Retry after `retry_after` seconds."""

    code = "queue_full"


class ServerError(ScreenerError):
    code = "internal"


class WaitTimeout(ScreenerError):
    """wait_for_batch gave up before the batch finished (the batch goes on)."""

    code = "timeout"


ERRORS: dict[str, type[ScreenerError]] = {
    cls.code: cls
    for cls in (
        BadRequest,
        InvalidInput,
        BadFile,
        Unauthorized,
        TokenReused,
        Forbidden,
        EmailNotVerified,
        NotFound,
        Conflict,
        BudgetExceeded,
        RateLimited,
        Unavailable,
        QueueFull,
        ServerError,
    )
}
BY_STATUS: dict[int, type[ScreenerError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: InvalidInput,
    429: RateLimited,
    503: Unavailable,
}


def error_from(response: httpx.Response) -> ScreenerError:
    """The exception for an error answer: by its code, else by its HTTP status."""
    code, message, details = "", response.reason_phrase or f"HTTP {response.status_code}", None
    try:
        body = response.json()
        error = body.get("error", {}) if isinstance(body, dict) else {}
        code = str(error.get("code") or "")
        message = str(error.get("message") or message)
        details = error.get("details")
    except ValueError:
        pass
    retry_after = None
    if response.headers.get("Retry-After", "").isdigit():
        retry_after = float(response.headers["Retry-After"])
    cls = (
        ERRORS.get(code)
        or BY_STATUS.get(response.status_code)
        or (ServerError if response.status_code >= 500 else ScreenerError)
    )
    return cls(
        message, status=response.status_code, code=code or None, details=details, retry_after=retry_after
    )
