"""Counterfactual fairness on real resumes: does a score move with who the candidate is?

    python -m bench.fairness [--data ../shared/data] [--limit N]

Every resume of ../shared/data/ranking (anonymised: no names in them) is scored against the job of its
own category, then again as variants: with a name inserted above it (14 names across genders, origins
and scripts, with a matching email), with a statement of a protected attribute written in (date of birth
and age, gender and pronouns, family status, pregnancy, nationality, religion, ethnicity, disability,
veteran status; labelled lines and prose, English and Spanish), and with the name put after the first
line instead of before it. Prints, per kind of change, the largest and the mean absolute difference from
the score with the name inserted above (points of 100). Goal: largest <= 0.5, mean <= 0.1.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench.ranking_eval import AS_OF, DEFAULT_DATA, job_specs, load_parsed
from services.common.counterfactual import NAMES, variants
from services.common.skills import load_taxonomy
from services.extractor.structure import structure_resume
from services.ranker.embedding import Embedder
from services.ranker.scoring import Scorer


def named(text: str, name: str) -> tuple[str, str]:
    """The resume with a name and an email above it; and its first line (the headline, usually)."""
    lines = [line for line in text.splitlines() if line.strip()]
    email = ".".join(name.lower().split()) + "@example.com"
    headline = lines[0] if lines else ""
    return "\n".join([name, *lines[:1], f"{email} | +1 415 555 0134", *lines[1:]]), headline


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--limit", type=int, default=0, help="only the first N resumes (0: all 192)")
    args = parser.parse_args()
    data = Path(args.data)
    ids, categories, parsed = load_parsed(data)
    if args.limit:
        ids = ids[: args.limit]
    jobs = job_specs(data)
    taxonomy = load_taxonomy()
    scorer = Scorer(Embedder(threads=2), taxonomy)
    spreads: dict[str, list[float]] = defaultdict(list)
    worst: dict[str, tuple[float, str, str]] = {}
    started = time.perf_counter()
    for resume_id in ids:
        base_name = NAMES[0]
        text, headline = named(parsed[resume_id].full_text, base_name)
        cases = variants(text, base_name, headline)
        resumes = [structure_resume(case.text, taxonomy, AS_OF) for case in cases]
        job = jobs[categories[resume_id]]
        results = scorer.rank_many([(job, resume, None) for resume in resumes])
        base = results[0].final_score
        for case, result in zip(cases[1:], results[1:], strict=True):
            difference = abs(result.final_score - base)
            spreads[case.kind].append(difference)
            if difference > worst.get(case.kind, (-1.0, "", ""))[0]:
                worst[case.kind] = (difference, resume_id, case.label)
    elapsed = time.perf_counter() - started
    print(f"{len(ids)} resumes, each against its category's job; {sum(map(len, spreads.values()))} variants")
    print(f"{'change':<12} {'variants':>8} {'largest':>8} {'mean':>7}  worst case")
    for kind in ("name", "attribute", "order"):
        values = np.array(spreads[kind])
        difference, resume_id, label = worst[kind]
        print(
            f"{kind:<12} {len(values):8d} {values.max():8.2f} {values.mean():7.3f}  "
            f"{difference:.2f} on resume {resume_id} ({label})"
        )
    print(f"\n{elapsed:.0f} s")


if __name__ == "__main__":
    main()
