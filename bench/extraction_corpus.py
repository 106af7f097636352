"""Extraction smoke run over the real public resumes in ../shared/data (read in place, never copied).

    python -m bench.extraction_corpus [--data ../shared/data]

Reports, per set: files read, failures by reason, quality grades, how often each field was found,
and seconds per page for text-layer pages and for OCR pages.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from services.common.errors import ScreeningError
from services.common.skills import load_taxonomy
from services.extractor.isolated import parse_document
from services.extractor.reading import DocumentReader


def run(folder: Path, reader: DocumentReader) -> dict:
    taxonomy = load_taxonomy()
    files = sorted(folder.rglob("*.pdf"))
    grades: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    found: Counter[str] = Counter()
    seconds: dict[str, list[float]] = {"text": [], "ocr": []}
    for path in files:
        started = time.perf_counter()
        try:
            parsed = parse_document(reader, taxonomy, path.read_bytes())
        except ScreeningError as exc:
            failures[exc.code] += 1
            continue
        elapsed = time.perf_counter() - started
        seconds["ocr" if parsed.stats.ocr_pages else "text"].append(elapsed / max(1, parsed.stats.page_count))
        grades[parsed.quality.grade] += 1
        found["name"] += bool(parsed.contact.name)
        found["email or phone"] += bool(parsed.contact.email or parsed.contact.phone)
        found["experience with dates"] += bool(parsed.experience)
        found["education"] += bool(parsed.education)
        found["skills (5+)"] += len(parsed.skills) >= 5
        found["summary"] += bool(parsed.summary)
        found["flags"] += bool(parsed.flags)
    return {"files": len(files), "grades": grades, "failures": failures, "found": found, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    args = parser.parse_args()
    reader = DocumentReader()
    for name in ("layouts", "ranking/pdfs"):
        folder = Path(args.data) / name
        if not folder.exists():
            print(f"{folder} not found; skipped")
            continue
        result = run(folder, reader)
        read = result["files"] - sum(result["failures"].values())
        print(f"\n== {name}: {result['files']} files, {read} read, failures {dict(result['failures'])}")
        print("grades: " + ", ".join(f"{grade} {count}" for grade, count in sorted(result["grades"].items())))
        for field, count in result["found"].items():
            print(f"  {field:<24} {count:4d} / {read} ({count / max(read, 1):.0%})")
        for kind, values in result["seconds"].items():
            if values:
                values.sort()
                print(
                    f"  seconds per {kind} page: median {values[len(values) // 2]:.3f}, p95 "
                    f"{values[int(len(values) * 0.95) - 1]:.3f}, n={len(values)}"
                )
    reader.close()


if __name__ == "__main__":
    main()
