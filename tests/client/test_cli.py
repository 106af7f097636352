"""The `screener` command line, run as a subprocess against the session's mesh: its output, its exit
codes, the stored credentials and their refresh."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from screener.client.cli import AUTH, NOT_FOUND, REFUSED, TIMED_OUT, UNREACHABLE, USAGE
from services.demo.mailbox import MailSink
from services.demo.samples import SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh
from tests.client.conftest import TEXT_SAMPLES
from tests.conftest import PASSWORD, Account

SCREENER = Path(sys.executable).with_name("screener")
JOB_YAML = """\
title: Senior Backend Engineer (Python)
description: >
  Build and run Python microservices on PostgreSQL, Docker and Kubernetes, with gRPC between them.
required_skills: [Python, PostgreSQL]
preferred_skills: [Kubernetes, gRPC]
min_years_experience: 3
rules: {min_years: soft}
"""


class Cli:
    def __init__(self, url: str, config_dir: Path) -> None:
        self.env = {
            **os.environ,
            "SCREENER_URL": url,
            "SCREENER_CONFIG_DIR": str(config_dir),
            "COLUMNS": "200",
            "NO_COLOR": "1",
        }
        self.config = config_dir / "config.json"

    def __call__(
        self, *args: str, stdin: str = "", env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(SCREENER), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            timeout=300,
        )
        # Whatever happened, an expected failure is a message, never a traceback.
        assert "Traceback" not in result.stderr, result.stderr
        return result


@pytest.fixture
def cli(mesh: Mesh, tmp_path: Path) -> Cli:
    return Cli(mesh.http_url, tmp_path / "config")


def login(cli: Cli, account: Account) -> None:
    result = cli("login", "--email", account.email, "--password-stdin", stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert f"as {account.email}" in result.stdout


def test_login_keeps_tokens_private_and_jobs_are_created_and_listed(
    cli: Cli, account: Account, tmp_path: Path
) -> None:
    login(cli, account)
    assert stat.S_IMODE(cli.config.stat().st_mode) == 0o600
    assert stat.S_IMODE(cli.config.parent.stat().st_mode) == 0o700
    stored = json.loads(cli.config.read_text())
    assert stored["email"] == account.email and stored["tokens"]["refresh_token"]

    (tmp_path / "job.yaml").write_text(JOB_YAML)
    created = cli("jobs", "create", "--from", str(tmp_path / "job.yaml"), "--json")
    assert created.returncode == 0, created.stderr
    job = json.loads(created.stdout)
    assert job["required_skills"] == ["Python", "PostgreSQL"] and job["rules"]["min_years"] == "soft"

    listed = cli("jobs", "list", "--json")
    assert listed.returncode == 0 and job["id"] in {j["id"] for j in json.loads(listed.stdout)}
    table = cli("jobs", "list")
    assert table.returncode == 0 and "Senior Backend Engineer (Python)" in table.stdout

    # A job file with a mistake is refused before anything is sent, with the field named.
    (tmp_path / "bad.yaml").write_text("title: ''\nmin_years_experience: -2\n")
    bad = cli("jobs", "create", "--from", str(tmp_path / "bad.yaml"))
    assert bad.returncode == USAGE and "min_years_experience" in bad.stderr and "title" in bad.stderr
    # A misspelt field is refused with the one that was meant, never dropped.
    (tmp_path / "typo.yaml").write_text("title: Backend Engineer\nrequired_skils: [Python]\n")
    typo = cli("jobs", "create", "--from", str(tmp_path / "typo.yaml"))
    assert typo.returncode == USAGE and "did you mean 'required_skills'" in typo.stderr

    # --dry-run shows what the ranker will read and creates nothing.
    (tmp_path / "draft.yaml").write_text(
        "title: Senior Data Engineer\ndescription: Build pipelines in Python and Spark. 6+ years. "
        "A master's degree is required; Airflow is a plus.\n"
    )
    before = {j["id"] for j in json.loads(cli("jobs", "list", "--json").stdout)}
    dry = cli("jobs", "create", "--from", str(tmp_path / "draft.yaml"), "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    preview = json.loads(dry.stdout)
    assert {"Python", "Apache Spark"} <= set(preview["required_skills"]) and preview["min_years"] == 6
    assert preview["education"] == "master" and preview["seniority"] == "senior"
    assert {"skills", "min_years", "education"} <= set(preview["derived"])
    assert abs(sum(preview["weights"].values()) - 1) < 1e-3
    assert {r["rule"] for r in preview["rules"]} == {"required_skills", "min_years", "education"}
    shown = cli("jobs", "create", "--from", str(tmp_path / "draft.yaml"), "--dry-run")
    assert (
        shown.returncode == 0
        and "nothing created" in shown.stdout
        and "read from the description" in shown.stdout
    )
    assert {j["id"] for j in json.loads(cli("jobs", "list", "--json").stdout)} == before


def test_screen_a_folder_prints_the_ranked_table_and_resume_details(
    cli: Cli, account: Account, resume_folder: Path, tmp_path: Path
) -> None:
    login(cli, account)
    (tmp_path / "job.yaml").write_text(JOB_YAML)
    screened = cli("screen", "--job", str(tmp_path / "job.yaml"), str(resume_folder), "--output", "json")
    assert screened.returncode == 0, screened.stderr
    ranked = json.loads(screened.stdout)
    items = ranked["items"]
    assert [r["rank"] for r in items] == list(range(1, len(TEXT_SAMPLES) + 1))
    assert all(r["status"] == "completed" for r in items)
    # Progress and the refused file went to stderr, keeping stdout machine-readable.
    assert "refused empty.pdf" in screened.stderr and "bad_file" in screened.stderr
    assert "notes.txt" not in screened.stderr and "scan.tif" not in screened.stderr
    assert f"{len(TEXT_SAMPLES)} ranked, 0 failed" in screened.stderr

    # Screening more files into the same job by id (the second time the file is a duplicate, screened
    # again); CSV and a top-N table.
    extra = tmp_path / "extra"
    extra.mkdir()
    another = next(s for s in SAMPLE_RESUMES if not s.image_only and s not in TEXT_SAMPLES)
    (extra / another.filename).write_bytes(render_pdf(another.lines))
    as_csv = cli("screen", "--job", ranked["job_id"], str(extra), "--output", "csv")
    assert as_csv.returncode == 0, as_csv.stderr
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(rows) == len(TEXT_SAMPLES) + 1 and rows[0]["rank"] == "1"
    top = cli("screen", "--job", ranked["job_id"], str(extra), "--top", "2")
    assert top.returncode == 0, top.stderr
    for column in ("rank", "score", "result", "name", "matched skills", "missing skills"):
        assert column in top.stdout
    best = items[0]
    # The ranking after the extra file, as the CSV gave it (same job, same resumes).
    shown_names = [
        r["candidate_name"] or r["filename"] for r in sorted(rows, key=lambda r: int(r["rank"]))[:3]
    ]
    assert len(set(shown_names)) == 3, shown_names
    # The top two rows are printed and the third is not (the table names candidates; it shows no ids).
    assert shown_names[0] in top.stdout and shown_names[1] in top.stdout
    assert shown_names[2] not in top.stdout and "ranked (2)" in top.stdout

    shown = cli("resume", "show", best["id"])
    assert shown.returncode == 0, shown.stderr
    for part in ("score components", "rules and reasons", "skills", "parse quality", "semantic"):
        assert part in shown.stdout
    assert best["candidate_name"] in shown.stdout
    detail = json.loads(cli("resume", "show", best["id"], "--json").stdout)
    assert detail["id"] == best["id"] and detail["rank"] == 1
    # Short ids: the first characters of a resume's or a job's id, when no other id starts so.
    short = cli("resume", "show", best["id"][:8], "--json")
    assert short.returncode == 0, short.stderr
    assert json.loads(short.stdout)["id"] == best["id"]
    assert cli("resume", "show", "zz").returncode == USAGE

    # An existing job's ranked table, by a short job id, in the same order as the screen printed it.
    again = cli("jobs", "show", ranked["job_id"][:6], "--output", "json")
    assert again.returncode == 0, again.stderr
    assert [r["id"] for r in json.loads(again.stdout)["items"]][: len(rows)] == [
        r["resume_id"] for r in sorted(rows, key=lambda r: int(r["rank"]))
    ]
    # An analysis asked for from the command line, labelled with who wrote it.
    analysis = cli("resume", "analyze", best["id"][:8], "--wait", "--json")
    assert analysis.returncode == 0, analysis.stderr
    answer = json.loads(analysis.stdout)
    assert answer["analysis"]["summary"] and answer["analysis_label"].startswith(
        "written by the language model"
    )


def test_failures_have_their_exit_codes_and_a_message(cli: Cli, account: Account, tmp_path: Path) -> None:
    not_logged_in = cli("jobs", "list")
    assert not_logged_in.returncode == AUTH and "screener login" in not_logged_in.stderr

    wrong = cli("login", "--email", account.email, "--password-stdin", stdin="nope\n")
    assert wrong.returncode == AUTH and "wrong email or password" in wrong.stderr

    login(cli, account)
    missing = cli("resume", "show", str(uuid.uuid4()))
    assert missing.returncode == NOT_FOUND and "not found" in missing.stderr
    no_files = cli("screen", "--job", str(uuid.uuid4()), str(tmp_path / "nowhere"))
    assert no_files.returncode == USAGE and "no such file or folder" in no_files.stderr
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "empty.pdf").write_bytes(b"")
    (junk / "text.pdf").write_bytes(b"this is not a pdf")
    (tmp_path / "job.yaml").write_text(JOB_YAML)
    refused = cli("screen", "--job", str(tmp_path / "job.yaml"), str(junk))
    assert refused.returncode == REFUSED and "every file was refused" in refused.stderr, refused.stderr

    scans = tmp_path / "scans"
    scans.mkdir()
    scan = next(s for s in SAMPLE_RESUMES if s.image_only)
    (scans / scan.filename).write_bytes(render_pdf(scan.lines, image_only=True))
    impatient = cli("screen", "--job", str(tmp_path / "job.yaml"), str(scans), "--wait-timeout", "0.001")
    assert impatient.returncode == TIMED_OUT and "still running" in impatient.stderr, impatient.stderr

    unreachable = cli("jobs", "list", "--url", "http://127.0.0.1:9", env={"SCREENER_API_KEY": "sk_unused"})
    assert unreachable.returncode == UNREACHABLE and "screener up" in unreachable.stderr

    # Both tokens rejected (the refresh token revoked by logging out elsewhere): log in again.
    stored = json.loads(cli.config.read_text())
    assert cli("logout").returncode == 0 and not cli.config.exists()
    stored["tokens"]["access_token"] = "no-longer-valid"
    cli.config.write_text(json.dumps(stored))
    cli.config.chmod(0o600)
    expired = cli("jobs", "list")
    assert expired.returncode == AUTH and "log in again" in expired.stderr


def test_signup_and_verify_with_the_mailed_code_logs_in(cli: Cli, mailbox: MailSink) -> None:
    email = f"cli-{uuid.uuid4().hex[:8]}@screener-tests.example.com"
    created = cli("signup", "--email", email, "--name", "CLI User", "--password-stdin", stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    assert f"sign-up for {email} received" in created.stdout and "screener verify" in created.stdout
    wrong = cli("verify", "--email", email, "--code", "000000")
    assert wrong.returncode == AUTH and "invalid or expired code" in wrong.stderr
    verified = cli("verify", "--email", email, "--code", mailbox.code_for(email))
    assert verified.returncode == 0, verified.stderr
    assert cli("jobs", "list", "--json").stdout.strip() == "[]"  # logged in, as the new account


def test_api_keys_are_created_used_and_revoked_and_jobs_deleted(
    cli: Cli, account: Account, tmp_path: Path
) -> None:
    login(cli, account)
    created = cli("keys", "create", "--name", "nightly import", "--json")
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)
    assert key["key"].startswith("sk_") and key["name"] == "nightly import"
    listed = json.loads(cli("keys", "list", "--json").stdout)
    assert key["id"] in {k["id"] for k in listed} and all("key" not in k for k in listed)

    # A script with only the key (no login) works, until the key is revoked.
    as_script = {"SCREENER_API_KEY": key["key"], "SCREENER_CONFIG_DIR": str(tmp_path / "empty")}
    (tmp_path / "job.yaml").write_text(JOB_YAML)
    job = json.loads(
        cli("jobs", "create", "--from", str(tmp_path / "job.yaml"), "--json", env=as_script).stdout
    )
    assert cli("keys", "revoke", key["id"]).returncode == 0
    refused = cli("jobs", "list", env=as_script)
    assert refused.returncode == AUTH, refused.stderr

    assert cli("jobs", "delete", job["id"]).returncode == 0
    gone = cli("jobs", "delete", job["id"])
    assert gone.returncode == NOT_FOUND and "not found" in gone.stderr
    assert cli("jobs", "delete", "not-an-id").returncode == USAGE


def test_an_expired_access_token_is_refreshed_and_saved(cli: Cli, account: Account) -> None:
    login(cli, account)
    stored = json.loads(cli.config.read_text())
    stored["tokens"]["access_token"] = "expired"
    stored["tokens"]["expires_at"] = 1.0
    cli.config.write_text(json.dumps(stored))
    result = cli("jobs", "list", "--json")
    assert result.returncode == 0, result.stderr
    renewed = json.loads(cli.config.read_text())["tokens"]
    assert (
        renewed["access_token"] != "expired" and renewed["refresh_token"] != stored["tokens"]["refresh_token"]
    )
    assert stat.S_IMODE(cli.config.stat().st_mode) == 0o600


COMMANDS = [
    [],
    ["up"],
    ["dlq"],
    ["dlq", "list"],
    ["dlq", "replay"],
    ["login"],
    ["signup"],
    ["verify"],
    ["logout"],
    ["jobs"],
    ["jobs", "create"],
    ["jobs", "list"],
    ["jobs", "delete"],
    ["jobs", "show"],
    ["keys"],
    ["keys", "create"],
    ["keys", "list"],
    ["keys", "revoke"],
    ["screen"],
    ["resume"],
    ["resume", "show"],
    ["resume", "analyze"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "screener")
def test_every_command_shows_an_example_in_its_help(command: list[str]) -> None:
    result = subprocess.run([str(SCREENER), *command, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "example" in result.stdout.lower() and "screener " in result.stdout
