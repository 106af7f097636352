"""A parse-quality grade per resume, with the concrete issues behind it."""

from __future__ import annotations

from screener.v1 import resume_pb2


def grade(parsed: resume_pb2.ParsedResume) -> resume_pb2.ParseQuality:
    """ok, degraded or poor, from what the extraction found and what it had to work around."""
    issues: list[str] = []
    serious = 0
    stats = parsed.stats
    if stats.ocr_pages:
        issues.append(
            f"ocr_used ({stats.ocr_pages} of {stats.page_count} pages, confidence {stats.ocr_confidence:.0f})"
        )
        if stats.ocr_confidence < 60:
            issues.append("low_ocr_confidence")
            serious += 2
        elif stats.ocr_confidence < 80:
            serious += 1
    if stats.deskewed_pages:
        issues.append(f"deskewed ({stats.deskewed_pages} pages)")
    if not parsed.contact.email and not parsed.contact.phone:
        issues.append("no_contact")
        serious += 1
    if not parsed.contact.name:
        issues.append("no_name")
    if not parsed.experience and not any(e.end.year for e in parsed.education):
        issues.append("no_dates")
        serious += 1
    if not parsed.sections:
        issues.append("no_sections")
        serious += 1
    if stats.columns_detected:
        issues.append("columns_detected")
    if stats.tables:
        issues.append(f"tables ({stats.tables})")
    hidden = [f for f in parsed.flags if f.kind != "prompt_injection"]
    if hidden:
        issues.append(f"hidden_text_removed ({len(hidden)})")
        serious += 1
    if any(f.kind == "prompt_injection" for f in parsed.flags):
        issues.append("prompt_injection_removed")
        serious += 1
    if stats.text_chars < 400:
        issues.append("short_text")
        serious += 1
    grade_name = "ok" if serious == 0 else "degraded" if serious <= 2 else "poor"
    return resume_pb2.ParseQuality(grade=grade_name, issues=issues)
