"""The notice to candidates for a job (Local Law 144 asks an employer to give one before screening with
such a tool): the employer's own text when the job has one, otherwise one written from the job itself,
saying what is assessed, the data used and not used, that a person decides, and how to ask for another
process. The employer should read, complete and publish it."""

from __future__ import annotations

from services.common.job_understanding import understand
from services.common.knockout import RULES
from services.common.skills import SkillTaxonomy
from services.gateway.models import Job
from services.gateway.pipeline import job_spec


def notice_for(job: Job, taxonomy: SkillTaxonomy) -> str:
    if job.candidate_notice.strip():
        return job.candidate_notice.strip()
    seen = understand(job_spec(job), taxonomy)
    assessed = []
    if seen.required_skills:
        assessed.append("the required skills (" + ", ".join(seen.required_skills) + ")")
    if seen.preferred_skills:
        assessed.append("the preferred skills (" + ", ".join(seen.preferred_skills) + ")")
    # Years and education in the words the knock-out rules and the job preview use.
    assessed += [
        RULES[name].describe(seen) for name in ("min_years", "education") if RULES[name].applies(seen)
    ]
    assessed.append("how closely your past roles and your resume's content match the role's description")
    return "\n\n".join(
        [
            f"Notice to candidates for {job.title}",
            "We use an automated tool, Screener, to help review applications for this role. It reads "
            "the resume you send and scores it against the role's requirements: " + "; ".join(assessed) + ".",
            "It uses only the qualifications in your resume. Your name, contact details, photo, and "
            "anything your resume says about your age, sex or gender, family, origin, religion, health or "
            "disability are removed before scoring and never count. Every score comes with its reasons.",
            "The tool ranks; a person at our company reviews the applications and decides.",
            "You may ask for another selection process or an accommodation, ask what data we hold about "
            "you, or ask us to erase it, by writing to the contact given in the job posting.",
        ]
    )
