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


def test_anonymised_entries_printed_one_part_per_line() -> None:
    """The shapes of anonymised resumes exported from a resume builder: a range over three lines, the
    employer and place as placeholders, a separator whose bytes were mangled, a heading naming a kind of
    experience, and a title on the line above the date."""
    text = clean_text(
        "CUSTOMER SERVICE LEAD\n"
        "Visual Merchandise Experience\n"
        "January 2011\nto\nCurrent\n"
        "Company Name City , State Customer Service Lead\n"
        "Trained new associates on the register.\n"
        "Store Associate\n"
        "March 2008 to December 2010 Company Name \u00ef\u00bc\u200b City , State\n"
        "Stocked shelves and served customers.\n"
    )
    parsed = structure_resume(text, load_taxonomy(), date(2026, 11, 1))
    assert [(e.title, e.company, e.location) for e in parsed.experience] == [
        ("Customer Service Lead", "Company Name", "City, State"),
        ("Store Associate", "Company Name", "City, State"),
    ]
    assert (parsed.experience[0].start.year, parsed.experience[0].end.year) == (2011, 2026)
    assert parsed.years_source == "dates" and parsed.total_years_experience == 18.8


def test_stated_years_only_when_no_entry_is_dated() -> None:
    taxonomy = load_taxonomy()
    undated = structure_resume(
        "HR GENERALIST\nSummary\n13 years of Human Resources experience and 27 years of administrative "
        "experience.\nExperience\nHR Generalist\nCompany Name - City , State\n",
        taxonomy,
        AS_OF,
    )
    assert (undated.total_years_experience, undated.years_source) == (27, "stated")
    dated = structure_resume(
        "HR GENERALIST\nSummary\n13 years of Human Resources experience.\nExperience\n"
        "HR Generalist\n2020 - 2022 Acme - Austin, TX\n",
        taxonomy,
        AS_OF,
    )
    assert (dated.total_years_experience, dated.years_source) == (3.0, "dates")
    silent = structure_resume("HR GENERALIST\nSummary\nIn 2015 I led 3 teams.\n", taxonomy, AS_OF)
    assert (silent.total_years_experience, silent.years_source) == (0, "")
