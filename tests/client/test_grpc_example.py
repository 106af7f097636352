"""The gRPC example in docs/grpc.md (examples/grpc_screen.py) runs as written against the mesh."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from services.launcher import Mesh
from tests.client.conftest import TEXT_SAMPLES
from tests.conftest import Account

ROOT = Path(__file__).resolve().parents[2]


def test_the_grpc_example_screens_resumes(mesh: Mesh, account: Account, resume_folder: Path) -> None:
    key = account.client.post("/api/keys", json={"name": "grpc example"}).json()["key"]
    files = [str(resume_folder / s.filename) for s in TEXT_SAMPLES[:3]]
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "grpc_screen.py"),
            "--target",
            mesh.grpc_address("gateway"),
            "--api-key",
            key,
            *files,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("job ") and "batch " in result.stdout and "3 ranked, 0 failed" in result.stdout
    ranked = [line for line in lines if line.startswith("#")]
    assert [line.split()[0] for line in ranked] == ["#1", "#2", "#3"]
