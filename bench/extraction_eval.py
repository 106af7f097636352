"""Field-level extraction accuracy on generated resumes of many layouts.

    python -m bench.extraction_eval --per-layout 10

Each generated resume comes with its ground truth (services.demo.factory). For each field the
table gives precision, recall and F1 over all resumes: name, email and phone (exact, phone in
E.164), skills (taxonomy names: every skill found that the resume does not state is a false
positive, every stated skill not found a false negative), experience entries (title, company, start and end
month all right), education (institution found) and total years (within 0.2 of the truth).
"""

from __future__ import annotations

import argparse
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

from screener.v1 import resume_pb2
from services.common.skills import load_taxonomy, normalize_text
from services.demo.factory import LAYOUTS, Person, make_person, render
from services.extractor.isolated import parse_document
from services.extractor.reading import DocumentReader

FIELDS = ["name", "email", "phone", "skills", "experience", "education", "total_years"]


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, tp: int, fp: int, fn: int) -> None:
        self.tp, self.fp, self.fn = self.tp + tp, self.fp + fp, self.fn + fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    fields: dict[str, Counts] = field(default_factory=lambda: {f: Counts() for f in FIELDS})
    by_layout: dict[str, dict[str, Counts]] = field(
        default_factory=lambda: defaultdict(lambda: {f: Counts() for f in FIELDS})
    )
    seconds_per_page: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    # Skills found that only hidden text (white, tiny or off-page) named: always wrong.
    hidden_skills_found: int = 0

    def add(self, layout: str, name: str, tp: int, fp: int, fn: int) -> None:
        self.fields[name].add(tp, fp, fn)
        self.by_layout[layout][name].add(tp, fp, fn)


def _single(report: Report, layout: str, name: str, predicted: str, truth: str) -> None:
    if not predicted:
        report.add(layout, name, 0, 0, 1)
    elif normalize_text(predicted) == normalize_text(truth):
        report.add(layout, name, 1, 0, 0)
    else:
        report.add(layout, name, 0, 1, 1)


def score(report: Report, layout: str, person: Person, parsed: resume_pb2.ParsedResume) -> None:
    _single(report, layout, "name", parsed.contact.name, person.name)
    _single(report, layout, "email", parsed.contact.email, person.email)
    _single(report, layout, "phone", parsed.contact.phone, person.phone_e164)
    found = {s.name for s in parsed.skills}
    truth_skills = set(person.skills)
    # Every skill found that the resume does not state is a false positive, whether it was invented
    # from other words or taken from hidden text.
    report.add(
        layout, "skills", len(found & truth_skills), len(found - truth_skills), len(truth_skills - found)
    )
    report.hidden_skills_found += len(found & set(person.hidden_skills))
    truth_jobs = {(normalize_text(j.title), normalize_text(j.company), j.start, j.end) for j in person.jobs}
    got_jobs = {
        (
            normalize_text(e.title),
            normalize_text(e.company),
            (e.start.year, e.start.month),
            None if e.current else (e.end.year, e.end.month),
        )
        for e in parsed.experience
    }
    report.add(
        layout,
        "experience",
        len(got_jobs & truth_jobs),
        len(got_jobs - truth_jobs),
        len(truth_jobs - got_jobs),
    )
    schools = [e.institution or e.text for e in parsed.education]
    hit = any(person.school.lower() in s.lower() for s in schools)
    report.add(layout, "education", int(hit), int(bool(schools) and not hit), int(not hit))
    ok = abs(parsed.total_years_experience - person.total_years) <= 0.2
    report.add(layout, "total_years", int(ok), int(not ok and parsed.total_years_experience > 0), int(not ok))


def run(per_layout: int, seed: int = 2026, layouts: list[str] | None = None) -> Report:
    reader = DocumentReader(ocr_workers=2)
    taxonomy = load_taxonomy()
    rng = random.Random(seed)
    report = Report()
    try:
        for layout in layouts or LAYOUTS:
            for _ in range(per_layout):
                person = make_person(rng)
                _, content = render(person, layout, rng)
                started = time.perf_counter()
                parsed = parse_document(reader, taxonomy, content, as_of=person.as_of)
                elapsed = time.perf_counter() - started
                kind = "ocr" if parsed.stats.ocr_pages else "text"
                report.seconds_per_page[kind].append(elapsed / max(parsed.stats.page_count, 1))
                score(report, layout, person, parsed)
    finally:
        reader.close()
    return report


def format_report(report: Report) -> str:
    lines = [f"{'field':<12} {'precision':>9} {'recall':>7} {'F1':>6}   (tp/fp/fn)"]
    for name, counts in report.fields.items():
        lines.append(
            f"{name:<12} {counts.precision:9.3f} {counts.recall:7.3f} {counts.f1:6.3f}   "
            f"({counts.tp}/{counts.fp}/{counts.fn})"
        )
    lines.append(f"skills named only by hidden text and found anyway: {report.hidden_skills_found}")
    lines.append("")
    lines.append("F1 by layout: " + " ".join(f"{f[:6]:>7}" for f in FIELDS))
    for layout, fields in report.by_layout.items():
        lines.append(f"{layout:<13} " + " ".join(f"{fields[f].f1:7.2f}" for f in FIELDS))
    lines.append("")
    for kind, values in report.seconds_per_page.items():
        values = sorted(values)
        lines.append(
            f"seconds per page ({kind}): median {values[len(values) // 2]:.3f}, "
            f"max {values[-1]:.3f}, n={len(values)}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--per-layout", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    print(format_report(run(args.per_layout, args.seed)))


if __name__ == "__main__":
    main()
