"""Reading a resume file into clean text, page by page, with what was hidden in it.

PDF pages are read from their text layer in layout order (services.extractor.layout); pages
without one, and large pictures without text on pages that have one, are read by Tesseract.
PNG/JPEG files are read by Tesseract, DOCX files by python-docx. Every size that a hostile file
could blow up (pages, embedded images, rendered pixels, unzipped bytes) is bounded.
"""

from __future__ import annotations

import io
import logging
import math
import os
import re
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pymupdf

from services.common.errors import BadFile, NoText
from services.common.files import MAX_DOCX_UNZIPPED_BYTES, sniff_kind
from services.common.hygiene import split_injections
from services.extractor.layout import PageLayout, analyze_page
from services.extractor.structure import collapse_letter_spacing

log = logging.getLogger(__name__)

# A page with fewer characters than this in its text layer is treated as image-only and OCRed.
MIN_TEXT_LAYER_CHARS = 40
# OCR confidence under which a page is read again from a cleaned-up (binarized) image.
RETRY_CONFIDENCE = 75.0


@dataclass(frozen=True)
class ReadLimits:
    max_pages: int = 30
    max_image_pixels: int = 60_000_000  # one embedded or uploaded image, decompressed
    max_render_pixels: int = 16_000_000  # one page rendered for OCR
    max_unzipped_bytes: int = MAX_DOCX_UNZIPPED_BYTES  # a DOCX, unzipped
    min_font_size: float = 4.0


@dataclass
class Flag:
    kind: str
    page: int
    text: str


@dataclass
class PageText:
    number: int
    text: str
    ocr: bool = False
    ocr_confidence: float = 0.0
    ocr_seconds: float = 0.0


@dataclass
class DocumentText:
    pages: list[PageText] = field(default_factory=list)
    method: str = "text"
    flags: list[Flag] = field(default_factory=list)
    columns: bool = False
    tables: int = 0
    has_photo: bool = False
    deskewed_pages: int = 0
    ocr_regions: int = 0  # pictures with text OCRed on pages that have a text layer
    duration_seconds: float = 0.0

    @property
    def text(self) -> str:
        return "\n\n".join(page.text for page in self.pages if page.text.strip())

    @property
    def ocr_pages(self) -> int:
        return sum(1 for page in self.pages if page.ocr)

    @property
    def ocr_seconds(self) -> float:
        return sum(page.ocr_seconds for page in self.pages)

    @property
    def ocr_confidence(self) -> float:
        scores = [page.ocr_confidence for page in self.pages if page.ocr and page.ocr_confidence > 0]
        return sum(scores) / len(scores) if scores else 0.0


_INVISIBLE = str.maketrans(
    {"\u00a0": " ", "\u200b": "", "\ufeff": "", "\u00ad": "", "\u2009": " ", "\ufffd": ""}
)
# A fullwidth separator (U+FF01..U+FF5E, e.g. "－" or "｜") whose UTF-8 bytes were read as Windows-1252
# and whose last byte was then lost: "ï¼" or "ï½" and at most one invisible or control character. The
# character cannot be recovered, only its role between a heading's parts ("Company Name ï¼ City").
_LOST_FULLWIDTH = re.compile("[ \\t]*ï[¼½][\\u200b\\u0080-\\u009f]?[ \\t]*")
# Icon fonts (phone, envelope glyphs) live in the private-use area.
_ICON = re.compile(r" ?[\ue000-\uf8ff]+")


def clean_text(text: str) -> str:
    """Repair what PDF text layers commonly get wrong: mojibake, icon-font glyphs, hyphenation, spacing."""
    import ftfy

    text = _LOST_FULLWIDTH.sub(" - ", text)
    text = ftfy.fix_text(text, normalization="NFKC", uncurl_quotes=True, fix_line_breaks=True)
    text = _ICON.sub("", text.translate(_INVISIBLE))
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    # Join words broken across lines with a hyphen: "develop-\nment" -> "development".
    text = re.sub(r"([a-z])-\n([a-z])", r"\1\2", text)
    lines = [collapse_letter_spacing(line) for line in text.splitlines()]
    lines = [re.sub(r"[ \t]{3,}", "  ", line).strip() for line in lines]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_OCR_EDGE_NOISE = " '\"`_~.,:;|-‘’“”"


def _tidy_ocr_line(line: str) -> str:
    """Undo common OCR noise: stray marks at line ends, spaces inside email addresses."""
    line = line.strip(_OCR_EDGE_NOISE) if len(line) > 3 else line
    if "@" not in line:
        return line
    parts = re.split(r"(\s+\|\s+|\s{2,})", line)
    return "".join(_tidy_email(part) if "@" in part else part for part in parts)


def _tidy_email(part: str) -> str:
    part = re.sub(r"\s*([.@])\s*", r"\1", part)
    return re.sub(r"(?<=\w)\s+(?=\d[\w.]*@)", "", part)  # "name7 1@x.com" -> "name71@x.com"


def estimate_skew(gray: object) -> float:
    """The angle (degrees) that makes text lines horizontal, by maximizing the row-profile variance."""
    import numpy as np
    from PIL import Image

    image: Image.Image = gray  # type: ignore[assignment]
    scale = 1000 / max(image.width, 1)
    small = (
        image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))))
        if scale < 1
        else image
    )
    dark = Image.fromarray(((np.asarray(small) < 160) * 255).astype("uint8"))

    def score(angle: float) -> float:
        rotated = np.asarray(dark.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0))
        return float(np.var(rotated.sum(axis=1)))

    best = max((a for a in range(-6, 7)), key=score)
    fine = [best + step / 5 for step in range(-5, 6)]
    return float(max(fine, key=score))


def normalize_polarity(gray: object) -> object:
    """Invert dark-background regions (white text on a coloured sidebar) so all text is dark on light."""
    import numpy as np
    from PIL import Image

    pixels = np.asarray(gray).astype(np.int16)
    tile = max(16, min(pixels.shape) // 40)
    out = pixels.copy()
    inverted = 0
    for y in range(0, pixels.shape[0], tile):
        for x in range(0, pixels.shape[1], tile):
            block = pixels[y : y + tile, x : x + tile]
            if block.size and np.median(block) < 110:
                out[y : y + tile, x : x + tile] = 255 - block
                inverted += 1
    if not inverted:
        return gray
    return Image.fromarray(out.clip(0, 255).astype("uint8"))


def binarize(gray: object) -> object:
    """Otsu threshold after a median filter: removes speckle noise and uneven grey backgrounds."""
    import numpy as np
    from PIL import Image, ImageFilter

    image: Image.Image = gray.filter(ImageFilter.MedianFilter(3))  # type: ignore[attr-defined]
    histogram = np.bincount(np.asarray(image).ravel(), minlength=256).astype(float)
    total = histogram.sum()
    levels = np.arange(256)
    weight = np.cumsum(histogram)
    mean = np.cumsum(histogram * levels)
    between = (mean[-1] * weight - mean * total) ** 2 / np.maximum(weight * (total - weight), 1e-9)
    threshold = int(np.argmax(between))
    return Image.fromarray(((np.asarray(image) > threshold) * 255).astype("uint8"))


def _available_languages(requested: str) -> str:
    """The requested Tesseract languages that are installed (English at least)."""
    try:
        import pytesseract

        installed = set(pytesseract.get_languages(config=""))
    except Exception:
        return requested
    chosen = [lang for lang in requested.split("+") if lang in installed]
    missing = [lang for lang in requested.split("+") if lang not in installed]
    if missing:
        log.warning("Tesseract languages not installed, skipped: %s", ", ".join(missing))
    return "+".join(chosen) or "eng"


class DocumentReader:
    """Reads PDFs (text layer, OCR where it is missing), images (OCR) and DOCX."""

    def __init__(
        self,
        *,
        ocr_dpi: int = 300,
        ocr_workers: int = 2,
        ocr_language: str = "eng+spa",
        limits: ReadLimits | None = None,
    ) -> None:
        # One thread per Tesseract process: pages run in parallel instead, and on a small machine its
        # OpenMP threads make each page about three times slower, not faster.
        os.environ.setdefault("OMP_THREAD_LIMIT", "1")
        self.ocr_dpi = ocr_dpi
        self.ocr_language = _available_languages(ocr_language)
        self.limits = limits or ReadLimits()
        self._pool = ThreadPoolExecutor(max_workers=max(1, ocr_workers), thread_name_prefix="ocr")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def read(self, content: bytes, filename: str = "") -> DocumentText:
        started = time.perf_counter()
        kind = sniff_kind(content, max_unzipped_bytes=self.limits.max_unzipped_bytes)
        if kind == "pdf":
            document = self._read_pdf(content)
        elif kind == "docx":
            document = self._read_docx(content)
        else:
            document = self._read_image(content)
        for page in document.pages:
            page.text, injections = split_injections(clean_text(page.text))
            document.flags.extend(Flag("prompt_injection", page.number, line) for line in injections)
        document.duration_seconds = time.perf_counter() - started
        if len(re.sub(r"\W", "", document.text)) < 20:
            raise NoText("no usable text in the file, even after OCR")
        return document

    # PDF
    def _read_pdf(self, content: bytes) -> DocumentText:
        try:
            doc = pymupdf.open(stream=content, filetype="pdf")
        except Exception as exc:
            raise BadFile(f"unreadable PDF: {exc}") from exc
        with doc:
            if doc.needs_pass:
                raise BadFile("the PDF is encrypted with a password", code="encrypted")
            if doc.page_count == 0:
                raise BadFile("the PDF has no pages")
            if doc.page_count > self.limits.max_pages:
                raise BadFile(
                    f"the PDF has {doc.page_count} pages; the limit is {self.limits.max_pages}",
                    code="too_many_pages",
                )
            document = DocumentText()
            jobs: list[tuple[int, bytes, bool]] = []  # (page index, png, whole page?)
            for index in range(doc.page_count):
                try:
                    page = doc[index]
                    self._check_images(doc, page)
                    layout = analyze_page(page, min_font_size=self.limits.min_font_size)
                except BadFile:
                    raise
                except Exception as exc:
                    raise BadFile(f"unreadable page {index + 1}: {exc}") from exc
                document.flags.extend(Flag(h.kind, index + 1, h.text) for h in layout.hidden)
                hidden_text = "\n".join(h.text for h in layout.hidden)
                document.flags.extend(
                    Flag("prompt_injection", index + 1, line) for line in split_injections(hidden_text)[1]
                )
                document.columns |= layout.columns
                document.tables += layout.tables
                text = "\n".join(block.text for block in layout.blocks)
                document.pages.append(PageText(number=index + 1, text=text))
                if index == 0:
                    document.has_photo = self._has_photo(page)
                if len(text.strip()) < MIN_TEXT_LAYER_CHARS:
                    jobs.append((index, self._render(page), True))
                else:
                    jobs.extend((index, png, False) for png in self._text_free_pictures(page, layout))
            if jobs:
                results = list(self._pool.map(lambda job: self._ocr(job[1], job[0] + 1), jobs))
                for (index, _, whole), (page_text, deskewed) in zip(jobs, results, strict=True):
                    document.deskewed_pages += deskewed
                    if whole:
                        if len(page_text.text) > len(document.pages[index].text):
                            document.pages[index] = page_text
                    elif page_text.text.strip():
                        # A picture with words in it on a page that has a text layer (a logo, a banner).
                        current = document.pages[index]
                        current.text = f"{current.text}\n{page_text.text}"
                        document.ocr_regions += 1
        ocr_count = document.ocr_pages
        if ocr_count == len(document.pages):
            document.method = "ocr"
        else:
            document.method = "mixed" if ocr_count or document.ocr_regions else "text"
        return document

    def _check_images(self, doc: pymupdf.Document, page: pymupdf.Page) -> None:
        for image in page.get_images(full=True):
            width, height = int(image[2]), int(image[3])
            if width * height > self.limits.max_image_pixels:
                raise BadFile(
                    f"an embedded image of {width}x{height} pixels is over the "
                    f"{self.limits.max_image_pixels:,} pixel limit",
                    code="too_large",
                )

    def _zoom(self, rect: pymupdf.Rect) -> float:
        zoom = self.ocr_dpi / 72.0
        pixels = rect.width * rect.height * zoom * zoom
        if pixels > self.limits.max_render_pixels:
            zoom *= math.sqrt(self.limits.max_render_pixels / pixels)
        return zoom

    def _render(self, page: pymupdf.Page, clip: pymupdf.Rect | None = None) -> bytes:
        zoom = self._zoom(clip or page.rect)
        # Rendering a low-resolution scan at 300 dpi only costs OCR time: stay near twice its own resolution.
        native = self._native_dpi(page, clip)
        if native:
            zoom = min(zoom, max(2.0 * native, 150.0) / 72.0)
        pixmap = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), clip=clip, colorspace=pymupdf.csGRAY)
        return bytes(pixmap.tobytes("png"))

    @staticmethod
    def _native_dpi(page: pymupdf.Page, clip: pymupdf.Rect | None) -> float:
        """The resolution of the largest picture in the area, 0 when there is none."""
        area = clip or page.rect
        best, best_area = 0.0, 0.0
        for info in page.get_image_info():
            rect = pymupdf.Rect(info["bbox"]) & area
            if rect.is_empty or rect.get_area() <= best_area or info.get("width", 0) <= 0:
                continue
            best_area = rect.get_area()
            best = info["width"] / max(pymupdf.Rect(info["bbox"]).width / 72.0, 1e-6)
        return best if best_area > 0.3 * area.get_area() else 0.0

    @staticmethod
    def _has_photo(page: pymupdf.Page) -> bool:
        area = page.rect.width * page.rect.height
        for info in page.get_image_info():
            rect = pymupdf.Rect(info["bbox"])
            ratio = rect.width / max(rect.height, 1)
            if (
                0.6 <= ratio <= 1.4
                and 0.004 <= rect.get_area() / area <= 0.08
                and rect.y1 < page.rect.height / 2
            ):
                return True
        return False

    def _text_free_pictures(self, page: pymupdf.Page, layout: PageLayout) -> list[bytes]:
        area = page.rect.width * page.rect.height
        pictures = []
        blocks = layout.blocks
        for info in page.get_image_info():
            rect = pymupdf.Rect(info["bbox"]) & page.rect
            if rect.is_empty or rect.get_area() < 0.04 * area or min(rect.width, rect.height) < 30:
                continue
            if any(pymupdf.Rect(b.x0, b.y0, b.x1, b.y1).intersects(rect) for b in blocks):
                continue
            pictures.append(self._render(page, clip=rect))
        return pictures[:4]

    # OCR
    def _ocr(self, image_bytes: bytes, number: int) -> tuple[PageText, bool]:
        from PIL import Image, ImageFilter, ImageOps

        started = time.perf_counter()
        Image.MAX_IMAGE_PIXELS = self.limits.max_image_pixels
        try:
            image = Image.open(io.BytesIO(image_bytes))
            image.load()
        except Image.DecompressionBombError as exc:
            raise BadFile("the image is too large to decompress safely", code="too_large") from exc
        except Exception as exc:
            raise BadFile(f"unreadable image: {exc}") from exc
        gray = ImageOps.grayscale(ImageOps.exif_transpose(image) or image)
        # Skew is measured with dark panels inverted, or a sidebar's edges would pass for text lines.
        angle = estimate_skew(normalize_polarity(gray))
        deskewed = abs(angle) >= 0.4
        if deskewed:
            gray = gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
        # A 3x3 median removes scanner speckle, which Tesseract reads as stray dots; strokes survive it.
        page = self._tesseract(gray.filter(ImageFilter.MedianFilter(3)), number)
        if page.ocr_confidence < RETRY_CONFIDENCE:
            # Light text on dark panels is the usual culprit; otherwise noise and uneven backgrounds.
            normalized = normalize_polarity(gray)
            cleaned = self._tesseract(normalized if normalized is not gray else binarize(gray), number)
            if cleaned.ocr_confidence > page.ocr_confidence:
                page = cleaned
        page.ocr_seconds = time.perf_counter() - started
        return page, deskewed

    def _tesseract(self, image: object, number: int) -> PageText:
        import pytesseract

        data = pytesseract.image_to_data(
            image, lang=self.ocr_language, config="--psm 3", output_type=pytesseract.Output.DICT
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
        text = "\n".join(_tidy_ocr_line(" ".join(words)) for _, words in sorted(lines.items()))
        confidence = sum(confidences) / len(confidences) if confidences else 0.0
        return PageText(number=number, text=text, ocr=True, ocr_confidence=round(confidence, 1))

    def _read_image(self, content: bytes) -> DocumentText:
        page, deskewed = self._ocr(content, 1)
        return DocumentText(pages=[page], method="image", deskewed_pages=int(deskewed))

    # DOCX
    def _read_docx(self, content: bytes) -> DocumentText:
        import docx
        from docx.shared import RGBColor
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        # Its unzipped size and element count were bounded when its kind was recognized (sniff_kind).
        try:
            document = docx.Document(io.BytesIO(content))
        except Exception as exc:
            raise BadFile(f"unreadable DOCX: {exc}") from exc
        result = DocumentText(method="docx")
        white = RGBColor(0xFF, 0xFF, 0xFF)

        def paragraph_text(paragraph: object) -> str:
            kept = []
            for run in paragraph.runs:  # type: ignore[attr-defined]
                font = run.font
                hidden = None
                if font.hidden:
                    hidden = "invisible_text"
                elif font.size is not None and font.size.pt < self.limits.min_font_size:
                    hidden = "tiny_text"
                elif font.color is not None and font.color.type is not None and font.color.rgb == white:
                    hidden = "invisible_color"
                if hidden and run.text.strip():
                    result.flags.append(Flag(hidden, 1, run.text.strip()))
                elif not hidden:
                    kept.append(run.text)
            return "".join(kept)

        parts: list[str] = []
        for section in document.sections:
            parts.extend(paragraph_text(p) for p in section.header.paragraphs)
        body = document.element.body
        for child in body.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                parts.append(paragraph_text(Paragraph(child, document)))
            elif tag == "tbl":
                table = Table(child, document)
                result.tables += 1
                for row in table.rows:
                    cells: list[str] = []
                    for cell in row.cells:
                        text = " ".join(paragraph_text(p) for p in cell.paragraphs).strip()
                        if text and (not cells or cells[-1] != text):  # merged cells repeat
                            cells.append(text)
                    parts.append(" | ".join(cells))
        result.pages.append(PageText(number=1, text="\n".join(parts)))
        result.has_photo = any(rel.reltype.endswith("/image") for rel in document.part.rels.values())
        return result
