"""Fixtures for the SDK and CLI tests: a folder of generated resumes (and refused files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.demo.samples import SAMPLE_RESUMES, render_pdf

TEXT_SAMPLES = [s for s in SAMPLE_RESUMES if not s.image_only][:4]


@pytest.fixture(scope="package")
def resume_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("resumes")
    for sample in TEXT_SAMPLES:
        (folder / sample.filename).write_bytes(render_pdf(sample.lines))
    nested = folder / "more"
    nested.mkdir()
    (nested / "empty.pdf").write_bytes(b"")  # empty: refused at upload
    # Not a type the gateway accepts: never picked up from the folder.
    (folder / "ignored.csv").write_text("a,b\n")
    (nested / "notes.txt").write_text("not a resume type")
    (nested / "scan.tif").write_bytes(b"II*\x00")
    return folder
