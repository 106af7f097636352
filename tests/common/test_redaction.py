"""Blind screening: what the ranker and analyzer see of a resume."""

from __future__ import annotations

import random

from services.common.redaction import redact
from services.common.skills import load_taxonomy
from services.demo.factory import AS_OF, make_person, render
from services.extractor.isolated import parse_document
from services.extractor.reading import DocumentReader
from services.extractor.structure import structure_resume


def test_personal_details_are_masked_everywhere_and_the_work_history_kept() -> None:
    rng = random.Random(31)
    person = make_person(rng)
    reader = DocumentReader()
    parsed = parse_document(reader, load_taxonomy(), render(person, "one_column", rng)[1])
    masked = redact(parsed)
    first, last = person.name.split()
    for secret in (first, last, person.email, person.phone_display, person.location):
        assert secret not in masked.full_text, secret
        assert all(secret not in value for value in masked.sections.values())
    assert not masked.contact.name and not masked.contact.email and not masked.contact.phone
    assert masked.redaction.applied
    assert {"name", "email", "phone", "location"} <= set(masked.redaction.fields)
    assert [e.company for e in masked.experience] == [j.company for j in person.jobs]
    assert masked.total_years_experience == parsed.total_years_experience
    # The original is untouched: the recruiter can still reveal it.
    assert parsed.contact.name == person.name


def test_birth_dates_gender_words_addresses_and_links_are_masked() -> None:
    text = (
        "Jordan Avery\nDate of birth: 12/03/1990 | Gender: female\n42 Elm Street, Springfield\n"
        "github.com/javery | she/her\nSummary\nShe led a team of five analysts.\n"
    )
    parsed = structure_resume(text, load_taxonomy(), AS_OF)
    masked = redact(parsed)
    for secret in ("1990", "female", "Elm Street", "github.com", "She led", "Jordan"):
        assert secret not in masked.full_text, secret
    assert {"date_of_birth", "gender", "links"} <= set(masked.redaction.fields)
    assert "led a team of five analysts" in masked.full_text
