"""Statements about who a person is, recognized so that no score and no analysis ever reads them.

Date of birth and age, gender and pronouns, marital and family status, pregnancy, nationality and
citizenship, religion, ethnicity, disability and health, veteran status (English and Spanish). A
statement is a labelled line ("Nationality: Spanish", "Estado civil: casada") or a phrase in prose
("mother of two", "US citizen", "protected veteran"); `withhold` removes the line or the sentence that
carries it, `find` names the categories present (never their values: nothing downstream may filter on
them). A photo is recorded by the extractor (stats.has_photo) and never reaches the ranker or analyzer.
"""

from __future__ import annotations

import re

CATEGORIES = (
    "date_of_birth",
    "gender",
    "family_status",
    "pregnancy",
    "nationality",
    "religion",
    "ethnicity",
    "disability",
    "veteran_status",
)


def _words(*alternatives: str) -> str:
    return r"(?:" + "|".join(alternatives) + r")"


# "Label: value" lines: the label alone says what the line is about.
_LABELS = {
    "date_of_birth": _words(
        r"date of birth",
        r"birth ?date",
        r"d\.?o\.?b\.?",
        r"born",
        r"age",
        r"fecha de nacimiento",
        r"nacid[oa]",
        r"edad",
    ),
    "gender": _words(r"gender", r"sex", r"pronouns?", r"g[eé]nero", r"sexo", r"pronombres?"),
    "family_status": _words(
        r"marital status",
        r"civil status",
        r"family status",
        r"children",
        r"dependents",
        r"estado civil",
        r"hijos",
        r"situaci[oó]n familiar",
    ),
    "nationality": _words(
        r"nationality",
        r"citizenship",
        r"place of birth",
        r"country of birth",
        r"nacionalidad",
        r"ciudadan[ií]a",
        r"lugar de nacimiento",
        r"pa[ií]s de (?:nacimiento|origen)",
    ),
    "religion": _words(r"religion", r"faith", r"religi[oó]n", r"confesi[oó]n"),
    "ethnicity": _words(r"ethnicity", r"ethnic origin", r"race", r"etnia", r"origen [eé]tnico", r"raza"),
    "disability": _words(
        r"disability",
        r"disabilities",
        r"health",
        r"medical condition",
        r"discapacidad",
        r"salud",
        r"minusval[ií]a",
    ),
    "veteran_status": _words(r"veteran status", r"military status", r"condici[oó]n de veterano"),
}
# A label ends with a colon, or a dash with spaces around it ("Age-based care" is not a label).
_LABEL_LINE = {
    category: re.compile(rf"^\W*{label}\s*(?::|\s[-–]\s)\s*\S", re.I) for category, label in _LABELS.items()
}

# Phrases in prose that state a protected attribute wherever they stand.
_PHRASES = {
    "date_of_birth": _words(
        r"\d{2}\s+years?\s+old",
        r"aged\s+\d{2}",
        r"born (?:on|in)\s+\w+",
        r"\d{2}\s+a[ñn]os de edad",
        r"nacid[oa] (?:el|en)\s+\w+",
    ),
    "gender": _words(
        r"\(?\b(?:she|he|they)\s*/\s*(?:her|him|them)(?:\s*/\s*(?:hers|his|theirs))?\)?",
        r"\bmale\b",
        r"\bfemale\b",
        r"\bmujer\b",
        r"\bhombre\b",
        r"\bnon-binary\b",
        r"\btransgender\b",
    ),
    "family_status": _words(
        r"\bmarried\b",
        r"\bsingle mother\b",
        r"\bsingle father\b",
        r"\bdivorced\b",
        r"\bwidow(?:ed|er)?\b",
        r"\b(?:mother|father|parent) of (?:one|two|three|four|\d)\b",
        r"\b(?:one|two|three|four|\d) (?:children|kids)\b",
        r"\bcasad[oa]\b",
        r"\bsolter[oa]\b",
        r"\bdivorciad[oa]\b",
        r"\bviud[oa]\b",
        r"\b(?:madre|padre) de\b",
        r"\b(?:un|dos|tres|cuatro|\d) hij[oa]s?\b",
    ),
    "pregnancy": _words(
        r"\bpregnan\w*",
        r"\bmaternity leave\b",
        r"\bpaternity leave\b",
        r"\bparental leave\b",
        r"\bembarazad[oa]\b",
        r"\bbaja (?:de|por) (?:maternidad|paternidad)\b",
    ),
    "nationality": _words(
        r"\b(?:u\.?s\.?|american|british|canadian|indian|mexican|spanish|nigerian|chinese|german|french)"
        r" citizen\b",
        r"\bcitizen of\b",
        r"\bdual (?:citizen|national)\w*\b",
        r"\bciudadan[oa] (?:espa[ñn]ol|mexican|estadounidense)\w*\b",
        r"\bde nacionalidad\b",
    ),
    "religion": _words(
        r"\bdevout\b",
        r"\bpracticing (?:christian|muslim|jew|catholic|hindu|buddhist|sikh)\b",
        r"\b(?:church|mosque|synagogue|parish|temple) (?:volunteer|member|choir|youth)\b",
        r"\b(?:volunteer|member|deacon|elder) (?:at|of) (?:the )?(?:[\w.'-]+ ){0,3}"
        r"(?:church|mosque|synagogue|parish|temple)\b",
        r"\b(?:iglesia|mezquita|sinagoga|parroquia)\b",
    ),
    "ethnicity": _words(
        r"\bafrican[- ]american\b",
        r"\bhispanic\b",
        r"\blatin[oax]\b",
        r"\bcaucasian\b",
        r"\basian[- ]american\b",
        r"\bnative american\b",
        r"\bpacific islander\b",
        r"\bgitan[oa]\b",
        r"\bind[ií]gena\b",
    ),
    "disability": _words(
        r"\b(?:person|people|candidate) with (?:a )?disabilit\w*",
        r"\bi (?:have|live with) (?:a )?disabilit\w*",
        r"\bregistered disabled\b",
        r"\bdisabled (?:person|candidate|applicant)\b",
        r"\bwheelchair user\b",
        r"\bhard of hearing\b",
        r"\bi am (?:deaf|blind|disabled|autistic|dyslexic)\b",
        r"\bvisually impaired\b",
        r"\bneurodivergent\b",
        r"\bautistic\b",
        r"\bon the autism spectrum\b",
        r"\b(?:have|with|diagnosed with) adhd\b",
        r"\bchronic (?:illness|condition|pain)\b",
        r"\b(?:persona|candidat[oa]) con discapacidad\b",
        r"\b(?:certificado|grado) de discapacidad\b",
        r"\busuari[oa] de silla de ruedas\b",
    ),
    "veteran_status": _words(
        r"\b(?:protected|disabled|military|army|navy|air force|marine corps|u\.?s\.?|us|combat) veteran\b",
        r"\bveteran (?:status|of the (?:u\.?s\.? )?(?:army|navy|air force|marines?|armed forces))\b",
        r"\bi am a veteran\b",
        r"\bmilitary spouse\b",
        r"\bveteran[oa] (?:de guerra|de las fuerzas armadas|militar)\b",
    ),
}
_PHRASE_RE = {category: re.compile(pattern, re.I) for category, pattern in _PHRASES.items()}
# Sentence ends (not after a common abbreviation) and list separators.
_BOUNDARY = re.compile(
    r"((?<!\b(?:St|Mr|Ms|Dr|Jr|Sr|No|Co)\.)(?<!\b(?:Mrs|Inc|Ltd)\.)(?<=[.!?;])\s+|\s*[•|·]\s*)"
)


def _categories_in(line: str) -> list[str]:
    found = [c for c, pattern in _LABEL_LINE.items() if pattern.search(line)]
    found += [c for c, pattern in _PHRASE_RE.items() if c not in found and pattern.search(line)]
    return found


def find(text: str) -> list[str]:
    """The categories of protected statements in a text, in CATEGORIES order."""
    present = {category for line in text.splitlines() for category in _categories_in(line)}
    return [c for c in CATEGORIES if c in present]


def withhold(text: str) -> str:
    """The text without its protected statements: a labelled line goes whole, a phrase in prose takes its
    sentence (or its item of a list line) with it; a line left empty is dropped."""
    kept = []
    for line in text.splitlines():
        if any(pattern.search(line) for pattern in _LABEL_LINE.values()):
            continue
        if any(pattern.search(line) for pattern in _PHRASE_RE.values()):
            pieces = _BOUNDARY.split(line)  # part, separator, part, separator, ..., part
            rebuilt = ""
            for index in range(0, len(pieces), 2):
                part = pieces[index]
                if not part or any(pattern.search(part) for pattern in _PHRASE_RE.values()):
                    continue
                rebuilt += (pieces[index - 1] if rebuilt and index else "") + part
            line = rebuilt.strip()
            if not line:
                continue
        kept.append(line)
    return "\n".join(kept)
