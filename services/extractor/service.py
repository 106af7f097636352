"""The extraction service: file bytes to ParsedResume, independent of any transport."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import date

from pebble import ProcessExpired, ProcessPool

from screener.v1 import resume_pb2
from services.common.errors import BadFile, NoText, ScreeningError
from services.extractor.isolated import ReaderOptions, extract_file, init_worker, options_dict

log = logging.getLogger(__name__)


def _error_for(code: str, message: str) -> ScreeningError:
    if code == "no_text":
        return NoText(message)
    if code == "invalid_input":
        return BadFile(message)
    return BadFile(message, code=code)


class ExtractionService:
    """Extracts resumes in a pool of worker processes with a time and memory limit per file."""

    def __init__(
        self,
        options: ReaderOptions,
        *,
        workers: int = 2,
        timeout_seconds: float = 120.0,
        max_file_bytes: int = 10 * 1024 * 1024,
    ) -> None:
        self.options = options
        self.timeout_seconds = timeout_seconds
        self.max_file_bytes = max_file_bytes
        self.pool = ProcessPool(
            max_workers=max(1, workers),
            initializer=init_worker,
            initargs=(options_dict(options),),
            context=multiprocessing.get_context("spawn"),
        )

    def close(self) -> None:
        self.pool.stop()
        self.pool.join(timeout=10)

    async def extract(
        self, content: bytes, filename: str = "", *, as_of: date | None = None
    ) -> resume_pb2.ParsedResume:
        """Extract one resume; BadFile (with a specific code) or NoText for a file that cannot be read.

        as_of is the date "Present" in the resume stands for (the day it was received; today if None).
        """
        if not content:
            raise BadFile("the file is empty")
        if len(content) > self.max_file_bytes:
            raise BadFile(f"the file is larger than {self.max_file_bytes:,} bytes", code="too_large")
        future = self.pool.schedule(
            extract_file, args=(content, filename, as_of), timeout=self.timeout_seconds
        )
        try:
            status, payload, message = await asyncio.wrap_future(future)
        except FutureTimeout as exc:
            raise BadFile(f"extraction took longer than {self.timeout_seconds:g} s", code="timeout") from exc
        except ProcessExpired as exc:
            raise BadFile("the file crashed or exhausted the extractor process", code="too_large") from exc
        if status != "ok":
            raise _error_for(str(payload), message)
        assert isinstance(payload, bytes)
        return resume_pb2.ParsedResume.FromString(payload)
