"""The ranking: a deterministic hybrid score with a pass/fail pre-filter and reasons.

final_score (0..100) = weighted sum of
  semantic   - embedding similarity between the job and each part of the resume (headline and
               summary, every experience entry, every project, the skills list), so the whole resume
               is read rather than its first 256 word pieces;
  skills     - coverage of required skills (weighted 3:1 over preferred ones) after taxonomy
               normalization;
  experience - total years (merged date ranges) against the job's minimum;
  lexical    - how many of the job's content words the resume uses.
The same input always gives the same output: no sampling, no clocks, no randomness.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from screener.v1 import resume_pb2
from services.common.skills import SkillTaxonomy, normalize_text
from services.ranker.embedding import Embedder

SCORER_VERSION = "hybrid-1"

_STOPWORDS = set(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "as",
        "at",
        "by",
        "from",
        "is",
        "are",
        "be",
        "we",
        "you",
        "our",
        "your",
        "will",
        "this",
        "that",
        "it",
        "its",
        "who",
        "what",
        "how",
        "their",
        "they",
        "them",
        "us",
        "has",
        "have",
        "had",
        "was",
        "were",
        "can",
        "may",
        "must",
        "should",
        "would",
        "about",
        "into",
        "over",
        "such",
        "other",
        "more",
        "most",
        "some",
        "any",
        "all",
        "each",
        "both",
        "than",
        "then",
        "also",
        "not",
        "no",
        "experience",
        "years",
        "year",
        "work",
        "working",
        "team",
        "role",
        "job",
        "candidate",
        "strong",
        "ability",
        "skills",
        "skill",
        "including",
        "include",
        "new",
        "using",
        "use",
        "based",
        "within",
        "across",
    ]
)


@dataclass(frozen=True)
class Weights:
    semantic: float = 0.45
    skills: float = 0.30
    experience: float = 0.15
    lexical: float = 0.10


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z][a-z0-9+#.]{2,}", normalize_text(text)) if w not in _STOPWORDS}


def _scale(cosine: float, low: float = 0.15, high: float = 0.70) -> float:
    """Map a MiniLM cosine to 0..1: unrelated texts sit near 0.1, close paraphrases above 0.7."""
    return float(min(1.0, max(0.0, (cosine - low) / (high - low))))


def resume_passages(resume: resume_pb2.ParsedResume) -> list[tuple[str, int, str, str]]:
    """(kind, index, label, text) for every part of the resume that is embedded on its own."""
    passages: list[tuple[str, int, str, str]] = []
    intro = " ".join(p for p in (resume.headline, resume.summary) if p)
    if intro:
        passages.append(("summary", 0, "summary", intro))
    for i, entry in enumerate(resume.experience):
        label = " at ".join(p for p in (entry.title, entry.company) if p) or f"experience {i + 1}"
        text = entry.text or " ".join([entry.title, entry.company, *entry.bullets])
        passages.append(("experience", i, label, text))
    for i, project in enumerate(resume.projects):
        text = f"{project.name}: {project.description} {' '.join(project.technologies)}"
        passages.append(("project", i, project.name or f"project {i + 1}", text))
    if resume.skills:
        passages.append(("skills", 0, "skills", "Skills: " + ", ".join(s.name for s in resume.skills)))
    if not resume.experience and not resume.projects:
        # Unstructured text: read all of it in windows of about 150 words.
        words = resume.full_text.split()
        for start in range(0, len(words), 150):
            passages.append(("text", start // 150, "text", " ".join(words[start : start + 150])))
    return passages


def job_text(job: resume_pb2.JobSpec) -> str:
    parts = [job.title, job.description]
    if job.required_skills:
        parts.append("Required: " + ", ".join(job.required_skills))
    if job.preferred_skills:
        parts.append("Preferred: " + ", ".join(job.preferred_skills))
    return "\n".join(p for p in parts if p)


class Scorer:
    """Scores one parsed resume against one job."""

    def __init__(self, embedder: Embedder, taxonomy: SkillTaxonomy, weights: Weights | None = None) -> None:
        self.embedder = embedder
        self.taxonomy = taxonomy
        self.weights = weights or Weights()

    def _resume_skills(self, resume: resume_pb2.ParsedResume) -> set[str]:
        names = {normalize_text(s.name) for s in resume.skills}
        names |= {normalize_text(hit.name) for hit in self.taxonomy.find(resume.full_text)}
        return names

    def _has_skill(self, skill: str, resume_skills: set[str], resume_text: str) -> bool:
        canonical = normalize_text(self.taxonomy.canonical_name(skill))
        if canonical in resume_skills:
            return True
        # A skill outside the taxonomy counts when the resume names it literally.
        pattern = rf"(?<![a-z0-9+#]){re.escape(normalize_text(skill))}(?![a-z0-9+#])"
        return re.search(pattern, resume_text) is not None

    def rank(self, job: resume_pb2.JobSpec, resume: resume_pb2.ParsedResume) -> resume_pb2.RankResult:
        result = resume_pb2.RankResult(model=self.embedder.model_name, scorer_version=SCORER_VERSION)
        resume_text = normalize_text(resume.full_text)

        # Semantic similarity over every passage; the job is embedded once and cached.
        passages = resume_passages(resume) or [("text", 0, "text", resume.full_text[:2000] or " ")]
        vectors = self.embedder.embed([job_text(job), *[p[3] for p in passages]])
        similarities = vectors[1:] @ vectors[0]
        top = np.sort(similarities)[::-1][:3]
        semantic = _scale(float(0.6 * top[0] + 0.4 * top.mean()))
        for (kind, index, label, _), similarity in zip(passages, similarities, strict=True):
            if kind in ("experience", "project"):
                result.items.add(
                    kind=kind, index=index, label=label, score=round(100 * _scale(float(similarity)), 1)
                )

        # Skill coverage.
        resume_skills = self._resume_skills(resume)
        for skill in job.required_skills:
            name = self.taxonomy.canonical_name(skill)
            target = (
                result.matched_required
                if self._has_skill(skill, resume_skills, resume_text)
                else result.missing_required
            )
            target.append(name)
        for skill in job.preferred_skills:
            name = self.taxonomy.canonical_name(skill)
            target = (
                result.matched_preferred
                if self._has_skill(skill, resume_skills, resume_text)
                else result.missing_preferred
            )
            target.append(name)
        required_cov = len(result.matched_required) / len(job.required_skills) if job.required_skills else 1.0
        preferred_cov = (
            len(result.matched_preferred) / len(job.preferred_skills) if job.preferred_skills else None
        )
        skills = required_cov if preferred_cov is None else 0.75 * required_cov + 0.25 * preferred_cov

        # Experience fit: full marks at the minimum, partial below it.
        years = resume.total_years_experience
        if job.min_years_experience > 0:
            experience = min(1.0, years / job.min_years_experience)
        else:
            experience = min(1.0, 0.5 + years / 10.0)

        job_words = _content_words(job_text(job))
        lexical = len(job_words & _content_words(resume.full_text)) / len(job_words) if job_words else 0.0

        w = self.weights
        total = w.semantic + w.skills + w.experience + w.lexical
        final = (
            100.0
            * (w.semantic * semantic + w.skills * skills + w.experience * experience + w.lexical * lexical)
            / total
        )
        result.final_score = round(final, 2)
        result.components.CopyFrom(
            resume_pb2.ScoreComponents(
                semantic=round(semantic, 4),
                skills=round(skills, 4),
                experience=round(experience, 4),
                lexical=round(lexical, 4),
            )
        )

        # Knock-out rules, each with its reason.
        for name in result.missing_required:
            result.reasons.append(f"missing required skill: {name}")
        if job.min_years_experience > 0 and years < job.min_years_experience:
            result.reasons.append(
                f"{years:g} years of experience where {job.min_years_experience:g} are required"
            )
        result.passed = not result.reasons
        if result.passed:
            result.reasons.append(
                f"all {len(job.required_skills)} required skills found"
                if job.required_skills
                else "no required skills set"
            )
            if job.min_years_experience > 0:
                result.reasons.append(f"{years:g} years of experience (minimum {job.min_years_experience:g})")
        result.explanation = self._explain(result, semantic, years, job)
        return result

    @staticmethod
    def _explain(
        result: resume_pb2.RankResult, semantic: float, years: float, job: resume_pb2.JobSpec
    ) -> str:
        strength = "strong" if semantic >= 0.66 else "moderate" if semantic >= 0.33 else "weak"
        parts = [
            f"Score {result.final_score:.1f}/100: {strength} match with the job's content ({semantic:.2f})"
        ]
        if job.required_skills:
            parts.append(f"{len(result.matched_required)}/{len(job.required_skills)} required skills")
        if job.preferred_skills:
            parts.append(f"{len(result.matched_preferred)}/{len(job.preferred_skills)} preferred skills")
        parts.append(
            f"{years:g} years of experience"
            + (f" against {job.min_years_experience:g} required" if job.min_years_experience else "")
        )
        best = max(result.items, key=lambda item: item.score, default=None)
        if best is not None and best.score > 0:
            parts.append(f"most relevant: {best.label} ({best.score:.0f})")
        verdict = "passes the screen" if result.passed else "fails the screen: " + "; ".join(result.reasons)
        return ", ".join(parts) + f". The resume {verdict}."
