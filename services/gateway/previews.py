"""A page of an uploaded file drawn as a PNG image, for showing the original inside a browser with
nothing in it that can run: PDFs and images are drawn by PyMuPDF; other types have no preview."""

from __future__ import annotations

import pymupdf

from screener.contract.files import CONTENT_TYPES
from services.common.errors import InvalidInput, NotFound

DRAWABLE = {CONTENT_TYPES["pdf"]: "pdf", CONTENT_TYPES["png"]: "png", CONTENT_TYPES["jpeg"]: "jpeg"}
MAX_PAGES = 50
# About 110 dots per inch for a PDF page: legible on a laptop, a few hundred KB per page.
ZOOM = 1.5
MAX_SIDE = 2400


def can_preview(content_type: str) -> bool:
    return content_type in DRAWABLE


def render_page(content: bytes, content_type: str, page: int) -> tuple[bytes, int]:
    """The PNG of `page` (1-based) and the number of pages the file has (at most MAX_PAGES)."""
    if content_type not in DRAWABLE:
        raise InvalidInput("this file type has no preview; download the original instead")
    with pymupdf.open(stream=content, filetype=DRAWABLE[content_type]) as document:
        pages = min(document.page_count, MAX_PAGES)
        if not 1 <= page <= pages:
            raise NotFound(f"page {page} not found; the file has {pages} page(s)")
        drawn = document[page - 1]
        longest = max(drawn.rect.width, drawn.rect.height) or 1.0
        zoom = min(ZOOM if content_type == CONTENT_TYPES["pdf"] else 1.0, MAX_SIDE / longest)
        pixmap = drawn.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False)
        return pixmap.tobytes("png"), pages
