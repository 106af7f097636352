"""The client installs on its own: a fresh virtualenv that installs only the `screener` distribution
(no extras) has the SDK and the client commands, none of the server's dependencies, and drives a running
mesh through both."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from services.demo.samples import SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh
from tests.conftest import PASSWORD, Account

ROOT = Path(__file__).resolve().parents[2]
SERVER_ONLY = {
    "grpcio",
    "protobuf",
    "nats-py",
    "sqlalchemy",
    "asyncpg",
    "fastapi",
    "torch",
    "pymupdf",
    "opentelemetry-sdk",
    "pgserver",
}


@pytest.fixture(scope="module")
def client_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    place = tmp_path_factory.mktemp("client")
    source = place / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    for package in ("screener", "services"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    venv = place / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(source)], check=True, timeout=900, env=env
    )
    return venv


def _run(venv: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(kwargs.pop("env", {}))  # type: ignore[arg-type]
    # From a folder of its own, so nothing of this checkout is importable by accident.
    return subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=venv, env=env, **kwargs)  # type: ignore[call-overload]


def test_the_client_alone_pulls_nothing_of_the_server(client_venv: Path) -> None:
    listed = _run(client_venv, str(client_venv / "bin" / "pip"), "list", "--format=json")
    installed = {p["name"].lower() for p in json.loads(listed.stdout)}
    assert {"httpx", "pydantic", "rich", "screener"} <= installed
    assert not installed & SERVER_ONLY, installed & SERVER_ONLY
    python = str(client_venv / "bin" / "python")
    sdk = _run(client_venv, python, "-c", "import screener.client, screener.contract.schemas")
    assert sdk.returncode == 0, sdk.stderr
    # The server is not usable from it: its packages' dependencies are missing.
    server = _run(client_venv, python, "-c", "import services.gateway.api")
    assert server.returncode != 0 and "ModuleNotFoundError" in server.stderr
    help_text = _run(client_venv, str(client_venv / "bin" / "screener"), "--help")
    assert help_text.returncode == 0, help_text.stderr
    commands = help_text.stdout.split("{", 1)[1].split("}", 1)[0].split(",")
    expected = ["login", "signup", "verify", "logout", "jobs", "keys", "screen", "resume", "decide", "audit"]
    assert commands == expected
    assert "screener up" not in help_text.stdout


def test_the_client_alone_drives_a_running_mesh(
    client_venv: Path, mesh: Mesh, account: Account, tmp_path: Path
) -> None:
    files = [s for s in SAMPLE_RESUMES if not s.image_only][:2]
    for sample in files:
        (tmp_path / sample.filename).write_bytes(render_pdf(sample.lines))
    script = textwrap.dedent(
        f"""
        import json, sys
        from screener.client import Client
        with Client({mesh.http_url!r}) as client:
            client.login({account.email!r}, {PASSWORD!r})
            job = client.create_job({{"title": "Backend engineer", "required_skills": ["Python"]}})
            client.upload(job.id, [{str(tmp_path)!r}])
            done = client.wait_for_batch(client.start_batch(job.id).id, timeout=240)
            rows = client.list_resumes(job.id).items
            print(json.dumps({{"job": str(job.id), "completed": done.completed,
                               "files": sorted(r.filename for r in rows)}}))
        """
    )
    sdk = _run(client_venv, str(client_venv / "bin" / "python"), "-c", script)
    assert sdk.returncode == 0, sdk.stderr
    seen = json.loads(sdk.stdout)
    assert seen["completed"] == len(files)
    assert seen["files"] == sorted(s.filename for s in files)

    cli_env = {
        "SCREENER_URL": mesh.http_url,
        "SCREENER_CONFIG_DIR": str(tmp_path / "config"),
        "COLUMNS": "200",
    }
    screener = str(client_venv / "bin" / "screener")
    login = _run(
        client_venv,
        screener,
        "login",
        "--email",
        account.email,
        "--password-stdin",
        input=PASSWORD + "\n",
        env=cli_env,
    )
    assert login.returncode == 0, login.stderr
    shown = _run(client_venv, screener, "jobs", "show", seen["job"], env=cli_env)
    assert shown.returncode == 0, shown.stderr
    assert all(s.lines[0] in shown.stdout for s in files), shown.stdout  # the candidates by name
