"""Recognizing resume files by their content, shared by the gateway (upload) and the extractor."""

from __future__ import annotations

import re
import unicodedata

from services.common.errors import BadFile

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def sniff_kind(content: bytes) -> str:
    """The file kind from its bytes, never from its name: pdf, png, jpeg or docx."""
    if not content:
        raise BadFile("the file is empty")
    if b"%PDF-" in content[:1024]:
        return "pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if content.startswith(b"PK\x03\x04") and b"word/" in content[:65536]:
        return "docx"
    raise BadFile("not a PDF, PNG, JPEG or DOCX file")


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
