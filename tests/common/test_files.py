"""File names and kinds as the gateway accepts them."""

from __future__ import annotations

import pytest

from services.common.errors import BadFile
from services.common.files import safe_filename, sniff_kind


def test_file_names_lose_paths_control_and_direction_characters() -> None:
    assert safe_filename("../../etc/\x07passwd\t\u202e.pdf") == "passwd.pdf"
    assert safe_filename("C:\\Users\\ana\\CV Ana.docx") == "CV Ana.docx"
    assert safe_filename("...hidden.pdf") == "hidden.pdf"
    assert safe_filename("/\x00\n") == "resume"
    assert safe_filename("Curr\u00edculo Jos\u00e9.pdf") == "Curr\u00edculo Jos\u00e9.pdf"
    assert len(safe_filename("a" * 1000 + ".pdf")) == 200


def test_kinds_come_from_content_never_from_names() -> None:
    assert sniff_kind(b"%PDF-1.7\n1 0 obj\n<< >>\nendobj\n") == "pdf"
    assert sniff_kind(b"\x89PNG\r\n\x1a\n....") == "png"
    with pytest.raises(BadFile):
        sniff_kind("Jos\u00e9".encode("latin-1"))
    with pytest.raises(BadFile):
        sniff_kind(b"")
