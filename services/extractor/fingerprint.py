"""What an extraction result depends on, as one short string: the code and data that produce it.

Anything that keeps parses across runs (an evaluation's cache, say) keys them by this, so a change to
the extractor, the skill taxonomy or the PDF library is never answered with parses the old code made.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from functools import cache
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[1]
# The extractor's own modules and the shared modules and data they read.
SOURCES = (
    "extractor/*.py",
    "common/skills.py",
    "common/patterns.py",
    "common/hygiene.py",
    "common/protected.py",
    "common/files.py",
    "common/data/*",
)
LIBRARIES = ("pymupdf", "python-docx", "phonenumbers", "pytesseract")


def fingerprint(root: Path = SERVICES, sources: tuple[str, ...] = SOURCES) -> str:
    """A digest of every source file (path and bytes) and of the reading libraries' versions."""
    digest = hashlib.sha256()
    for pattern in sources:
        for path in sorted(root.glob(pattern)):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    for library in LIBRARIES:
        try:
            version = importlib.metadata.version(library)
        except importlib.metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{library}={version}\0".encode())
    digest.update(f"tesseract={_tesseract_version()}".encode())
    return digest.hexdigest()[:16]


def _tesseract_version() -> str:
    import pytesseract

    try:
        return str(pytesseract.get_tesseract_version())
    except (pytesseract.TesseractNotFoundError, OSError):
        return "-"


@cache
def extractor_version() -> str:
    """This installation's extractor fingerprint (computed once per process)."""
    return fingerprint()
