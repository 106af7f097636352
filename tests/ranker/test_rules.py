"""The knock-out rules' registry: every rule checked, described and configurable, in one place."""

from __future__ import annotations

from screener.contract import schemas
from screener.v1 import resume_pb2
from services.common.knockout import DEFAULT_RULES, RULES, Facts, screen


def _resume(years: float, degree: str = "", stated: bool = False) -> resume_pb2.ParsedResume:
    resume = resume_pb2.ParsedResume(
        total_years_experience=years, years_source="stated" if stated else "dates"
    )
    if degree:
        resume.education.add(degree=degree)
    return resume


def _job(**fields: object) -> resume_pb2.JobUnderstanding:
    return resume_pb2.JobUnderstanding(**fields)  # type: ignore[arg-type]


def test_every_rule_has_a_severity_field_in_the_message_and_the_schema() -> None:
    assert list(RULES) == ["required_skills", "min_years", "education"]
    assert set(RULES) == {f.name for f in resume_pb2.KnockoutRules.DESCRIPTOR.fields}
    assert set(RULES) == set(schemas.Rules.model_fields)
    assert DEFAULT_RULES == {"required_skills": "soft", "min_years": "hard", "education": "hard"}


def test_each_rule_passes_fails_and_says_why() -> None:
    job = _job(required_skills=["Python", "Go"], min_years=5, education="master")
    missing = screen(Facts(_resume(3, "BSc Computer Science"), job, ("Go",)), {})
    by_rule = {r.rule: r for r in missing.results}
    assert [r.passed for r in missing.results] == [False, False, False]
    assert by_rule["required_skills"].detail == "missing required skill: Go"
    assert by_rule["min_years"].detail == "3 years of experience where 5 are required"
    assert by_rule["education"].detail == "master degree required, not found (highest found: bachelor)"
    # Years and degree are hard by default, skills soft: the screen fails, and the soft one costs 10%.
    assert not missing.passed and missing.penalty == 0.9
    assert missing.reasons == [
        "(soft) missing required skill: Go",
        "3 years of experience where 5 are required",
        "master degree required, not found (highest found: bachelor)",
    ]
    fine = screen(Facts(_resume(7, "MSc Physics", stated=True), job, ()), {})
    assert fine.passed and fine.penalty == 1.0 and fine.reasons[0] == "passes every hard rule"
    assert {r.rule: r.detail for r in fine.results}[
        "min_years"
    ] == "7 years of experience (as stated) (minimum 5)"


def test_severity_per_job_and_rules_that_do_not_apply() -> None:
    job = _job(required_skills=["Python"], min_years=0)
    hard = screen(Facts(_resume(1), job, ("Python",)), {"required_skills": "hard"})
    assert not hard.passed and hard.reasons == ["missing required skill: Python"]
    off = screen(Facts(_resume(1), job, ("Python",)), {"required_skills": "off"})
    assert off.passed and off.results == []  # min_years and education ask nothing of this job
    assert [rule.describe(_job(min_years=3, education="bachelor")) for rule in RULES.values()] == [
        "every required skill must be found in the resume",
        "at least 3 years of experience",
        "a bachelor degree or higher",
    ]
