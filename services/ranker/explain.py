"""The arithmetic of a score and its plain-language reading.

One rounding rule for every number a person sees: a score has one decimal, rounded half up
(`round_score`), and that value is the one stored, listed, exported and written in any text. The
explanation shows the normalized weights (they sum to 1), each component's value and its contribution
in points, and the soft-rule penalty as a term of its own; the contributions are rounded so that they add
up to the shown score exactly (largest remainders get the last tenths).
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from screener.v1 import resume_pb2

COMPONENTS = ("semantic", "lexical", "skills", "experience", "title")


def round_score(value: float) -> float:
    """One decimal, half up: 78.25 -> 78.3 everywhere."""
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _tenths_adding_up(raw: list[float], total_tenths: int) -> list[int]:
    """Each raw value in tenths, floored, then the tenths still missing to reach the total given to the
    largest remainders (ties to the earlier term)."""
    floors = [math.floor(value * 10 + 1e-9) for value in raw]
    missing = total_tenths - sum(floors)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] * 10 - floors[i]), i))
    for i in order[: max(0, missing)]:
        floors[i] += 1
    for i in order[::-1][: max(0, -missing)]:
        floors[i] -= 1
    return floors


def score_terms(
    weights: dict[str, float], components: dict[str, float], penalty: float
) -> tuple[float, list[resume_pb2.ScoreTerm]]:
    """The final score (one decimal) and the terms that add up to it."""
    total_weight = sum(weights[name] for name in COMPONENTS) or 1.0
    normalized = {name: weights[name] / total_weight for name in COMPONENTS}
    raw = [100.0 * normalized[name] * components[name] for name in COMPONENTS]
    before_penalty = sum(raw)
    raw.append(before_penalty * penalty - before_penalty)  # the soft-rule penalty, 0 or negative
    final = round_score(before_penalty * penalty)
    tenths = _tenths_adding_up(raw, round(final * 10))
    terms = [
        resume_pb2.ScoreTerm(
            name=name,
            weight=round(normalized[name], 4),
            value=round(components[name], 4),
            contribution=tenths[i] / 10,
        )
        for i, name in enumerate(COMPONENTS)
        if normalized[name] > 0
    ]
    if penalty < 1.0:
        terms.append(
            resume_pb2.ScoreTerm(
                name="soft_rules", weight=0.0, value=round(penalty, 4), contribution=tenths[-1] / 10
            )
        )
    return final, terms


def arithmetic(result: resume_pb2.RankResult) -> str:
    """The sum as a line of text: "78.3 = 0.50 x semantic 0.81 (40.5) + ... - soft rules (8.7)"."""
    parts = []
    for term in result.terms:
        if term.name == "soft_rules":
            parts.append(f"- soft rules x{term.value:g} ({-term.contribution:.1f})")
        else:
            parts.append(f"{term.weight:.2f} x {term.name} {term.value:.2f} ({term.contribution:.1f})")
    return f"{result.final_score:.1f} = " + " + ".join(parts).replace("+ -", "-")


def _band(score: float, passed: bool) -> str:
    if not passed:
        return "Does not pass the screen"
    if score >= 70:
        return "Strong match"
    if score >= 50:
        return "Good match"
    if score >= 35:
        return "Partial match"
    return "Weak match"


def plain_summary(
    result: resume_pb2.RankResult, years: float, min_years: float, *, years_mark: str = ""
) -> str:
    """A sentence a recruiter can read aloud, from the same facts as the score. A rule that failed is
    stated in place of its fact, once, with whether it knocks the candidate out."""
    failed = {rule.rule: rule for rule in result.rules if not rule.passed}

    def stated(rule: str, fact: str) -> str:
        if rule not in failed:
            return fact
        kind = "soft rule" if failed[rule].severity == "soft" else "knock-out"
        return f"{failed[rule].detail} ({kind})"

    facts = []
    required = [m for m in result.skill_matches if m.required]
    if required:
        facts.append(
            stated(
                "required_skills", f"{sum(m.matched for m in required)} of {len(required)} required skills"
            )
        )
    preferred = [m for m in result.skill_matches if not m.required]
    if preferred:
        facts.append(f"{sum(m.matched for m in preferred)} of {len(preferred)} preferred skills")
    if min_years > 0:
        facts.append(stated("min_years", f"{years:g} years{years_mark} where {min_years:g} are required"))
    else:
        facts.append(f"{years:g} years of experience{years_mark}")
    if "education" in failed:
        facts.append(stated("education", ""))
    title = result.components.title
    facts.append(
        "role matches the job" if title >= 0.6 else "related role" if title >= 0.35 else "different role"
    )
    return f"{_band(result.final_score, result.passed)}: " + ", ".join(facts) + "."
