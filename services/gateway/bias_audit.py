"""The bias audit of a screening, as New York City's Local Law 144 describes one for a tool that
scores: for each sex, each race/ethnicity and each intersection of the two, the number of candidates, the
selection rate (passed the screen; and, beside it, shortlisted by a person), the scoring rate (the share
scoring above the median of everyone audited) and the impact ratio of each rate against the category
with the highest one. A category under 2% of the candidates is reported and marked, and left out of the
impact ratios as the rule allows; an impact ratio under four-fifths is flagged. Candidates without the
data in a dimension are counted as unknown in it.

Pure arithmetic over rows the repository reads; the demographic data never reaches the ranker, the
analyzer or a recruiter's view."""

from __future__ import annotations

import csv
import io
import re
import statistics
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

SEXES = ("male", "female")
RACES = (
    "hispanic_or_latino",
    "white",
    "black_or_african_american",
    "native_hawaiian_or_pacific_islander",
    "asian",
    "native_american_or_alaska_native",
    "two_or_more_races",
)
SMALL_SHARE = 0.02
FOUR_FIFTHS = 0.8
RATES = ("selection", "shortlist", "scoring")


@dataclass(frozen=True)
class Candidate:
    score: float
    passed: bool
    shortlisted: bool
    sex: str | None
    race: str | None


@dataclass
class Group:
    category: str
    candidates: int
    share: float
    selected: int
    shortlisted: int
    above_median: int
    small: bool
    rates: dict[str, float]
    impact_ratios: dict[str, float | None]

    @property
    def below_four_fifths(self) -> list[str]:
        return [
            rate for rate, ratio in self.impact_ratios.items() if ratio is not None and ratio < FOUR_FIFTHS
        ]


@dataclass
class Dimension:
    name: str
    groups: list[Group]
    unknown: int


@dataclass
class Audit:
    candidates: int
    median_score: float | None
    dimensions: list[Dimension]


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _dimension(
    name: str, candidates: list[Candidate], median: float, category_of: Callable[[Candidate], str | None]
) -> Dimension:
    members: dict[str, list[Candidate]] = {}
    unknown = 0
    for candidate in candidates:
        category = category_of(candidate)
        if category is None:
            unknown += 1
        else:
            members.setdefault(category, []).append(candidate)
    total = len(candidates)
    groups = []
    for category in sorted(members):
        people = members[category]
        selected = sum(c.passed for c in people)
        shortlisted = sum(c.shortlisted for c in people)
        above = sum(c.score > median for c in people)
        share = _ratio(len(people), total)
        groups.append(
            Group(
                category=category,
                candidates=len(people),
                share=share,
                selected=selected,
                shortlisted=shortlisted,
                above_median=above,
                small=share < SMALL_SHARE,
                rates={
                    "selection": _ratio(selected, len(people)),
                    "shortlist": _ratio(shortlisted, len(people)),
                    "scoring": _ratio(above, len(people)),
                },
                impact_ratios={},
            )
        )
    for rate in RATES:
        counted = [g for g in groups if not g.small]
        best = max((g.rates[rate] for g in counted), default=0.0)
        for group in groups:
            group.impact_ratios[rate] = None if group.small or not best else group.rates[rate] / best
    return Dimension(name, groups, unknown)


def audit(rows: Iterable[Candidate]) -> Audit:
    candidates = list(rows)
    if not candidates:
        return Audit(0, None, [])
    median = statistics.median(c.score for c in candidates)

    def both(c: Candidate) -> str | None:
        return f"{c.sex} / {c.race}" if c.sex and c.race else None

    return Audit(
        candidates=len(candidates),
        median_score=median,
        dimensions=[
            _dimension("sex", candidates, median, lambda c: c.sex),
            _dimension("race_ethnicity", candidates, median, lambda c: c.race),
            _dimension("sex_and_race_ethnicity", candidates, median, both),
        ],
    )


# What people write in the columns, read as the categories above.
_SEX_WORDS = {
    "male": "male",
    "m": "male",
    "man": "male",
    "female": "female",
    "f": "female",
    "woman": "female",
}
_RACE_WORDS = {
    **{race: race for race in RACES},
    "hispanic": "hispanic_or_latino",
    "latino": "hispanic_or_latino",
    "black": "black_or_african_american",
    "african_american": "black_or_african_american",
    "native_hawaiian": "native_hawaiian_or_pacific_islander",
    "pacific_islander": "native_hawaiian_or_pacific_islander",
    "american_indian_or_alaska_native": "native_american_or_alaska_native",
    "native_american": "native_american_or_alaska_native",
    "two_or_more": "two_or_more_races",
    "multiracial": "two_or_more_races",
}
UNSTATED = {"", "unknown", "not_stated", "declined", "prefer_not_to_say", "na", "n/a"}
MAX_ROWS = 100_000


@dataclass(frozen=True)
class Row:
    line: int
    resume_id: uuid.UUID | None
    email: str | None
    sex: str | None
    race: str | None


@dataclass
class Parsed:
    rows: list[Row] = field(default_factory=list)
    errors: list[dict[str, object]] = field(default_factory=list)


def _word(value: str) -> str:
    return re.sub(r"[^a-z/]+", "_", value.strip().lower()).strip("_")


def parse(text: str) -> Parsed:
    """The employer's CSV: a resume_id or email column, and sex and race_ethnicity (either may be blank:
    the candidate did not say). Every row that cannot be read is named with its reason."""
    reader = csv.DictReader(io.StringIO(text))
    headers = {_word(h): h for h in reader.fieldnames or []}
    out = Parsed()
    if not ({"resume_id", "email"} & headers.keys()) or not ({"sex", "race_ethnicity"} & headers.keys()):
        out.errors.append(
            {"line": 1, "reason": "the header needs resume_id or email, and sex or race_ethnicity"}
        )
        return out
    for line, record in enumerate(reader, start=2):
        if line - 1 > MAX_ROWS:
            out.errors.append({"line": line, "reason": f"more than {MAX_ROWS} rows"})
            break
        value = {key: (record.get(original) or "").strip() for key, original in headers.items()}
        sex_word, race_word = _word(value.get("sex", "")), _word(value.get("race_ethnicity", ""))
        sex = None if sex_word in UNSTATED else _SEX_WORDS.get(sex_word)
        race = None if race_word in UNSTATED else _RACE_WORDS.get(race_word)
        if sex is None and sex_word not in UNSTATED:
            out.errors.append({"line": line, "reason": f"sex {value['sex']!r} is not male, female or blank"})
            continue
        if race is None and race_word not in UNSTATED:
            out.errors.append(
                {"line": line, "reason": f"race_ethnicity {value['race_ethnicity']!r} is unknown"}
            )
            continue
        resume_id = None
        if value.get("resume_id"):
            try:
                resume_id = uuid.UUID(value["resume_id"])
            except ValueError:
                out.errors.append({"line": line, "reason": "resume_id is not an id"})
                continue
        email = value.get("email") or None
        if resume_id is None and email is None:
            out.errors.append({"line": line, "reason": "neither resume_id nor email"})
            continue
        out.rows.append(Row(line, resume_id, email, sex, race))
    return out
