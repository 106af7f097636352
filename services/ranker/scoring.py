"""The ranking: a deterministic hybrid score, knock-out rules with reasons, per-item relevance.

final_score (0..100) is the weighted mean of five components, each 0..1:
  semantic   - MiniLM similarity between the job and every part of the resume embedded on its own
               (headline and summary, each experience entry, each project, the skills), so the whole
               resume is read, not its first 256 word pieces; best part and mean of the top three;
  lexical    - the job's specific words in the resume, TF-IDF with background IDF (services.ranker.lexical);
  skills     - coverage of the required skills (3/4) and preferred skills (1/4), each matched exactly
               after taxonomy normalization, or semantically when a resume phrase is close enough;
  experience - total years (merged date ranges) against the job's minimum, and seniority;
  title      - role fit: how much closer the candidate's stated title (the headline, or the latest job
               title) and the whole resume are to the job's title than to occupations in general
               (services/common/data/occupations.yaml), so a headline such as "Manager", close to
               every job, earns little, and one that names the job's own occupation earns most.
Failed soft rules multiply the score by 0.9 each; failed hard rules fail the screen with their reason.
The same input always gives the same output.

Every text scored is the resume's scoring view (services.common.redaction.scoring_view): without the
name, contact details, address, links or any statement of a protected attribute, in every job, so a
score never moves with who the candidate is.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from importlib import resources

import numpy as np
import yaml

from screener.v1 import resume_pb2
from services.common.job_understanding import DEFAULT_WEIGHTS, SENIORITY_RANK, seniority_of, understand
from services.common.knockout import DEFAULT_RULES, SEVERITIES, Facts, as_stated, screen
from services.common.metrics import PHASE_SECONDS
from services.common.redaction import scoring_view
from services.common.skills import SkillTaxonomy, normalize_text
from services.ranker.embedding import Embedder, text_hash
from services.ranker.explain import arithmetic, plain_summary, score_terms
from services.ranker.lexical import LexicalScorer, terms

SCORER_VERSION = "hybrid-4"  # role fit measured against occupations in general
SEMANTIC_SKILL_THRESHOLD = 0.6  # MiniLM: unrelated short phrases sit below 0.35, close ones above 0.6
# Role fit is a difference of cosines: the stated title's similarity to the job title minus its mean
# similarity to occupations in general, and the resume's similarity to the job title minus its
# similarity to the few occupations it resembles most. Their mean, scaled from this range to 0..1.
ROLE_FIT_RANGE = (-0.20, 0.40)
CLOSEST_OCCUPATIONS = 5


def load_occupations() -> list[str]:
    """The occupations shipped with the package (services/common/data/occupations.yaml)."""
    text = resources.files("services.common").joinpath("data/occupations.yaml").read_text(encoding="utf-8")
    return list(yaml.safe_load(text)["occupations"])


def _scale(cosine: float, low: float, high: float) -> float:
    return float(min(1.0, max(0.0, (cosine - low) / (high - low))))


@dataclass(frozen=True)
class Passage:
    kind: str  # summary, experience, project, skills, text
    index: int
    label: str
    text: str


def resume_passages(resume: resume_pb2.ParsedResume) -> list[Passage]:
    """Every part of the resume that is embedded on its own (MiniLM reads 256 word pieces at most)."""
    # The whole resume first (the model reads its first 256 word pieces), then each part on its own.
    passages: list[Passage] = [Passage("document", 0, "whole resume", resume.full_text[:2000] or " ")]
    intro = " ".join(p for p in (resume.headline, resume.summary) if p)
    if intro:
        passages.append(Passage("summary", 0, "summary", intro[:1500]))
    for i, entry in enumerate(resume.experience):
        label = " at ".join(p for p in (entry.title, entry.company) if p) or f"experience {i + 1}"
        text = entry.text or " ".join([entry.title, entry.company, *entry.bullets])
        passages.append(Passage("experience", i, label, text[:1500]))
    for i, project in enumerate(resume.projects):
        text = f"{project.name}: {project.description} {' '.join(project.technologies)}"
        passages.append(Passage("project", i, project.name or f"project {i + 1}", text[:1500]))
    if resume.skills:
        passages.append(
            Passage("skills", 0, "skills", "Skills: " + ", ".join(s.name for s in resume.skills[:60]))
        )
    covered = sum(len(p.text) for p in passages[1:])
    if covered < 0.5 * len(resume.full_text):
        # Much of the resume sits outside recognised sections: read all of it in windows of ~150 words.
        words = resume.full_text.split()
        for start in range(0, min(len(words), 3000), 150):
            passages.append(Passage("text", start // 150, "text", " ".join(words[start : start + 150])))
    return passages


def resume_phrases(resume: resume_pb2.ParsedResume) -> list[str]:
    """Short phrases a job skill can be matched against by meaning: skills, skill-list items, titles."""
    phrases: list[str] = []
    for skill in resume.skills:
        phrases.extend([skill.name, skill.raw])
    for item in re.split(r"[,;|•\n]", resume.sections.get("skills", "")):
        if 2 <= len(item.strip()) <= 40:
            phrases.append(item.strip())
    phrases.extend(e.title for e in resume.experience if e.title)
    seen: dict[str, str] = {}
    for phrase in phrases:
        seen.setdefault(normalize_text(phrase), phrase)
    return list(seen.values())[:80]


def job_text(job: resume_pb2.JobSpec, understanding: resume_pb2.JobUnderstanding) -> str:
    parts = [job.title, job.description]
    if understanding.required_skills:
        parts.append("Required: " + ", ".join(understanding.required_skills))
    if understanding.preferred_skills:
        parts.append("Preferred: " + ", ".join(understanding.preferred_skills))
    return "\n".join(p for p in parts if p)


def job_requirements(job: resume_pb2.JobSpec, understanding: resume_pb2.JobUnderstanding) -> list[str]:
    """The job's requirements one by one: each sentence or clause of the description and each skill."""
    clauses = [
        c.strip()
        for c in re.split(r"(?<=[.;:!?])\s+|\n+|,\s+(?=[a-z])", job.description)
        if len(c.strip()) > 3
    ]
    return list(
        dict.fromkeys(
            clauses[:30] + list(understanding.required_skills) + list(understanding.preferred_skills)
        )
    )


def _weights(job: resume_pb2.JobSpec) -> dict[str, float]:
    weights = dict(DEFAULT_WEIGHTS)
    for name in weights:
        if job.weights.HasField(name):  # type: ignore[arg-type]
            weights[name] = max(0.0, getattr(job.weights, name))
    return weights


def _rules(job: resume_pb2.JobSpec) -> dict[str, str]:
    rules = dict(DEFAULT_RULES)
    for name in rules:
        value = getattr(job.rules, name)
        if value in SEVERITIES:
            rules[name] = value
    return rules


def _where(resume: resume_pb2.ParsedResume, needle: str) -> tuple[str, str]:
    """The section and line in which a skill phrase appears."""
    pattern = re.compile(rf"(?<![a-z0-9+#]){re.escape(normalize_text(needle))}(?![a-z0-9+#])")
    for section in ("skills", "experience", "summary", "projects", "certifications", "education"):
        for line in resume.sections.get(section, "").splitlines():
            if pattern.search(normalize_text(line)):
                return section, line.strip()[:200]
    for line in resume.full_text.splitlines():
        if pattern.search(normalize_text(line)):
            return "text", line.strip()[:200]
    return "", ""


@dataclass(frozen=True)
class _Vectors:
    """One resume's and one job's embedded texts, by role."""

    passages: np.ndarray  # the resume's passages, the whole document first
    titles: np.ndarray  # the stated title first, then the latest job titles
    phrases: np.ndarray  # the resume's short phrases a job skill is matched against
    job: np.ndarray  # the job's whole text
    title: np.ndarray  # the job's title
    skills: np.ndarray  # each of the job's skills
    requirements: np.ndarray  # each clause of the job's description, and each skill

    @classmethod
    def split(cls, plan: _Plan, resume_vectors: np.ndarray, job_vectors: np.ndarray) -> _Vectors:
        passages, titles = len(plan.passages), len(plan.titles)
        skills = len(plan.job_skills)
        return cls(
            passages=resume_vectors[:passages],
            titles=resume_vectors[passages : passages + titles],
            phrases=resume_vectors[passages + titles :],
            job=job_vectors[0],
            title=job_vectors[1],
            skills=job_vectors[2 : 2 + skills],
            requirements=job_vectors[2 + skills :],
        )


def semantic_fit(similarities: np.ndarray, vectors: _Vectors) -> float:
    """How the whole resume (the first passage) and its best part match the job, and how well each of
    the job's requirements is met somewhere in the resume (weighted 2:3)."""
    whole = float(similarities[0])
    overall = (0.5 * whole + float(similarities.max())) / 1.5
    if len(vectors.requirements):
        evidence = np.vstack([vectors.passages, vectors.titles]) if len(vectors.titles) else vectors.passages
        coverage = float((vectors.requirements @ evidence.T).max(axis=1).mean())
    else:
        coverage = overall
    return _scale(0.4 * overall + 0.6 * coverage, 0.10, 0.70)


def experience_fit(
    resume: resume_pb2.ParsedResume, understanding: resume_pb2.JobUnderstanding, titles: list[str]
) -> float:
    """Total years against the job's minimum (7/10), and seniority (3/10): the stated title's level, or
    one read from the years, against the job's."""
    years, min_years = resume.total_years_experience, understanding.min_years
    years_fit = min(1.0, years / min_years) if min_years > 0 else min(1.0, years / 8.0)
    level = seniority_of(titles[0]) if titles else ""
    if not level:
        level = "junior" if years < 2 else "mid" if years < 5 else "senior"
    seniority = 1.0
    if understanding.seniority:
        gap = abs(SENIORITY_RANK.get(understanding.seniority, 2) - SENIORITY_RANK.get(level, 2))
        seniority = max(0.0, 1.0 - 0.3 * gap)
    return 0.7 * years_fit + 0.3 * seniority


def item_relevance(
    passages: list[Passage], similarities: np.ndarray, lexical_scorer: LexicalScorer
) -> list[resume_pb2.ItemRelevance]:
    """A relevance of its own for every experience entry and project."""
    items = []
    for passage, similarity in zip(passages, similarities, strict=True):
        if passage.kind in ("experience", "project"):
            item_lexical = lexical_scorer.score(passage.text) * 2.5
            score = 100 * (0.75 * _scale(float(similarity), 0.10, 0.65) + 0.25 * min(1.0, item_lexical))
            items.append(
                resume_pb2.ItemRelevance(
                    kind=passage.kind, index=passage.index, label=passage.label, score=round(score, 1)
                )
            )
    return items


RankInput = tuple[resume_pb2.JobSpec, resume_pb2.ParsedResume, "resume_pb2.ResumeEmbeddings | None"]


@dataclass
class _Plan:
    understanding: resume_pb2.JobUnderstanding
    passages: list[Passage]
    phrases: list[str]
    titles: list[str]
    resume_items: list[tuple[str, int, str]]
    job_skills: list[str]
    job_texts: list[str]
    known: dict[str, np.ndarray]

    @property
    def resume_texts(self) -> list[str]:
        return [text for _, _, text in self.resume_items]


class Scorer:
    """Scores one parsed resume against one job."""

    def __init__(self, embedder: Embedder, taxonomy: SkillTaxonomy) -> None:
        self.embedder = embedder
        self.taxonomy = taxonomy
        self.occupations = load_occupations()
        # Embedded once, when the scorer is made: concurrent first requests must not each embed them.
        self.occupation_vectors = embedder.embed(self.occupations)

    def rank(
        self,
        job: resume_pb2.JobSpec,
        resume: resume_pb2.ParsedResume,
        stored: resume_pb2.ResumeEmbeddings | None = None,
    ) -> resume_pb2.RankResult:
        return self.rank_many([(job, resume, stored)])[0]

    def rank_many(self, items: list[RankInput]) -> list[resume_pb2.RankResult]:
        """Rank several resumes with one embedding pass over all their texts.

        Encoding is cheapest in batches of texts of about the same length; texts from several
        resumes fill those batches better than one resume's do. Results are the same as ranking
        each alone (vectors are rounded before use).
        """
        started = time.perf_counter()
        items = [(job, scoring_view(resume), stored) for job, resume, stored in items]
        plans = [self._plan(job, resume, stored) for job, resume, stored in items]
        known = {key: vector for plan in plans for key, vector in plan.known.items()}
        resume_vectors = self.embedder.embed([t for plan in plans for t in plan.resume_texts], known=known)
        # The job's texts are never taken from a resume's stored vectors: they are the job's own.
        job_vectors = self.embedder.embed([t for plan in plans for t in plan.job_texts])
        embedded = time.perf_counter()
        results = []
        at_resume = at_job = 0
        for (job, resume, _), plan in zip(items, plans, strict=True):
            size, job_size = len(plan.resume_texts), len(plan.job_texts)
            results.append(
                self._score(
                    job,
                    resume,
                    plan,
                    resume_vectors[at_resume : at_resume + size],
                    job_vectors[at_job : at_job + job_size],
                )
            )
            at_resume += size
            at_job += job_size
        for _ in items:
            PHASE_SECONDS.labels("embed").observe((embedded - started) / len(items))
            PHASE_SECONDS.labels("score").observe((time.perf_counter() - embedded) / len(items))
        return results

    def _plan(
        self,
        job: resume_pb2.JobSpec,
        resume: resume_pb2.ParsedResume,
        stored: resume_pb2.ResumeEmbeddings | None,
    ) -> _Plan:
        """What ranking one resume needs embedded: the resume's passages, titles and phrases (stored
        vectors reused when they come from the same model) and the job's texts."""
        understanding = understand(job, self.taxonomy)
        passages = resume_passages(resume)
        phrases = resume_phrases(resume)
        # The candidate's stated titles: the headline first, then the latest three job titles.
        titles = [t for t in dict.fromkeys([resume.headline, *(e.title for e in resume.experience[:3])]) if t]
        known = {}
        if stored is not None and stored.model == self.embedder.model_name:
            known = {p.text_hash: np.asarray(p.vector, dtype=np.float32) for p in stored.passages}
        resume_items = (
            [(p.kind, p.index, p.text) for p in passages]
            + [("title", i, t) for i, t in enumerate(titles)]
            + [("phrase", i, t) for i, t in enumerate(phrases)]
        )
        job_skills = list(understanding.required_skills) + list(understanding.preferred_skills)
        requirements = job_requirements(job, understanding)
        job_texts = [
            job_text(job, understanding),
            job.title or job.description[:200],
            *job_skills,
            *requirements,
        ]
        return _Plan(understanding, passages, phrases, titles, resume_items, job_skills, job_texts, known)

    def _score(
        self,
        job: resume_pb2.JobSpec,
        resume: resume_pb2.ParsedResume,
        plan: _Plan,
        resume_vectors: np.ndarray,
        job_vectors: np.ndarray,
    ) -> resume_pb2.RankResult:
        """The components, the knock-out screen and their combination, then what explains them."""
        understanding = plan.understanding
        vectors = _Vectors.split(plan, resume_vectors, job_vectors)
        weights = _weights(job)
        result = resume_pb2.RankResult(
            model=self.embedder.model_name,
            scorer_version=SCORER_VERSION,
            taxonomy_version=self.taxonomy.version,
            job=understanding,
        )
        result.weights.CopyFrom(resume_pb2.ScoringWeights(**weights))
        result.embeddings.model = self.embedder.model_name
        for (kind, index, text), vector in zip(plan.resume_items, resume_vectors, strict=True):
            result.embeddings.passages.add(
                kind=kind, index=index, text_hash=text_hash(text), vector=vector.tolist()
            )
        lexical_scorer = LexicalScorer(job_text(job, understanding), job.title)
        similarities = vectors.passages @ vectors.job
        skills = self._skills(resume, plan, vectors, result)
        if skills is None:
            skills, weights = 0.0, {**weights, "skills": 0.0}  # a job with no skills does not score them
        components = {
            "semantic": semantic_fit(similarities, vectors),
            "lexical": lexical_scorer.score(resume.full_text),
            "skills": skills,
            "experience": experience_fit(resume, understanding, plan.titles),
            "title": self._title_fit(job, vectors),
        }
        screened = screen(Facts(resume, understanding, tuple(result.missing_required)), _rules(job))
        result.rules.extend(screened.results)
        result.passed = screened.passed
        result.reasons.extend(screened.reasons)
        result.final_score, score_parts = score_terms(weights, components, screened.penalty)
        result.terms.extend(score_parts)
        result.components.CopyFrom(
            resume_pb2.ScoreComponents(
                **{name: round(value, 4) for name, value in components.items()},
                soft_penalty=round(screened.penalty, 4),
            )
        )
        result.items.extend(item_relevance(plan.passages, similarities, lexical_scorer))
        result.evidence.extend(self._evidence(resume, lexical_scorer))
        years, min_years = resume.total_years_experience, understanding.min_years
        mark = as_stated(resume)
        result.explanation = self._explain(result, years, min_years, mark)
        result.summary = plain_summary(result, years, min_years, years_mark=mark)
        return result

    def _title_fit(self, job: resume_pb2.JobSpec, vectors: _Vectors) -> float:
        """Role fit against the background of occupations in general (see ROLE_FIT_RANGE)."""
        if not (job.title or "").strip():
            return 0.0
        fit = self._role_fit(vectors.title, vectors.passages[0], vectors.titles[:1])
        return _scale(fit, *ROLE_FIT_RANGE)

    def _skills(
        self,
        resume: resume_pb2.ParsedResume,
        plan: _Plan,
        vectors: _Vectors,
        result: resume_pb2.RankResult,
    ) -> float | None:
        """Coverage of the required (3/4) and preferred (1/4) skills, each matched exactly after
        normalization or else by meaning; the matches go into the result. None when the job has none."""
        understanding = plan.understanding
        resume_skills = {normalize_text(s.name) for s in resume.skills}
        resume_skills |= {normalize_text(h.name) for h in self.taxonomy.find(resume.full_text)}
        resume_stems = " " + " ".join(terms(resume.full_text)) + " "
        credits: dict[bool, list[float]] = {True: [], False: []}
        for i, skill in enumerate(plan.job_skills):
            required = i < len(understanding.required_skills)
            match, credit = self._match_skill(
                skill, required, resume, resume_skills, resume_stems, plan.phrases, vectors, i
            )
            credits[required].append(credit)
            result.skill_matches.append(match)
            names = (
                (result.matched_required, result.missing_required)
                if required
                else (result.matched_preferred, result.missing_preferred)
            )
            (names[0] if match.matched else names[1]).append(match.skill)
        if credits[True] and credits[False]:
            return 0.75 * float(np.mean(credits[True])) + 0.25 * float(np.mean(credits[False]))
        if credits[True] or credits[False]:
            return float(np.mean(credits[True] or credits[False]))
        return None

    def _match_skill(
        self,
        skill: str,
        required: bool,
        resume: resume_pb2.ParsedResume,
        resume_skills: set[str],
        resume_stems: str,
        phrases: list[str],
        vectors: _Vectors,
        index: int,
    ) -> tuple[resume_pb2.SkillMatch, float]:
        """One job skill against the resume: exact (with where it was found), by meaning, or missing."""
        match = resume_pb2.SkillMatch(skill=self.taxonomy.canonical_name(skill), required=required)
        canonical = normalize_text(self.taxonomy.canonical_name(skill))
        skill_terms = " ".join(terms(skill))
        if canonical in resume_skills or (skill_terms and f" {skill_terms} " in resume_stems):
            match.matched, match.how, match.similarity = True, "exact", 1.0
            match.where, match.evidence = _where(resume, skill)
            if not match.where:
                skill_obj = self.taxonomy.canonical(skill)
                for form in (skill_obj.name, *skill_obj.aliases) if skill_obj else ():
                    match.where, match.evidence = _where(resume, form)
                    if match.where:
                        break
            return match, 1.0
        match.how = "missing"
        if not phrases:
            return match, 0.0
        sims = vectors.phrases @ vectors.skills[index]
        best = int(np.argmax(sims))
        match.similarity = round(float(sims[best]), 4)
        if sims[best] < SEMANTIC_SKILL_THRESHOLD:
            return match, 0.0
        match.matched, match.how = True, "semantic"
        match.evidence = phrases[best]
        match.where = _where(resume, phrases[best])[0] or "skills"
        return match, 0.5 + 0.5 * _scale(float(sims[best]), SEMANTIC_SKILL_THRESHOLD, 0.95)

    def _role_fit(self, job_title: np.ndarray, document: np.ndarray, stated: np.ndarray) -> float:
        """How much closer the resume is to the job's title than to occupations in general: the stated
        title against the mean occupation, the whole resume against its closest occupations; the mean
        of the two (the resume alone when no title is stated)."""
        background = self.occupation_vectors
        closest = np.sort(background @ document)[-CLOSEST_OCCUPATIONS:]
        fits = [float(document @ job_title) - float(closest.mean())]
        if len(stated):
            fits.append(float(stated[0] @ job_title) - float((background @ stated[0]).mean()))
        return float(np.mean(fits))

    @staticmethod
    def _evidence(resume: resume_pb2.ParsedResume, lexical_scorer: LexicalScorer) -> list[str]:
        """The three resume lines that share the most (weighted) words with the job."""
        lines = [b for e in resume.experience for b in e.bullets]
        lines += [s.strip() for s in re.split(r"(?<=[.!?])\s+", resume.summary) if s.strip()]
        lines += [p.description for p in resume.projects if p.description]
        scored = []
        for line in dict.fromkeys(lines):
            matched = lexical_scorer.matched_terms(line)
            if matched:
                scored.append((-sum(lexical_scorer.weights[t] for t in matched), line))
        return [line[:300] for _, line in sorted(scored)[:3]]

    @staticmethod
    def _explain(result: resume_pb2.RankResult, years: float, min_years: float, years_mark: str) -> str:
        """The score's arithmetic, then the facts behind it."""
        parts = [f"Score {arithmetic(result)}"]
        required = [m for m in result.skill_matches if m.required]
        preferred = [m for m in result.skill_matches if not m.required]
        if required:
            parts.append(f"{sum(m.matched for m in required)}/{len(required)} required skills")
        if preferred:
            parts.append(f"{sum(m.matched for m in preferred)}/{len(preferred)} preferred skills")
        parts.append(
            f"{years:g} years of experience{years_mark}"
            + (f" against {min_years:g} required" if min_years else "")
        )
        best = max(result.items, key=lambda item: item.score, default=None)
        if best is not None and best.score > 0:
            parts.append(f"most relevant: {best.label} ({best.score:.0f})")
        failed = [r.detail for r in result.rules if not r.passed and r.severity == "hard"]
        verdict = "passes the screen" if result.passed else "fails the screen: " + "; ".join(failed)
        return "; ".join(parts) + f". The resume {verdict}."
