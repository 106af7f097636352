"""Structuring text into a ParsedResume, without the mesh."""

from __future__ import annotations

import random
from datetime import date

from screener.v1 import resume_pb2
from services.common.skills import load_taxonomy
from services.demo.factory import AS_OF, make_person, resume_lines
from services.extractor.reading import clean_text
from services.extractor.structure import merged_months, split_sections, structure_resume


def _ym(year: int, month: int) -> resume_pb2.YearMonth:
    return resume_pb2.YearMonth(year=year, month=month)


def test_overlapping_ranges_are_counted_once() -> None:
    ranges = [(_ym(2015, 1), _ym(2016, 12)), (_ym(2016, 1), _ym(2017, 12)), (_ym(2019, 1), _ym(2019, 12))]
    assert merged_months(ranges) == 36 + 12


def test_sections_are_found_whatever_their_case_and_with_inline_content() -> None:
    header, sections = split_sections("Jane Roe\nPROFESSIONAL SUMMARY\nBuilds things.\nskills: Python, SQL\n")
    assert header == ["Jane Roe"]
    assert [(s.name, s.lines) for s in sections] == [
        ("summary", ["Builds things."]),
        ("skills", ["Python, SQL"]),
    ]


def test_clean_text_repairs_mojibake_icons_and_hyphenation() -> None:
    assert clean_text("ManagerÂ of\u00a0sales \ue0b0 devel-\nopment") == "Manager of sales development"


def test_letter_spaced_name_and_e164_phone() -> None:
    parsed = structure_resume(
        "J A N E   R O E\nData Analyst\n(312) 555-0188 · jane@example.org\nExperience\n"
        "Analyst, Acme Corp\nJan 2020 - Dec 2021\n• Built dashboards in Tableau\n",
        load_taxonomy(),
        AS_OF,
    )
    assert parsed.contact.name == "Jane Roe"
    assert parsed.contact.phone == "+13125550188"
    assert parsed.experience[0].title == "Analyst" and parsed.experience[0].company == "Acme Corp"
    assert parsed.experience[0].duration_months == 24
    assert parsed.total_years_experience == 2.0
    assert "Tableau" in {s.name for s in parsed.skills}


def test_present_is_the_reference_month_and_generated_truth_follows_it() -> None:
    text = "Experience\nAnalyst, Acme Corp\nMar 2024 - Present\n• Built dashboards\n"
    now = structure_resume(text, load_taxonomy(), date(2026, 11, 1))
    later = structure_resume(text, load_taxonomy(), date(2027, 11, 15))
    assert (now.experience[0].end.year, now.experience[0].end.month) == (2026, 11)
    assert (later.experience[0].end.year, later.experience[0].end.month) == (2027, 11)
    assert (now.experience[0].duration_months, later.experience[0].duration_months) == (33, 45)
    # A generator given another date writes resumes whose truth the extractor reads on that date.
    for as_of in (date(2027, 12, 1), date(2031, 1, 1)):
        rng = random.Random(4)
        people = [make_person(rng, as_of) for _ in range(12)]
        assert any(job.end is None for person in people for job in person.jobs)
        for person in people:
            parsed = structure_resume(
                "\n".join(line for _, line in resume_lines(person, rng)), load_taxonomy(), as_of
            )
            assert parsed.total_years_experience == person.total_years, person
