"""OCR's misreadings of emails and phone numbers are repaired, and only into valid ones."""

from __future__ import annotations

import pytest

from services.common.skills import load_taxonomy
from services.demo.factory import AS_OF
from services.extractor.ocr_contacts import recover_email, recover_phone
from services.extractor.structure import structure_resume


@pytest.mark.parametrize(
    ("line", "email"),
    [
        ("jane . doe @ example . com | (415) 555-0134", "jane.doe@example.com"),
        ("jane.doe©example.com", "jane.doe@example.com"),
        ("jane.doe(a)example,com", "jane.doe@example.com"),
        ("Email: jane_doe @ gmail . c0m", "jane_doe@gmail.com"),
        ("maria.garcia ® mail.example.es", "maria.garcia@mail.example.es"),
        ("Software Engineer at acme.io", ""),  # "at" in a sentence is not an address
        ("Copyright © 2024 Acme", ""),
        ("reach me (at) the office", ""),
    ],
)
def test_misread_addresses_are_put_back_together_or_left_alone(line: str, email: str) -> None:
    assert recover_email([line]) == email


@pytest.mark.parametrize(
    ("line", "phone"),
    [
        ("+1 4l5 555 Ol34", "+1 415 555 0134"),
        ("(415) 555-O134", "(415) 555-0134"),
        ("Boston, MA 02108", ""),
        ("ISO 9001 certified", ""),
    ],
)
def test_misread_numbers_are_repaired_only_where_they_look_like_numbers(line: str, phone: str) -> None:
    assert recover_phone([line]) == phone


def test_a_resume_read_by_ocr_keeps_its_contacts() -> None:
    text = "\n".join(
        [
            "Priya Sharma",
            "Senior Backend Engineer",
            "priya . sharma © example . com | +1 4l5 555 Ol34 | Seattle, WA",
            "Experience",
            "Senior Backend Engineer | Northwind Logistics | Remote",
            "Jan 2020 - Present",
            "• Built Python services",
        ]
    )
    parsed = structure_resume(text, load_taxonomy(), AS_OF)
    assert parsed.contact.email == "priya.sharma@example.com"
    assert parsed.contact.phone == "+14155550134"
