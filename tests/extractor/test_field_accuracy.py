"""Field-level accuracy on generated resumes of every layout (the same harness as bench/extraction_eval)."""

from __future__ import annotations

from bench.extraction_eval import format_report, run


def test_contact_fields_and_dated_experience_meet_their_targets() -> None:
    report = run(per_layout=2, seed=7)
    print(format_report(report))
    for name in ("name", "email", "phone"):
        assert report.fields[name].f1 >= 0.95, (name, format_report(report))
    assert report.fields["experience"].f1 >= 0.9, format_report(report)
    assert report.fields["skills"].f1 >= 0.95
    assert report.fields["total_years"].f1 >= 0.9
    # Hidden text never adds a skill.
    assert report.by_layout["hidden"]["skills"].fp == 0
