"""Reading a resume file into clean text: PyMuPDF for text layers, Tesseract for pages without one."""

from __future__ import annotations

import io
import logging
import re
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pymupdf

from services.common.errors import BadFile, NoText
from services.common.files import sniff_kind

log = logging.getLogger(__name__)

# A page with fewer characters than this in its text layer is treated as image-only and OCRed.
MIN_TEXT_LAYER_CHARS = 40


@dataclass
class PageText:
    number: int
    text: str
    ocr: bool = False
    ocr_confidence: float = 0.0


@dataclass
class DocumentText:
    pages: list[PageText] = field(default_factory=list)
    method: str = "text"
    duration_seconds: float = 0.0

    @property
    def text(self) -> str:
        return "\n\n".join(page.text for page in self.pages if page.text.strip())

    @property
    def ocr_pages(self) -> int:
        return sum(1 for page in self.pages if page.ocr)

    @property
    def ocr_confidence(self) -> float:
        scores = [page.ocr_confidence for page in self.pages if page.ocr and page.ocr_confidence > 0]
        return sum(scores) / len(scores) if scores else 0.0


_MOJIBAKE = str.maketrans({"Â": "", "\u00a0": " ", "\u200b": "", "\ufeff": "", "\u00ad": ""})


def clean_text(text: str) -> str:
    """Repair what PDF text layers commonly get wrong: mojibake, icon-font glyphs, hyphenation."""
    text = text.translate(_MOJIBAKE)
    text = unicodedata.normalize("NFKC", text)
    # Private-use code points are icon fonts (phone, envelope glyphs): drop them.
    text = "".join(ch for ch in text if not (0xE000 <= ord(ch) <= 0xF8FF))
    # Join words broken across lines with a hyphen: "develop-\nment" -> "development".
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return "\n".join(line.strip() for line in text.splitlines()).strip()


class DocumentReader:
    """Reads PDFs (text layer, OCR where it is missing), images (OCR) and DOCX."""

    def __init__(self, *, ocr_dpi: int = 300, ocr_workers: int = 2, ocr_language: str = "eng") -> None:
        self.ocr_dpi = ocr_dpi
        self.ocr_language = ocr_language
        self._pool = ThreadPoolExecutor(max_workers=max(1, ocr_workers), thread_name_prefix="ocr")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def read(self, content: bytes, filename: str = "") -> DocumentText:
        if not content:
            raise BadFile("the file is empty")
        started = time.perf_counter()
        kind = sniff_kind(content)
        if kind == "pdf":
            document = self._read_pdf(content)
        elif kind == "docx":
            document = self._read_docx(content)
        else:
            page = self._ocr_image_bytes(content, 1)
            document = DocumentText(pages=[page], method="image")
        document.duration_seconds = time.perf_counter() - started
        if len(re.sub(r"\W", "", document.text)) < 20:
            raise NoText("no usable text in the file, even after OCR")
        return document

    def _read_pdf(self, content: bytes) -> DocumentText:
        try:
            doc = pymupdf.open(stream=content, filetype="pdf")
        except Exception as exc:
            raise BadFile(f"unreadable PDF: {exc}") from exc
        with doc:
            if doc.needs_pass:
                raise BadFile("the PDF is encrypted with a password")
            if doc.page_count == 0:
                raise BadFile("the PDF has no pages")
            pages: list[PageText] = []
            needs_ocr: list[int] = []
            for index in range(doc.page_count):
                try:
                    text = self._page_text(doc[index])
                except Exception as exc:
                    raise BadFile(f"unreadable page {index + 1}: {exc}") from exc
                pages.append(PageText(number=index + 1, text=text))
                if len(text.strip()) < MIN_TEXT_LAYER_CHARS:
                    needs_ocr.append(index)
            if needs_ocr:
                images = {
                    index: doc[index].get_pixmap(dpi=self.ocr_dpi).tobytes("png") for index in needs_ocr
                }
                results = self._pool.map(
                    lambda item: self._ocr_image_bytes(item[1], item[0] + 1), images.items()
                )
                for index, page in zip(needs_ocr, results, strict=True):
                    if len(page.text) > len(pages[index].text):
                        pages[index] = page
        ocr_count = sum(1 for page in pages if page.ocr)
        method = "text" if ocr_count == 0 else ("ocr" if ocr_count == len(pages) else "mixed")
        return DocumentText(pages=pages, method=method)

    @staticmethod
    def _page_text(page: pymupdf.Page) -> str:
        # Blocks in reading order (top-to-bottom, then left-to-right); images are skipped.
        blocks = page.get_text("blocks", sort=True)
        parts = [block[4] for block in blocks if block[6] == 0 and block[4].strip()]
        return clean_text("\n".join(parts))

    def _ocr_image_bytes(self, image_bytes: bytes, number: int) -> PageText:
        import pytesseract
        from PIL import Image, ImageOps

        try:
            image = Image.open(io.BytesIO(image_bytes))
            image.load()
        except Exception as exc:
            raise BadFile(f"unreadable image: {exc}") from exc
        gray = ImageOps.grayscale(image)
        data = pytesseract.image_to_data(
            gray, lang=self.ocr_language, config="--psm 3", output_type=pytesseract.Output.DICT
        )
        lines: dict[tuple[int, int, int], list[str]] = {}
        confidences: list[float] = []
        for i, word in enumerate(data["text"]):
            if not word.strip():
                continue
            key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
            lines.setdefault(key, []).append(word)
            conf = float(data["conf"][i])
            if conf >= 0:
                confidences.append(conf)
        text = "\n".join(" ".join(words) for _, words in sorted(lines.items()))
        confidence = sum(confidences) / len(confidences) if confidences else 0.0
        return PageText(number=number, text=clean_text(text), ocr=True, ocr_confidence=confidence)

    @staticmethod
    def _read_docx(content: bytes) -> DocumentText:
        import docx

        try:
            document = docx.Document(io.BytesIO(content))
        except Exception as exc:
            raise BadFile(f"unreadable DOCX: {exc}") from exc
        parts = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                parts.append(" | ".join(cell.text.strip() for cell in row.cells))
        return DocumentText(pages=[PageText(number=1, text=clean_text("\n".join(parts)))], method="docx")
