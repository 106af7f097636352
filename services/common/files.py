"""Recognizing resume files by their content, shared by the gateway (upload) and the extractor."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile

from screener.contract.files import ACCEPTED_SUFFIXES, CONTENT_TYPES, SUFFIXES
from services.common.errors import BadFile

__all__ = ["ACCEPTED_SUFFIXES", "CONTENT_TYPES", "SUFFIXES", "sniff_kind"]

# A resume's DOCX unzips to a few megabytes at most (its images included) and its main document has
# some thousands of XML elements; far past these, a file is a decompression bomb.
MAX_DOCX_UNZIPPED_BYTES = 25 * 1024 * 1024
MAX_DOCX_XML_ELEMENTS = 250_000
# PDF readers accept a header anywhere in the first 1,024 bytes (some files carry a little junk).
PDF_HEADER_WINDOW = 1024
_PDF_OBJECT = re.compile(rb"\d+\s+\d+\s+obj\b")
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_DOCX_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


def sniff_kind(content: bytes, *, max_unzipped_bytes: int = MAX_DOCX_UNZIPPED_BYTES) -> str:
    """The file kind from its structure, never from its name: pdf, png, jpeg or docx.

    A zip archive is a DOCX only when its content types declare a Word document (and it stays within
    the unzipped size and element bounds); any other archive is refused, never read as the PDF it may
    hold. A PDF has its header at the start or after a little non-markup junk, and has objects.
    """
    if not content:
        raise BadFile("the file is empty")
    if content.startswith(_ZIP_SIGNATURES):
        return _zip_kind(content, max_unzipped_bytes)
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    header = content.find(b"%PDF-", 0, PDF_HEADER_WINDOW)
    if header >= 0:
        junk = content[:header]
        if b"<" in junk or any(signature in junk for signature in _ZIP_SIGNATURES):
            raise BadFile("not a PDF: markup or an archive comes before the PDF header")
        if not _PDF_OBJECT.search(content, header):
            raise BadFile("not a PDF: it has a PDF header but no PDF objects")
        return "pdf"
    raise BadFile("not a PDF, PNG, JPEG or DOCX file")


def _zip_kind(content: bytes, max_unzipped_bytes: int) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            types = archive.read("[Content_Types].xml")[:65536] if "[Content_Types].xml" in names else b""
            if _DOCX_MAIN not in types or "word/document.xml" not in names:
                raise BadFile(
                    "a zip archive is not a resume file: upload the resumes inside it one by one",
                    code="unsupported_archive",
                )
            unzipped = sum(info.file_size for info in archive.infolist())
            if unzipped > max_unzipped_bytes:
                raise BadFile(
                    f"the DOCX unzips to {unzipped:,} bytes; the limit is {max_unzipped_bytes:,}",
                    code="too_large",
                )
            elements = 0
            with archive.open("word/document.xml") as document:
                while chunk := document.read(1024 * 1024):
                    elements += chunk.count(b"<") - chunk.count(b"</")
                    if elements > MAX_DOCX_XML_ELEMENTS:
                        raise BadFile(
                            f"the DOCX has more than {MAX_DOCX_XML_ELEMENTS:,} XML elements",
                            code="too_large",
                        )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, EOFError) as exc:
        raise BadFile(f"unreadable DOCX or zip file: {exc}") from exc
    return "docx"


def safe_filename(name: str, fallback: str = "resume") -> str:
    """A client's file name made safe to store and show: its last path component, with control, format
    and unassigned characters dropped, odd spaces made plain, no leading dots, at most 200 characters."""
    last = re.split(r"[/\\]", name or "")[-1]
    cleaned = "".join(
        ch if ch.isprintable() else " " if unicodedata.category(ch) in ("Zs", "Zl", "Zp") else ""
        for ch in last
    )
    cleaned = cleaned.strip().lstrip(".").strip()
    return cleaned[:200] or fallback
