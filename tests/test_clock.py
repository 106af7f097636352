"""The suite does not depend on the calendar: the tests whose truth has dates in it pass a year ahead.

Generated resumes and their ground truth are written on a fixed date (services.demo.factory.AS_OF)
and read with that date as "Present", so no test compares against the real clock. This runs those
tests again under libfaketime with the clock a year ahead, after checking that the shift took.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AHEAD = "+365d"
DATED_TESTS = ["tests/extractor", "tests/common/test_redaction.py", "tests/analyzer/test_llm_analysis.py"]


def _faketime(*command: str, timeout: float) -> subprocess.CompletedProcess[str]:
    faketime = shutil.which("faketime")
    assert faketime, "faketime (Debian package faketime) is missing: `make install` installs it"
    # libfaketime moves the monotonic clock too (leaving it alone breaks Python's time.sleep), so a
    # thread's timed wait would last the year: the dated tests need no mesh and no such waits.
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [faketime, "-f", AHEAD, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_the_dated_tests_pass_with_the_clock_a_year_ahead() -> None:
    probe = _faketime(sys.executable, "-c", "import datetime; print(datetime.date.today())", timeout=60)
    assert probe.returncode == 0, probe.stderr
    shifted = date.fromisoformat(probe.stdout.strip())
    assert 364 <= (shifted - date.today()).days <= 366, shifted

    run = _faketime(
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *DATED_TESTS, timeout=1200
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and " failed" not in run.stdout
