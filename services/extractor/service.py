"""The extraction service: file bytes to ParsedResume, independent of any transport."""

from __future__ import annotations

import asyncio
import logging

from screener.v1 import resume_pb2
from services.common.errors import BadFile
from services.common.skills import SkillTaxonomy
from services.extractor.reading import DocumentReader
from services.extractor.structure import structure_resume

log = logging.getLogger(__name__)


class ExtractionService:
    """Reads a resume file and structures it. CPU-bound work runs off the event loop."""

    def __init__(self, reader: DocumentReader, taxonomy: SkillTaxonomy, max_file_bytes: int) -> None:
        self.reader = reader
        self.taxonomy = taxonomy
        self.max_file_bytes = max_file_bytes

    async def extract(self, content: bytes, filename: str = "") -> resume_pb2.ParsedResume:
        """Extract one resume; raises BadFile or NoText for files that cannot be screened."""
        if len(content) > self.max_file_bytes:
            raise BadFile(f"file is larger than {self.max_file_bytes} bytes")
        return await asyncio.to_thread(self._extract_sync, content, filename)

    def _extract_sync(self, content: bytes, filename: str) -> resume_pb2.ParsedResume:
        document = self.reader.read(content, filename)
        parsed = structure_resume(document.text, self.taxonomy)
        parsed.stats.CopyFrom(
            resume_pb2.ExtractionStats(
                page_count=len(document.pages),
                ocr_pages=document.ocr_pages,
                text_chars=len(document.text),
                ocr_confidence=document.ocr_confidence,
                method=document.method,
                duration_seconds=document.duration_seconds,
            )
        )
        return parsed
