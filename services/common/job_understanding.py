"""What a job asks for, read from its title and description; the recruiter's own lists always win."""

from __future__ import annotations

import re

from screener.v1 import resume_pb2
from services.common.skills import SkillTaxonomy, normalize_text

# How a job scores when it says nothing else: the components' weights (chosen with the cross-validated
# ranking evaluation, docs/performance.md). The knock-out rules' defaults are in services.common.knockout.
DEFAULT_WEIGHTS = {"semantic": 0.15, "lexical": 0.10, "skills": 0.05, "experience": 0.20, "title": 0.50}

EDUCATION_LEVELS = ["high_school", "associate", "bachelor", "master", "doctorate"]
_EDUCATION_PATTERNS = [
    ("doctorate", r"\b(ph\.?d|doctorate|doctoral|doctor of)\b"),
    ("master", r"\b(master'?s?|m\.?s\.?|m\.?sc|mba|m\.?eng)\b"),
    (
        "bachelor",
        r"\b(bachelor'?s?|b\.?s\.?c?|b\.?a\.?|b\.?eng|b\.?tech|undergraduate degree|4-year degree|"
        r"four-year degree|college degree|university degree)\b",
    ),
    ("associate", r"\b(associate'?s? degree|associate of|a\.?a\.?s?\.?)\b"),
    ("high_school", r"\b(high school|ged|secondary school)\b"),
]
_SENIORITY = [
    ("intern", r"\b(intern|internship|trainee|apprentice)\b"),
    ("director", r"\b(director|head of|vp|vice president|chief)\b"),
    ("manager", r"\b(manager|supervisor)\b"),
    ("lead", r"\b(lead|principal|staff)\b"),
    ("senior", r"\b(senior|sr\.?)\b"),
    ("junior", r"\b(junior|jr\.?|entry[- ]level|graduate)\b"),
]
SENIORITY_RANK = {"intern": 0, "junior": 1, "mid": 2, "senior": 3, "lead": 4, "manager": 4, "director": 5}


def education_level(text: str) -> str:
    """The highest degree level a text names, or empty."""
    lowered = normalize_text(text)
    for level, pattern in _EDUCATION_PATTERNS:
        if re.search(pattern, lowered):
            return level
    return ""


def seniority_of(title: str) -> str:
    lowered = normalize_text(title)
    for level, pattern in _SENIORITY:
        if re.search(pattern, lowered):
            return level
    return ""


def understand(job: resume_pb2.JobSpec, taxonomy: SkillTaxonomy) -> resume_pb2.JobUnderstanding:
    result = resume_pb2.JobUnderstanding()
    description = job.description
    if job.required_skills or job.preferred_skills:
        result.required_skills.extend(job.required_skills)
        result.preferred_skills.extend(job.preferred_skills)
    else:
        # Skills named in sentences that say "preferred"/"nice to have" are preferred; the rest required.
        required: list[str] = []
        preferred: list[str] = []
        for sentence in re.split(r"(?<=[.;!?\n])\s+", description):
            target = (
                preferred
                if re.search(r"\b(prefer|preferred|nice to have|a plus|bonus|ideally)\b", sentence, re.I)
                else required
            )
            for hit in taxonomy.find(sentence):
                if hit.name not in required and hit.name not in preferred:
                    target.append(hit.name)
        result.required_skills.extend(required[:12])
        result.preferred_skills.extend(preferred[:12])
        if required or preferred:
            result.derived.append("skills")
    if job.min_years_experience > 0:
        result.min_years = job.min_years_experience
    else:
        years = re.search(r"(\d{1,2})\s*\+?\s*(?:-\s*\d{1,2}\s*)?years?", description, re.I)
        if years:
            result.min_years = float(years.group(1))
            result.derived.append("min_years")
    if job.required_education:
        result.education = job.required_education
    else:
        required_text = " ".join(
            s
            for s in re.split(r"(?<=[.;!?\n])\s+", description)
            if re.search(r"\b(degree|diploma|required|requires|must)\b", s, re.I)
        )
        result.education = education_level(required_text)
        if result.education:
            result.derived.append("education")
    result.seniority = seniority_of(job.title) or ("senior" if result.min_years >= 5 else "")
    return result
