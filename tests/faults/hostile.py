"""A corpus of hostile files, generated here: each is named for what it tries."""

from __future__ import annotations

import io
import zlib

import pymupdf
from PIL import Image

from services.demo.samples import SAMPLE_RESUMES, render_pdf


def _raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF assembled object by object, with a correct cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def decompression_bomb(megabytes: int = 96) -> bytes:
    """One page whose content stream inflates from a few hundred kB to `megabytes` MB."""
    packer = zlib.compressobj(9)
    block = b" " * (1024 * 1024)
    packed = b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush()
    return _raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream",
        ]
    )


def deeply_nested(depth: int = 200_000) -> bytes:
    """A page whose resources hold an array nested `depth` levels deep."""
    return _raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Nest 5 0 R >>",
            b"<< /Length 44 >>\nstream\nBT /F1 12 Tf 72 720 Td (Nested resume) Tj ET\nendstream",
            b"[" * depth + b"]" * depth,
        ]
    )


def many_pages(pages: int = 5000) -> bytes:
    doc = pymupdf.open()
    for number in range(pages):
        doc.new_page(width=200, height=200).insert_text((20, 40), f"page {number}")
    return doc.tobytes(garbage=3, deflate=True)


def encrypted() -> bytes:
    doc = pymupdf.open()
    doc.new_page().insert_text((50, 60), "Locked resume text " * 5)
    return doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="user", owner_pw="owner")


def enormous_image() -> bytes:
    """20,000 x 20,000 pixels of white: 400 megapixels behind a small PNG."""
    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000), 1).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def corpus() -> dict[str, tuple[str, bytes]]:
    """Hostile case -> (file name sent, content)."""
    good = render_pdf(SAMPLE_RESUMES[0].lines)
    return {
        "not a pdf named .pdf": ("resume.pdf", b"GIF89a" + bytes(range(256)) * 4),
        "zero bytes": ("empty.pdf", b""),
        "non-UTF-8 text": (
            "latin1.pdf",
            "Curr\u00edculum de Jos\u00e9 \u00d1u\u00f1ez".encode("latin-1") * 20,
        ),
        "truncated pdf": ("truncated.pdf", good[: len(good) // 3]),
        "corrupt pdf": ("corrupt.pdf", good[:400] + bytes(reversed(good[400:]))),
        "encrypted pdf": ("encrypted.pdf", encrypted()),
        "5,000 pages": ("pages.pdf", many_pages()),
        "decompression bomb": ("bomb.pdf", decompression_bomb()),
        "deeply nested objects": ("nested.pdf", deeply_nested()),
        "enormous image": ("huge.png", enormous_image()),
        "path and control characters in the name": ("../../etc/\x07passwd\t\u202e.pdf", good),
    }
