"""The extraction pool: a file that runs too long is stopped and fails alone; the pool keeps working."""

from __future__ import annotations

import random

import pytest

from services.common.errors import BadFile
from services.demo.factory import make_person, render
from services.extractor.isolated import ReaderOptions
from services.extractor.service import ExtractionService


async def test_a_file_past_the_time_limit_fails_with_timeout_and_the_next_one_is_read() -> None:
    service = ExtractionService(ReaderOptions(ocr_threads=1), workers=1, timeout_seconds=0.5)
    try:
        rng = random.Random(6)
        scan = render(make_person(rng), "scan300", rng)[1]  # OCR takes seconds
        with pytest.raises(BadFile) as slow:
            await service.extract(scan, "scan.pdf")
        assert slow.value.code == "timeout"
        service.timeout_seconds = 60
        person = make_person(rng)
        parsed = await service.extract(render(person, "one_column", rng)[1], "ok.pdf")
        assert parsed.contact.name == person.name
        assert parsed.quality.grade == "ok"
    finally:
        service.close()


async def test_oversized_and_empty_files_are_refused_before_the_pool() -> None:
    service = ExtractionService(ReaderOptions(), workers=1, max_file_bytes=1000)
    try:
        with pytest.raises(BadFile) as large:
            await service.extract(b"%PDF-" + b"0" * 2000)
        assert large.value.code == "too_large"
        with pytest.raises(BadFile):
            await service.extract(b"")
    finally:
        service.close()
