"""Page layout: text blocks with geometry, hidden-text detection, tables, and reading order.

Reading order uses a recursive XY-cut: a group of blocks is split at a vertical gutter that runs its
whole height (columns, sidebars), otherwise at the first horizontal gap (header above body, one
entry after another). A narrow column of dates beside the entries (a common CV style) is not a
column of its own: its blocks are read line by line with the entries they sit beside.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

import pymupdf

# A date or date range on its own, as found in a margin column.
_DATE_ONLY = re.compile(
    r"^[\s(]*((jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|ene|abr|ago|dic)[a-z]*\.?\s*)?"
    r"(\d{1,2}/)?(\d{4}|present|current|now|actualidad|presente)"
    r"(\s*[-–—to]+\s*((jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|ene|abr|ago|dic)[a-z]*\.?\s*)?"
    r"(\d{1,2}/)?(\d{4}|present|current|now|actualidad|presente))?[\s)]*$",
    re.I,
)


@dataclass
class Line:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class Block:
    lines: list[Line]
    x0: float
    y0: float
    x1: float
    y1: float
    kind: str = "text"  # text, table, ocr

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass
class HiddenSpan:
    kind: str  # invisible_color, tiny_text, outside_page, invisible_text
    text: str


@dataclass
class PageLayout:
    blocks: list[Block] = field(default_factory=list)
    hidden: list[HiddenSpan] = field(default_factory=list)
    columns: bool = False
    tables: int = 0
    image_area_ratio: float = 0.0


def _rgb(color: int) -> tuple[float, float, float]:
    return ((color >> 16) & 255) / 255.0, ((color >> 8) & 255) / 255.0, (color & 255) / 255.0


def _contains(outer: pymupdf.Rect, x: float, y: float) -> bool:
    return outer.x0 <= x <= outer.x1 and outer.y0 <= y <= outer.y1


class _Backgrounds:
    """Filled rectangles in paint order, to tell which colour lies behind a piece of text."""

    def __init__(self, page: pymupdf.Page) -> None:
        self.fills: list[tuple[pymupdf.Rect, tuple[float, float, float]]] = []
        try:
            drawings = page.get_drawings()
        except Exception:
            drawings = []
        for drawing in drawings:
            fill = drawing.get("fill")
            if fill is None or drawing.get("fill_opacity", 1.0) < 0.5:
                continue
            rect = drawing.get("rect")
            if rect is not None and rect.width > 2 and rect.height > 2:
                self.fills.append((pymupdf.Rect(rect), tuple(fill[:3])))  # type: ignore[arg-type]
        self.line_count = sum(
            1 for d in drawings for item in d.get("items", ()) if item and item[0] in ("l", "re")
        )

    def behind(self, x: float, y: float) -> tuple[float, float, float]:
        for rect, fill in reversed(self.fills):
            if _contains(rect, x, y):
                return fill
        return (1.0, 1.0, 1.0)


def _same_row(a: Line, b: Line) -> bool:
    overlap = min(a.y1, b.y1) - max(a.y0, b.y0)
    return overlap > 0.5 * min(a.y1 - a.y0, b.y1 - b.y0)


def _merge_rows(lines: list[Line]) -> list[Line]:
    """Join lines that share a baseline (a title and its dates at the right margin), left to right."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: ((ln.y0 + ln.y1) / 2, ln.x0)):
        if rows and any(_same_row(member, line) for member in rows[-1]):
            rows[-1].append(line)
        else:
            rows.append([line])
    merged: list[Line] = []
    for row in rows:
        row.sort(key=lambda ln: ln.x0)
        text = row[0].text
        for previous, line in itertools.pairwise(row):
            text += (" " if line.x0 - previous.x1 < 6 else "  ") + line.text
        merged.append(
            Line(
                text,
                min(ln.x0 for ln in row),
                min(ln.y0 for ln in row),
                max(ln.x1 for ln in row),
                max(ln.y1 for ln in row),
            )
        )
    return merged


def analyze_page(page: pymupdf.Page, *, min_font_size: float = 4.0) -> PageLayout:
    """Visible text blocks with their geometry, and the text that a reader would not see."""
    layout = PageLayout()
    page_rect = page.rect
    seen = _Visibility(page, min_font_size)
    page_area = max(1.0, page_rect.width * page_rect.height)
    layout.image_area_ratio = min(1.0, sum((r & page_rect).get_area() for r in seen.images) / page_area)
    data = page.get_text("dict", flags=pymupdf.TEXT_PRESERVE_WHITESPACE, clip=pymupdf.INFINITE_RECT())
    for raw_block in data.get("blocks", []):
        if raw_block.get("type") != 0:
            continue
        lines = [line for raw in raw_block.get("lines", []) if (line := _visible_line(raw, seen, layout))]
        if lines:
            rows = _merge_rows(lines)
            layout.blocks.append(
                Block(
                    rows,
                    min(r.x0 for r in rows),
                    min(r.y0 for r in rows),
                    max(r.x1 for r in rows),
                    max(r.y1 for r in rows),
                )
            )
    if seen.backgrounds.line_count >= 6:
        _replace_tables(page, layout)
    layout.blocks, layout.columns = order_blocks(layout.blocks)
    return layout


class _Visibility:
    """What decides whether a span is seen: the page, its pictures, invisible text runs and backgrounds."""

    def __init__(self, page: pymupdf.Page, min_font_size: float) -> None:
        self.page_rect = page.rect
        self.min_font_size = min_font_size
        self.backgrounds = _Backgrounds(page)
        self.invisible: list[pymupdf.Rect] = []
        try:
            for trace in page.get_texttrace():
                if trace.get("type") == 3 or trace.get("opacity", 1.0) == 0:
                    self.invisible.append(pymupdf.Rect(trace["bbox"]))
        except Exception:
            pass
        self.images: list[pymupdf.Rect] = []
        try:
            for info in page.get_image_info():
                self.images.append(pymupdf.Rect(info["bbox"]))
        except Exception:
            pass

    def hidden_kind(self, span: dict[str, Any], rect: pymupdf.Rect) -> str | None:
        """Why a reader would not see the span, or None when it is seen."""
        cx, cy = (rect.x0 + rect.x1) / 2, (rect.y0 + rect.y1) / 2
        if not rect.intersects(self.page_rect) or not _contains(self.page_rect, cx, cy):
            return "outside_page"
        if span.get("size", 10) < self.min_font_size:
            return "tiny_text"
        if span.get("alpha", 255) == 0 or any(_contains(r, cx, cy) for r in self.invisible):
            # Invisible text over a picture is a scan's OCR layer, not a trick.
            return None if any(_contains(r, cx, cy) for r in self.images) else "invisible_text"
        color = _rgb(int(span.get("color", 0)))
        background = self.backgrounds.behind(cx, cy)
        if max(abs(c - b) for c, b in zip(color, background, strict=True)) < 0.12:
            return "invisible_color"
        return None


def _visible_line(raw_line: dict[str, Any], seen: _Visibility, layout: PageLayout) -> Line | None:
    """A line's visible text and its box; the spans a reader would not see go to layout.hidden."""
    kept: list[str] = []
    bbox: list[float] | None = None
    for span in raw_line.get("spans", []):
        text = span.get("text", "")
        if not text.strip():
            kept.append(text)
            continue
        rect = pymupdf.Rect(span["bbox"])
        hidden = seen.hidden_kind(span, rect)
        if hidden is not None:
            layout.hidden.append(HiddenSpan(hidden, text.strip()))
            continue
        kept.append(text)
        bbox = (
            [rect.x0, rect.y0, rect.x1, rect.y1]
            if bbox is None
            else [min(bbox[0], rect.x0), min(bbox[1], rect.y0), max(bbox[2], rect.x1), max(bbox[3], rect.y1)]
        )
    text = "".join(kept).strip()
    return Line(text, *bbox) if text and bbox is not None else None


def _replace_tables(page: pymupdf.Page, layout: PageLayout) -> None:
    """Keep ruled tables as rows ("cell | cell") instead of a column-by-column jumble."""
    try:
        # Ruled tables are found from their lines; PyMuPDF's layout model (an ONNX network that costs
        # more than the rest of the page) adds nothing for them.
        found = page.find_tables(use_layout=False)
    except TypeError:  # a PyMuPDF without the layout model
        found = page.find_tables()
    except Exception:
        return
    for table in found.tables:
        rows: list[list[str]] = []
        for row in table.rows:
            # Each cell read from the page itself: keeps spaces and word order that cell extraction loses.
            cells = [
                " ".join(page.get_textbox(pymupdf.Rect(cell)).split()) if cell is not None else ""
                for cell in row.cells
            ]
            if any(cells):
                rows.append(cells)
        if len(rows) < 2 or max(len(r) for r in rows) < 2:
            continue
        rect = pymupdf.Rect(table.bbox)
        layout.blocks = [
            b for b in layout.blocks if not _contains(rect, (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2)
        ]
        height = rect.height / len(rows)
        lines = [
            Line(
                " | ".join(cell for cell in row if cell),
                rect.x0,
                rect.y0 + i * height,
                rect.x1,
                rect.y0 + (i + 1) * height,
            )
            for i, row in enumerate(rows)
        ]
        layout.blocks.append(Block(lines, rect.x0, rect.y0, rect.x1, rect.y1, kind="table"))
        layout.tables += 1


def _is_date_margin(blocks: list[Block]) -> bool:
    texts = [line.text for b in blocks for line in b.lines]
    return bool(texts) and sum(1 for t in texts if _DATE_ONLY.match(t)) >= 0.6 * len(texts)


def _vertical_gutter(blocks: list[Block], min_gap: float = 10.0) -> float | None:
    """An x position that no block crosses, with blocks on both sides, the widest such gap."""
    spans = sorted((b.x0, b.x1) for b in blocks)
    best: tuple[float, float] | None = None
    reach = spans[0][1]
    for x0, x1 in spans[1:]:
        if x0 - reach >= min_gap and (best is None or x0 - reach > best[1] - best[0]):
            best = (reach, x0)
        reach = max(reach, x1)
    return None if best is None else (best[0] + best[1]) / 2


def _horizontal_gap(blocks: list[Block]) -> float | None:
    """The y position of the first gap between blocks, top to bottom."""
    spans = sorted((b.y0, b.y1) for b in blocks)
    reach = spans[0][1]
    for y0, y1 in spans[1:]:
        if y0 > reach + 0.5:
            return (reach + y0) / 2
        reach = max(reach, y1)
    return None


def _line_order(blocks: list[Block]) -> list[Block]:
    """Blocks of a date margin and its entries, read row by row as one text."""
    lines = _merge_rows([line for b in blocks for line in b.lines])
    return [
        Block(
            lines,
            min(b.x0 for b in blocks),
            min(b.y0 for b in blocks),
            max(b.x1 for b in blocks),
            max(b.y1 for b in blocks),
        )
    ]


def order_blocks(blocks: list[Block]) -> tuple[list[Block], bool]:
    """Blocks in reading order, and whether real columns were found."""
    columns = False

    def cut(group: list[Block]) -> list[Block]:
        nonlocal columns
        if len(group) <= 1:
            return group
        gutter = _vertical_gutter(group)
        if gutter is not None:
            left = [b for b in group if b.x1 <= gutter]
            right = [b for b in group if b.x0 >= gutter]
            if left and right:
                narrow = (
                    left
                    if (max(b.x1 for b in left) - min(b.x0 for b in left))
                    < (max(b.x1 for b in right) - min(b.x0 for b in right))
                    else right
                )
                if _is_date_margin(narrow):
                    return _line_order(group)
                if min(max(b.y1 for b in side) - min(b.y0 for b in side) for side in (left, right)) > 100:
                    columns = True  # two real columns, not two boxes side by side on one row
                return cut(left) + cut(right)
        gap = _horizontal_gap(group)
        if gap is None:
            # Blocks side by side with no gutter between them: read them row by row together.
            return _line_order(group)
        top = [b for b in group if b.y1 <= gap]
        rest = [b for b in group if b.y1 > gap]
        return cut(top) + cut(rest)

    return cut(blocks), columns
