"""The files a resume may come in."""

from __future__ import annotations

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
# The one list of files a resume may come in, by the names people give them: the gateway accepts these
# kinds (recognized from content, never from the name), the SDK and the CLI pick files by these suffixes.
SUFFIXES = {"pdf": (".pdf",), "docx": (".docx",), "png": (".png",), "jpeg": (".jpg", ".jpeg")}
ACCEPTED_SUFFIXES = tuple(suffix for kind in CONTENT_TYPES for suffix in SUFFIXES[kind])
