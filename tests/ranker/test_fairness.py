"""Counterfactual fairness: the same qualifications score the same whoever the candidate is.

Generated resumes, each with variants under other names (genders, origins and scripts), with protected
attributes written in (labelled lines and prose, English and Spanish), and with the headline before the
name; every variant must score within 0.5 points of the original, pass the same rules and match the same
skills. Texts go through the extractor's structuring and the real ranker with the real model.
"""

from __future__ import annotations

import random

import pytest

from screener.v1 import resume_pb2
from services.common.counterfactual import ATTRIBUTE_LINES, NAMES, variants
from services.common.protected import find, withhold
from services.common.redaction import scoring_view
from services.common.skills import load_taxonomy
from services.demo.factory import AS_OF, make_person, resume_lines
from services.demo.samples import SAMPLE_JOB
from services.extractor.structure import structure_resume
from services.ranker.embedding import Embedder
from services.ranker.scoring import Scorer

JOBS = [
    resume_pb2.JobSpec(
        title=SAMPLE_JOB["title"],
        description=SAMPLE_JOB["description"],
        required_skills=SAMPLE_JOB["required_skills"],
        preferred_skills=SAMPLE_JOB["preferred_skills"],
        min_years_experience=SAMPLE_JOB["min_years_experience"],
    ),
    resume_pb2.JobSpec(
        title="Registered Nurse",
        description="Acute care nursing on a busy surgical ward; patient assessment, medication "
        "administration and care plans. Spanish is a plus.",
        required_skills=["Nursing", "Patient Care"],
        preferred_skills=["Spanish"],
        min_years_experience=2,
    ),
]


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer(Embedder(threads=2), load_taxonomy())


@pytest.mark.parametrize("seed", range(6))
def test_a_score_does_not_move_with_name_attributes_or_line_order(scorer: Scorer, seed: int) -> None:
    rng = random.Random(seed)
    person = make_person(rng)
    text = "\n".join(line for _, line in resume_lines(person, rng, spanish=seed % 3 == 2))
    cases = variants(text, person.name, person.headline)
    kinds = {case.kind for case in cases}
    assert kinds == {"original", "name", "attribute", "order"}, kinds
    taxonomy = load_taxonomy()
    parsed = [structure_resume(case.text, taxonomy, AS_OF) for case in cases]
    for job in JOBS:
        results = scorer.rank_many([(job, resume, None) for resume in parsed])
        base = results[0]
        for case, result in zip(cases, results, strict=True):
            assert abs(result.final_score - base.final_score) <= 0.5, (
                case.kind,
                case.label,
                result.final_score,
                base.final_score,
            )
            assert result.passed == base.passed, case.label
            assert list(result.matched_required) == list(base.matched_required), case.label


def test_every_variant_kind_is_recognized_and_withheld() -> None:
    for category, statements in ATTRIBUTE_LINES.items():
        for statement in statements:
            assert category in find(statement), statement
            assert withhold(f"Python developer\n{statement}\nSQL") == "Python developer\nSQL", statement
    assert len(NAMES) >= 12


def test_the_scoring_view_holds_no_name_contact_or_protected_statement() -> None:
    rng = random.Random(11)
    person = make_person(rng)
    lines = [line for _, line in resume_lines(person, rng)]
    lines[3:3] = ["Date of birth: 14 May 1961", "Nationality: Nigerian", "Religion: Muslim"]
    parsed = structure_resume("\n".join(lines), load_taxonomy(), AS_OF)
    assert parsed.contact.name == person.name
    view = scoring_view(parsed)
    texts = [view.full_text, view.headline, view.summary, *view.sections.values()]
    texts += [b for e in view.experience for b in e.bullets] + [e.text for e in view.experience]
    for part in person.name.split():
        assert not any(part in t for t in texts), part
    for secret in (person.email, "1961", "Nigerian", "Muslim"):
        assert not any(secret in t for t in texts), secret
    assert not view.contact.name and not view.contact.email
    assert view.headline == person.headline
    # What the candidate did is still there.
    assert person.jobs[0].bullets[0] in view.full_text
