"""Extraction inside a worker process of its own, so a hostile file can only cost that process.

The pool kills a process that runs past the per-file time limit, and each process runs under an
address-space limit, so a decompression bomb fails its own resume and nothing else.
"""

from __future__ import annotations

import resource
from dataclasses import asdict, dataclass, field
from datetime import date

from screener.v1 import resume_pb2
from services.common.errors import ScreeningError
from services.common.skills import SkillTaxonomy, load_taxonomy
from services.extractor.quality import grade
from services.extractor.reading import DocumentReader, ReadLimits
from services.extractor.structure import structure_resume

MAX_FLAGS = 50


@dataclass(frozen=True)
class ReaderOptions:
    ocr_dpi: int = 300
    ocr_threads: int = 2
    ocr_language: str = "eng+spa"
    memory_limit_bytes: int = 2 * 1024**3
    limits: ReadLimits = field(default_factory=ReadLimits)


_reader: DocumentReader | None = None
_taxonomy: SkillTaxonomy | None = None


def init_worker(options: dict) -> None:
    """Pool initializer: limits first, then the reader this process keeps for its lifetime."""
    global _reader, _taxonomy
    memory = int(options["memory_limit_bytes"])
    if memory > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    limits = ReadLimits(**options["limits"])
    _reader = DocumentReader(
        ocr_dpi=options["ocr_dpi"],
        ocr_workers=options["ocr_threads"],
        ocr_language=options["ocr_language"],
        limits=limits,
    )
    _taxonomy = load_taxonomy()


def options_dict(options: ReaderOptions) -> dict:
    return asdict(options)


def parse_document(
    reader: DocumentReader,
    taxonomy: SkillTaxonomy,
    content: bytes,
    filename: str = "",
    *,
    as_of: date | None = None,
) -> resume_pb2.ParsedResume:
    """File bytes to a graded ParsedResume (raises ScreeningError for files that cannot be screened).

    as_of is the date "Present" in the resume stands for: the day it was received; today when not given.
    """
    document = reader.read(content, filename)
    parsed = structure_resume(document.text, taxonomy, as_of or date.today())
    parsed.stats.CopyFrom(
        resume_pb2.ExtractionStats(
            page_count=len(document.pages),
            ocr_pages=document.ocr_pages,
            text_chars=len(document.text),
            ocr_confidence=document.ocr_confidence,
            method=document.method,
            duration_seconds=document.duration_seconds,
            ocr_seconds=document.ocr_seconds,
            columns_detected=document.columns,
            tables=document.tables,
            deskewed_pages=document.deskewed_pages,
            has_photo=document.has_photo,
        )
    )
    for flag in document.flags[:MAX_FLAGS]:
        parsed.flags.add(kind=flag.kind, page=flag.page, text=flag.text[:300])
    parsed.quality.CopyFrom(grade(parsed))
    return parsed


def extract_file(content: bytes, filename: str, as_of: date | None) -> tuple[str, bytes | str, str]:
    """Runs in a pool process: ("ok", serialized ParsedResume, "") or ("error", code, message)."""
    assert _reader is not None and _taxonomy is not None, "init_worker was not run"
    try:
        parsed = parse_document(_reader, _taxonomy, content, filename, as_of=as_of)
    except ScreeningError as exc:
        return "error", exc.code, exc.message
    except MemoryError:
        return "error", "too_large", "the file needs more memory than the extractor allows"
    return "ok", parsed.SerializeToString(), ""
