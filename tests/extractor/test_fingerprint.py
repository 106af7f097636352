"""Saved parses are keyed by the extractor that made them: a changed extractor never reuses old ones."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bench.ranking_eval import cache_key
from services.extractor.fingerprint import SOURCES, extractor_version, fingerprint


def test_the_fingerprint_changes_with_any_source_file(tmp_path: Path) -> None:
    (tmp_path / "extractor").mkdir()
    (tmp_path / "common" / "data").mkdir(parents=True)
    structure = tmp_path / "extractor" / "structure.py"
    structure.write_text("RULES = 1\n")
    (tmp_path / "common" / "data" / "skills.yaml").write_text("python: [py]\n")
    first = fingerprint(tmp_path, SOURCES)
    assert fingerprint(tmp_path, SOURCES) == first
    structure.write_text("RULES = 2\n")
    second = fingerprint(tmp_path, SOURCES)
    assert second != first
    (tmp_path / "common" / "data" / "skills.yaml").write_text("python: [py, python3]\n")
    assert fingerprint(tmp_path, SOURCES) not in {first, second}


def test_the_installed_extractor_has_a_fingerprint_over_its_real_files() -> None:
    version = extractor_version()
    assert len(version) == 16 and version == fingerprint()
    # Only the extractor's inputs count: a file elsewhere in the tree is not one of them.
    assert fingerprint(sources=("extractor/*.py",)) != fingerprint(sources=("ranker/*.py",))


def test_the_ranking_evaluation_cache_key_names_file_extractor_and_date() -> None:
    content = b"%PDF-1.7 resume"
    key = cache_key(content, "aaaa", date(2026, 11, 1))
    assert key == cache_key(content, "aaaa", date(2026, 11, 1))
    assert key != cache_key(content, "bbbb", date(2026, 11, 1))  # another extractor
    assert key != cache_key(content, "aaaa", date(2027, 11, 1))  # another reference date
    assert key != cache_key(content + b" ", "aaaa", date(2026, 11, 1))  # another file
