"""Counterfactual variants of a resume: the same qualifications under another name, with protected
attributes written in, or with the headline before the name. A fair score is the same for all of them.

Used by the fairness tests (generated resumes), bench/fairness.py (real resumes) and the counterfactual
audit of a job's own resumes (services.gateway.counterfactual).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Names across genders, origins and scripts.
NAMES = (
    "Priya Sharma",
    "Oluwaseun Adeyemi",
    "María García",
    "John Smith",
    "Emily Johnson",
    "Mohammed Al-Rashid",
    "Nguyễn Thị Lan",
    "Zhang Wei",
    "李伟",
    "Дмитрий Иванов",
    "محمد الأحمد",
    "Siobhán O'Connor",
    "Jean-Baptiste Dubois",
    "Aigerim Nurlanovna",
)

# Statements of protected attributes, as labelled lines and in prose (English and Spanish).
ATTRIBUTE_LINES = {
    "date_of_birth": ["Date of birth: 14 May 1961", "Fecha de nacimiento: 3 de mayo de 1999", "Age: 58"],
    "gender": ["Gender: Female", "Pronouns: she/her", "Sexo: masculino"],
    "family_status": ["Marital status: Married, two children", "Estado civil: casada"],
    "pregnancy": ["Currently pregnant, available from June"],
    "nationality": ["Nationality: Nigerian", "Citizenship: US citizen", "Nacionalidad: mexicana"],
    "religion": ["Religion: Muslim", "Volunteer at St. Mary's Church youth group"],
    "ethnicity": ["Ethnicity: Hispanic/Latino", "Race: African American"],
    "disability": ["Disability: wheelchair user", "I am a person with a disability"],
    "veteran_status": ["Veteran status: protected veteran", "US Army veteran"],
}
PROSE = {
    "family_status": "Proud mother of two.",
    "religion": "Devout Christian.",
    "veteran_status": "US Army veteran.",
}


@dataclass(frozen=True)
class Variant:
    kind: str  # original, name, attribute, order
    label: str
    text: str


def _email_for(name: str) -> str:
    ascii_name = re.sub(r"[^a-z ]", "", name.lower()).split()
    return ".".join(ascii_name) + "@example.com" if ascii_name else "candidate@example.com"


def variants(text: str, name: str, headline: str) -> list[Variant]:
    """Variants of a resume text whose candidate is `name` and whose headline line is `headline`."""
    out = [Variant("original", "original", text)]
    old_email = _email_for(name)
    for other in NAMES:
        if other == name:
            continue
        renamed = text.replace(name, other).replace(old_email, _email_for(other))
        out.append(Variant("name", other, renamed))
    lines = text.splitlines()
    after_contact = next((i + 1 for i, line in enumerate(lines[:6]) if "@" in line), 2)
    for category, statements in ATTRIBUTE_LINES.items():
        for statement in statements:
            changed = [*lines[:after_contact], statement, *lines[after_contact:]]
            out.append(Variant("attribute", f"{category}: {statement}", "\n".join(changed)))
    # A sentence added after one that ends a long line: the text around it stays as it was.
    summary = next(
        (i for i, line in enumerate(lines) if len(line) > 60 and line.rstrip().endswith(".")), None
    )
    if summary is not None:
        for category, sentence in PROSE.items():
            changed = list(lines)
            changed[summary] = f"{changed[summary].rstrip()} {sentence}"
            out.append(Variant("attribute", f"{category} (prose): {sentence}", "\n".join(changed)))
    if headline and headline in lines and name in lines:
        swapped = list(lines)
        i, j = swapped.index(name), swapped.index(headline)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        out.append(Variant("order", "headline before the name", "\n".join(swapped)))
    return out
