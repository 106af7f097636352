"""Knock-out rules: each one a name, a default severity, when it applies, how it reads, and its check.

The ranker runs every rule of this registry and the job preview describes them, so a new rule is one
registered function here (plus its severity field in the KnockoutRules message and the Rules schema,
which tests/ranker/test_rules.py holds to this registry). A rule's severity per job is `hard` (failing
it fails the screen and ranks the candidate below every one who passes), `soft` (failing it takes 10%
off the score, stated as a term of its own) or `off`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from screener.v1 import resume_pb2
from services.common.job_understanding import EDUCATION_LEVELS, education_level

SEVERITIES = ("hard", "soft", "off")
SOFT_PENALTY = 0.9  # each failed soft rule multiplies the score by this


def as_stated(resume: resume_pb2.ParsedResume) -> str:
    """How years the candidate states (no dated entry) are marked wherever they are shown."""
    return " (as stated)" if resume.years_source == "stated" else ""


@dataclass(frozen=True)
class Facts:
    """What the rules read: the scored resume, what the job asks, and the skill matching's outcome."""

    resume: resume_pb2.ParsedResume
    job: resume_pb2.JobUnderstanding
    missing_required: tuple[str, ...]

    @property
    def years(self) -> float:
        return self.resume.total_years_experience

    @property
    def years_text(self) -> str:
        return f"{self.years:g} years of experience{as_stated(self.resume)}"


@dataclass(frozen=True)
class Outcome:
    passed: bool
    detail: str
    # What a hard failure lists among the resume's reasons (the detail when empty).
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class KnockoutRule:
    name: str
    default_severity: str
    applies: Callable[[resume_pb2.JobUnderstanding], bool]
    describe: Callable[[resume_pb2.JobUnderstanding], str]
    check: Callable[[Facts], Outcome]


RULES: dict[str, KnockoutRule] = {}


def knockout(
    name: str,
    default_severity: str,
    *,
    applies: Callable[[resume_pb2.JobUnderstanding], bool],
    describe: Callable[[resume_pb2.JobUnderstanding], str],
) -> Callable[[Callable[[Facts], Outcome]], Callable[[Facts], Outcome]]:
    """Register a rule's check under its name; rules run in the order they are registered."""
    assert default_severity in SEVERITIES and name not in RULES

    def register(check: Callable[[Facts], Outcome]) -> Callable[[Facts], Outcome]:
        RULES[name] = KnockoutRule(name, default_severity, applies, describe, check)
        return check

    return register


# A missing required skill is soft unless the job makes it hard: skills are found in free text, in other
# words than the job's (on the real resumes of the ranking evaluation, 151 of 192 relevant ones miss at
# least one of their job's four or five listed skills), so a knock-out on them would put most qualified
# candidates below the rest. The skills component scores coverage either way.
@knockout(
    "required_skills",
    "soft",
    applies=lambda job: bool(job.required_skills),
    describe=lambda job: "every required skill must be found in the resume",
)
def required_skills(facts: Facts) -> Outcome:
    missing = facts.missing_required
    if not missing:
        return Outcome(True, "all required skills found")
    return Outcome(
        False,
        "missing required skill: " + ", ".join(missing),
        tuple(f"missing required skill: {skill}" for skill in missing),
    )


@knockout(
    "min_years",
    "hard",
    applies=lambda job: job.min_years > 0,
    describe=lambda job: f"at least {job.min_years:g} years of experience",
)
def min_years(facts: Facts) -> Outcome:
    wanted = facts.job.min_years
    if facts.years >= wanted:
        return Outcome(True, f"{facts.years_text} (minimum {wanted:g})")
    return Outcome(False, f"{facts.years_text} where {wanted:g} are required")


@knockout(
    "education",
    "hard",
    applies=lambda job: bool(job.education),
    describe=lambda job: f"a {job.education.replace('_', ' ')} degree or higher",
)
def education(facts: Facts) -> Outcome:
    wanted = facts.job.education
    have = max(
        (education_level(e.degree or e.text) for e in facts.resume.education),
        default="",
        key=lambda level: EDUCATION_LEVELS.index(level) if level else -1,
    )
    passed = bool(have) and EDUCATION_LEVELS.index(have) >= EDUCATION_LEVELS.index(wanted)
    detail = f"{wanted.replace('_', ' ')} degree " + ("found" if passed else "required, not found")
    if have and not passed:
        detail += f" (highest found: {have.replace('_', ' ')})"
    return Outcome(passed, detail)


DEFAULT_RULES = {rule.name: rule.default_severity for rule in RULES.values()}


@dataclass
class Screen:
    """Every rule that applies, checked with its severity for the job."""

    results: list[resume_pb2.RuleResult]
    passed: bool
    penalty: float
    reasons: list[str]


def screen(facts: Facts, severities: dict[str, str]) -> Screen:
    results: list[resume_pb2.RuleResult] = []
    reasons: list[str] = []
    passed, penalty = True, 1.0
    for rule in RULES.values():
        severity = severities.get(rule.name, rule.default_severity)
        if severity == "off" or not rule.applies(facts.job):
            continue
        outcome = rule.check(facts)
        results.append(
            resume_pb2.RuleResult(
                rule=rule.name, passed=outcome.passed, severity=severity, detail=outcome.detail
            )
        )
        if outcome.passed:
            continue
        if severity == "hard":
            passed = False
            reasons.extend(outcome.reasons or (outcome.detail,))
        else:
            penalty *= SOFT_PENALTY
            reasons.append(f"(soft) {outcome.detail}")
    if passed:
        reasons.insert(0, "passes every hard rule")
    return Screen(results, passed, penalty, reasons)
