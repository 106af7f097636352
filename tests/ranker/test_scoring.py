"""The ranker's scoring, rules and determinism, with the real embedding model."""

from __future__ import annotations

import random

import pytest

from screener.v1 import resume_pb2
from services.common.job_understanding import understand
from services.common.skills import load_taxonomy
from services.demo.samples import SAMPLE_JOB, SAMPLE_RESUMES, render_pdf
from services.extractor.isolated import parse_document
from services.extractor.reading import DocumentReader
from services.ranker.embedding import Embedder
from services.ranker.scoring import Scorer, job_requirements, job_text


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder(threads=2)


@pytest.fixture(scope="module")
def resumes() -> dict[str, resume_pb2.ParsedResume]:
    reader = DocumentReader()
    taxonomy = load_taxonomy()
    parsed = {
        s.filename: parse_document(reader, taxonomy, render_pdf(s.lines))
        for s in SAMPLE_RESUMES
        if not s.image_only
    }
    reader.close()
    return parsed


def _job(**overrides: object) -> resume_pb2.JobSpec:
    fields = {
        "title": SAMPLE_JOB["title"],
        "description": SAMPLE_JOB["description"],
        "required_skills": SAMPLE_JOB["required_skills"],
        "preferred_skills": SAMPLE_JOB["preferred_skills"],
        "min_years_experience": SAMPLE_JOB["min_years_experience"],
        "rules": resume_pb2.KnockoutRules(required_skills="hard"),
    }
    fields.update(overrides)
    return resume_pb2.JobSpec(**fields)  # type: ignore[arg-type]


def test_same_input_gives_byte_identical_results(embedder: Embedder, resumes: dict) -> None:
    scorer = Scorer(embedder, load_taxonomy())
    job = _job()
    first = [scorer.rank(job, r).SerializeToString(deterministic=True) for r in resumes.values()]
    # A fresh model instance, resumes in another order: the same bytes.
    other = Scorer(Embedder(threads=1), load_taxonomy())
    names = list(resumes)
    random.Random(3).shuffle(names)
    again = {n: other.rank(job, resumes[n]).SerializeToString(deterministic=True) for n in names}
    assert first == [again[n] for n in resumes]


def test_relevant_resumes_outrank_unrelated_ones(embedder: Embedder, resumes: dict) -> None:
    scorer = Scorer(embedder, load_taxonomy())
    scores = {name: scorer.rank(_job(), parsed).final_score for name, parsed in resumes.items()}
    assert scores["ada_quinlan.pdf"] > scores["carmen_velez.pdf"] > 0
    assert min(scores["ada_quinlan.pdf"], scores["bruno_takeda.pdf"]) > scores["farah_nadeem.pdf"]
    accountant_job = _job(
        title="Staff Accountant",
        description="Maintain the general ledger and reconcile accounts.",
        required_skills=["General Ledger", "Reconciliation"],
        preferred_skills=[],
    )
    accountant_scores = {name: scorer.rank(accountant_job, p).final_score for name, p in resumes.items()}
    assert max(accountant_scores, key=lambda n: accountant_scores[n]) == "farah_nadeem.pdf"


def test_skills_match_exactly_through_aliases_and_by_meaning_with_where_found(
    embedder: Embedder, resumes: dict
) -> None:
    scorer = Scorer(embedder, load_taxonomy())
    result = scorer.rank(
        _job(required_skills=["Postgres", "k8s", "Python"], preferred_skills=["React.js"]),
        resumes["ada_quinlan.pdf"],
    )
    matches = {m.skill: m for m in result.skill_matches}
    assert matches["PostgreSQL"].how == "exact" and matches["PostgreSQL"].where == "skills"
    assert matches["Kubernetes"].matched and "Kubernetes" in matches["Kubernetes"].evidence
    assert matches["React"].how == "missing" and not matches["React"].matched
    frontend = scorer.rank(
        _job(required_skills=["front-end web development"], preferred_skills=[]), resumes["carmen_velez.pdf"]
    )
    (match,) = frontend.skill_matches
    assert (match.how, match.matched) == ("semantic", True)
    assert match.evidence in ("Frontend Engineer", "Web Developer") and match.similarity >= 0.6
    # Close is not enough: bookkeeping is not general ledger work.
    books = scorer.rank(
        _job(required_skills=["bookkeeping"], preferred_skills=[]), resumes["farah_nadeem.pdf"]
    )
    assert books.skill_matches[0].how == "missing" and books.skill_matches[0].similarity < 0.6


def test_each_knockout_rule_hard_soft_and_off(embedder: Embedder, resumes: dict) -> None:
    scorer = Scorer(embedder, load_taxonomy())
    carmen = resumes["carmen_velez.pdf"]  # frontend, about 9 years, a BA
    hard = scorer.rank(_job(required_skills=["Python"]), carmen)
    assert not hard.passed and "missing required skill: Python" in hard.reasons
    soft = scorer.rank(
        _job(required_skills=["Python"], rules=resume_pb2.KnockoutRules(required_skills="soft")), carmen
    )
    assert soft.passed and soft.components.soft_penalty == pytest.approx(0.9)
    # Both scores are shown to one decimal: each carries at most 0.05 of rounding.
    assert soft.final_score == pytest.approx(hard.final_score * 0.9, abs=0.1)
    off = scorer.rank(
        _job(required_skills=["Python"], rules=resume_pb2.KnockoutRules(required_skills="off")), carmen
    )
    assert off.passed and not [r for r in off.rules if r.rule == "required_skills"]

    years = scorer.rank(_job(required_skills=[], min_years_experience=15), carmen)
    rule = next(r for r in years.rules if r.rule == "min_years")
    assert not years.passed and not rule.passed and "where 15 are required" in rule.detail

    degree = scorer.rank(
        _job(required_skills=[], min_years_experience=0, required_education="master"), carmen
    )
    rule = next(r for r in degree.rules if r.rule == "education")
    assert not degree.passed and "highest found: bachelor" in rule.detail
    derived = scorer.rank(
        _job(
            required_skills=[],
            min_years_experience=0,
            description="A bachelor's degree in design is required.",
        ),
        carmen,
    )
    assert next(r for r in derived.rules if r.rule == "education").passed
    assert "education" in derived.job.derived


def test_every_experience_entry_and_project_gets_its_own_relevance(embedder: Embedder, resumes: dict) -> None:
    scorer = Scorer(embedder, load_taxonomy())
    result = scorer.rank(_job(), resumes["bruno_takeda.pdf"])
    items = {(i.kind, i.index): i for i in result.items}
    assert set(items) == {("experience", 0), ("experience", 1)}
    # Building Django APIs on PostgreSQL is more relevant to a Python backend job than WordPress upkeep.
    assert items[("experience", 0)].score > items[("experience", 1)].score
    assert result.evidence and any("PostgreSQL" in line or "Docker" in line for line in result.evidence)
    assert result.weights.semantic > 0 and "semantic" in result.explanation


def test_stored_embeddings_are_reused_and_nothing_of_the_resume_is_embedded_again(resumes: dict) -> None:
    first = Scorer(Embedder(threads=1), load_taxonomy())
    original = first.rank(_job(), resumes["ada_quinlan.pdf"])
    stored = original.embeddings
    assert stored.passages and all(len(p.vector) == 384 for p in stored.passages)
    fresh = Embedder(threads=1)
    rescorer = Scorer(fresh, load_taxonomy())
    edited = _job(required_skills=["Python", "Terraform"])
    result = rescorer.rank(edited, resumes["ada_quinlan.pdf"], stored)
    understood = understand(edited, load_taxonomy())
    skills = list(understood.required_skills) + list(understood.preferred_skills)
    job_texts = {job_text(edited, understood), edited.title, *skills, *job_requirements(edited, understood)}
    # Every passage, title and phrase of the resume came from storage; only the job itself was embedded
    # (and, once per process, the occupations role fit is measured against).
    assert fresh.reused == len(stored.passages)
    assert fresh.computed == len(job_texts) + len(set(rescorer.occupations))
    assert result.passed and "Terraform" in result.matched_required  # scored for real against the edited job
    unchanged = rescorer.rank(_job(), resumes["ada_quinlan.pdf"], stored)
    assert unchanged.final_score == original.final_score


def test_job_understanding_derives_what_the_recruiter_left_out() -> None:
    job = resume_pb2.JobSpec(
        title="Senior Data Engineer",
        description="You will build pipelines in Python and Apache Spark on AWS. 5+ years of experience. "
        "Experience with Airflow is a plus. A bachelor's degree is required.",
    )
    understood = understand(job, load_taxonomy())
    assert {"Python", "Apache Spark", "AWS"} <= set(understood.required_skills)
    assert "Airflow" in understood.preferred_skills
    assert (
        understood.min_years == 5 and understood.education == "bachelor" and understood.seniority == "senior"
    )
    assert set(understood.derived) == {"skills", "min_years", "education"}
    explicit = understand(
        resume_pb2.JobSpec(title="Engineer", description=job.description, required_skills=["Go"]),
        load_taxonomy(),
    )
    assert list(explicit.required_skills) == ["Go"] and "skills" not in explicit.derived


def test_the_terms_add_up_to_the_score_with_one_rounding_rule() -> None:
    from services.ranker.explain import arithmetic, round_score, score_terms

    weights = {"semantic": 0.5, "lexical": 0.14, "skills": 0.1, "experience": 0.03, "title": 0.3}
    rng = random.Random(5)
    for _ in range(300):
        components = {name: rng.random() for name in weights}
        penalty = rng.choice([1.0, 0.9, 0.81])
        final, terms = score_terms(weights, components, penalty)
        assert final == round_score(final)
        assert round(sum(t.contribution for t in terms), 1) == final
        assert abs(sum(t.weight for t in terms if t.name != "soft_rules") - 1) < 1e-3
        assert (penalty < 1) == any(t.name == "soft_rules" and t.contribution <= 0 for t in terms)
        result = resume_pb2.RankResult(final_score=final)
        result.terms.extend(terms)
        assert arithmetic(result).startswith(f"{final:.1f} = ")
    assert (round_score(78.25), round_score(78.249), round_score(0.05)) == (78.3, 78.2, 0.1)


def test_role_fit_rewards_the_jobs_own_occupation_over_a_title_close_to_every_job(
    embedder: Embedder, resumes: dict
) -> None:
    """The title component measures the stated title and the resume against the job title beyond their
    similarity to occupations in general: the same resume headed by the job's occupation fits better
    than headed by a generic title, and a generic title gains little from being close to every job."""
    from services.ranker.scoring import load_occupations

    scorer = Scorer(embedder, load_taxonomy())
    assert len(set(load_occupations())) >= 100
    base = resumes["farah_nadeem.pdf"]  # an accountant's resume

    def headed(headline: str) -> resume_pb2.ParsedResume:
        copy = resume_pb2.ParsedResume()
        copy.CopyFrom(base)
        copy.headline = headline
        return copy

    job = _job(
        title="Staff Accountant",
        description="Maintain the general ledger and reconcile accounts.",
        required_skills=["General Ledger", "Reconciliation"],
        preferred_skills=[],
    )
    titles = {
        h: scorer.rank(job, headed(h)).components.title for h in ("Staff Accountant", "Manager", "Chef")
    }
    assert titles["Staff Accountant"] > titles["Manager"] > 0
    assert titles["Staff Accountant"] - titles["Manager"] >= 0.1
    assert titles["Chef"] < titles["Manager"]
    # Each number is the same for the same input, and lies in 0..1.
    assert all(0 <= value <= 1 for value in titles.values())
    assert scorer.rank(job, headed("Chef")).components.title == titles["Chef"]
