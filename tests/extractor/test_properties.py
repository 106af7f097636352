"""Property tests: the parsers and structurers take any text without failing and keep their invariants."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screener.v1 import resume_pb2
from services.common.errors import BadFile
from services.common.files import safe_filename, sniff_kind
from services.common.redaction import redact
from services.common.skills import load_taxonomy
from services.demo.factory import AS_OF
from services.extractor.reading import clean_text
from services.extractor.structure import merged_months, structure_resume

TAXONOMY = load_taxonomy()
HEADINGS = ["EXPERIENCE", "Education", "Skills", "PROJECTS", "Experiencia laboral", "Formación", "Summary"]
MONTHS = ["Jan", "February", "Mar.", "sept", "Dec", "enero", "Marzo", "05/", ""]
PROPERTIES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def date_ranges(draw: st.DrawFn) -> str:
    start = f"{draw(st.sampled_from(MONTHS))} {draw(st.integers(1950, 2030))}".strip()
    end = draw(st.sampled_from(["Present", "Actualidad", "current", ""])) or (
        f"{draw(st.sampled_from(MONTHS))} {draw(st.integers(1950, 2035))}".strip()
    )
    return f"{start} {draw(st.sampled_from(['-', '–', 'to', 'a']))} {end}"


@st.composite
def resume_texts(draw: st.DrawFn) -> str:
    """Text shaped like a resume (headings, dated lines, contacts, bullets) mixed with arbitrary unicode."""
    pieces = st.one_of(
        st.sampled_from(HEADINGS),
        date_ranges(),
        st.sampled_from(
            ["Python, Go and PostgreSQL", "• Led a team of 5", "ana@example.com", "+1 415 555 0100"]
        ),
        st.text(alphabet=string.printable, max_size=80),
        st.text(max_size=40),
    )
    return "\n".join(draw(st.lists(pieces, max_size=40)))


@PROPERTIES
@given(resume_texts())
def test_structuring_any_text_never_fails_and_keeps_its_invariants(text: str) -> None:
    parsed = structure_resume(text, TAXONOMY, AS_OF)
    assert parsed.total_years_experience >= 0
    for entry in parsed.experience:
        if entry.HasField("start") and entry.HasField("end") and entry.start.year and entry.end.year:
            # Month 0 is unknown: a start in that year's January at the earliest, an end in its December
            # at the latest ("Jan 2010 - 2010" is a valid range).
            assert (entry.start.year, entry.start.month or 1) <= (entry.end.year, entry.end.month or 12), (
                entry
            )
            assert entry.duration_months >= 0
    assert len({skill.name for skill in parsed.skills}) == len(parsed.skills)
    # The same text always gives the same structure.
    assert structure_resume(text, TAXONOMY, AS_OF) == parsed


@PROPERTIES
@given(st.text(max_size=400))
def test_cleaning_any_text_never_fails_and_removes_nul(text: str) -> None:
    cleaned = clean_text(text)
    assert "\x00" not in cleaned


@PROPERTIES
@given(
    st.lists(
        st.tuples(st.integers(1990, 2025), st.integers(1, 12), st.integers(0, 120)), min_size=0, max_size=8
    )
)
def test_merged_months_never_exceed_the_span_nor_the_sum(spans: list[tuple[int, int, int]]) -> None:
    ranges = []
    for year, month, length in spans:
        end_index = year * 12 + month - 1 + length
        ranges.append(
            (
                resume_pb2.YearMonth(year=year, month=month),
                resume_pb2.YearMonth(year=end_index // 12, month=end_index % 12 + 1),
            )
        )
    total = merged_months(ranges)
    assert 0 <= total <= sum(length for *_, length in spans) + len(spans)
    if ranges:
        first = min(s.year * 12 + s.month for s, _ in ranges)
        last = max(e.year * 12 + e.month for _, e in ranges)
        assert total <= last - first + 1


@PROPERTIES
@given(st.emails(), st.text(alphabet=string.ascii_letters + " ", min_size=3, max_size=30))
def test_redaction_removes_the_contact_details(email: str, name: str) -> None:
    parsed = resume_pb2.ParsedResume(full_text=f"{name}\n{email}\nPython engineer")
    parsed.contact.name, parsed.contact.email = name, email
    masked = redact(parsed)
    assert not masked.contact.email and email not in masked.full_text


@PROPERTIES
@given(st.text(max_size=300))
def test_any_file_name_becomes_a_safe_one(name: str) -> None:
    safe = safe_filename(name)
    assert safe and len(safe) <= 200 and not {"/", "\\"} & set(safe)
    assert all(ch.isprintable() or ch == " " for ch in safe)


@PROPERTIES
@given(st.binary(max_size=2048))
def test_any_bytes_are_recognized_or_refused_as_a_bad_file(content: bytes) -> None:
    try:
        kind = sniff_kind(content)
    except BadFile:
        return
    assert kind in {"pdf", "png", "jpeg", "docx"}
