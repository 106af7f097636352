"""Every table of figures in docs/performance.md names the command that produces it, and that command
is one the benchmarks accept."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PERFORMANCE = ROOT / "docs" / "performance.md"
COMMAND = re.compile(r"`(?:[A-Z_]+=\S+ )*python -m (bench\.\w+)([^`]*)`")


def _tables(lines: list[str]) -> list[tuple[int, str]]:
    """(first line index, the text since the previous table) for each table."""
    found, since = [], 0
    for index, line in enumerate(lines):
        if line.startswith("|") and (index == 0 or not lines[index - 1].startswith("|")):
            found.append((index, "\n".join(lines[since:index])))
        if line.startswith("|"):
            since = index + 1
    return found


def test_every_table_names_a_command_the_benchmarks_accept() -> None:
    lines = PERFORMANCE.read_text().splitlines()
    tables = _tables(lines)
    assert len(tables) >= 6
    commands: dict[str, set[str]] = {}
    for index, before in tables:
        assert "Produced by:" in before, f"the table at line {index + 1} does not say what produces it"
        named = COMMAND.findall(before[before.index("Produced by:") :].replace("\n", " "))
        assert named, f"the table at line {index + 1} names no `python -m bench...` command"
        for module, arguments in named:
            commands.setdefault(module, set()).update(re.findall(r"--[a-z][a-z-]*", arguments))
    for module, flags in commands.items():
        assert (ROOT / (module.replace(".", "/") + ".py")).exists(), module
        shown = subprocess.run(
            [sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert shown.returncode == 0, (module, shown.stderr[-2000:])
        for flag in flags:
            assert flag in shown.stdout, (module, flag)
