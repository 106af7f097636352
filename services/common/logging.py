"""Process-wide logging set-up: plain lines for people, JSON lines for log collectors."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

# Ids that follow the work across services (request_id, resume_id, trace_id), added to every JSON line.
_CONTEXT: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("log_context", default=None)


def bind_log_context(**values: str) -> contextvars.Token[dict[str, str] | None]:
    """Add ids to the log context of the current task; undo with reset_log_context(token)."""
    return _CONTEXT.set({**log_context(), **{k: v for k, v in values.items() if v}})


def reset_log_context(token: contextvars.Token[dict[str, str] | None]) -> None:
    _CONTEXT.reset(token)


def log_context() -> dict[str, str]:
    return dict(_CONTEXT.get() or {})


class _JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
            **log_context(),
        }
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload)


def configure_logging(service: str, level: str = "INFO", json_lines: bool = False) -> None:
    """Send every log record to stderr, tagged with the service name."""
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(_JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter(f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("nats", "httpx", "sentence_transformers", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
