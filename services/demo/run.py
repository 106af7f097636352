"""The demo `make run` shows: screen the sample resumes against the sample job through the REST API."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from services.demo.mailbox import MailSink
from services.demo.samples import SAMPLE_JOB, write_samples

DEMO_EMAIL = "demo@screener.example.com"
DEMO_PASSWORD = "Demo-Passw0rd!"


def sign_in(client: httpx.Client, mailbox: MailSink) -> str:
    """Sign the demo recruiter up (verifying through the mailbox) or in; returns an access token."""
    response = client.post("/api/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    if response.status_code != 200:
        # No account yet, or one never verified: sign-up mails a (new) code either way.
        before = len(mailbox.messages_to(DEMO_EMAIL))
        signup = client.post(
            "/api/auth/signup",
            json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "name": "Demo Recruiter"},
        )
        signup.raise_for_status()
        code = mailbox.code_for(DEMO_EMAIL, after=before)
        response = client.post("/api/auth/verify", json={"email": DEMO_EMAIL, "code": code})
    response.raise_for_status()
    return str(response.json()["access_token"])


def screen_samples(
    base_url: str, mailbox: MailSink, samples_dir: Path, console: Console, timeout: float = 300.0
) -> list[dict]:
    """Create the sample job, upload the samples, run one batch and return the ranked rows."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        token = sign_in(client, mailbox)
        client.headers["Authorization"] = f"Bearer {token}"
        job = client.post("/api/jobs", json=SAMPLE_JOB).raise_for_status().json()
        paths = write_samples(samples_dir)
        files = [("files", (p.name, p.read_bytes(), "application/pdf")) for p in paths]
        uploaded = client.post(f"/api/jobs/{job['id']}/resumes", files=files).raise_for_status().json()
        console.print(f"uploaded {len(uploaded['items'])} resumes to job [bold]{job['title']}[/bold]")
        started = time.monotonic()
        batch = client.post("/api/batches", json={"job_id": job["id"]}).raise_for_status().json()
        while True:
            batch = client.get(f"/api/batches/{batch['id']}").raise_for_status().json()
            if batch["status"] == "done":
                break
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"batch not done after {timeout:.0f}s: {batch}")
            time.sleep(0.5)
        console.print(
            f"batch done in {time.monotonic() - started:.1f}s: {batch['completed']} ranked, "
            f"{batch['failed']} failed"
        )
        page = (
            client.get(f"/api/jobs/{job['id']}/resumes", params={"page_size": 100}).raise_for_status().json()
        )
        return list(page["items"])


def print_ranking(rows: list[dict], console: Console) -> None:
    table = Table(title="Ranked candidates")
    table.add_column("rank", justify="right")
    table.add_column("score", justify="right")
    table.add_column("screen")
    table.add_column("candidate", no_wrap=True)
    table.add_column("matched skills")
    table.add_column("missing / reason")
    for row in rows:
        screen = (
            "[green]pass[/green]"
            if row["passed"]
            else "[red]fail[/red]"
            if row["passed"] is False
            else row["status"]
        )
        table.add_row(
            str(row["rank"] or "-"),
            f"{row['final_score']:.1f}" if row["final_score"] is not None else "-",
            screen,
            row["candidate_name"] or row["filename"],
            ", ".join(row["matched_skills"][:4]),
            ", ".join(row["missing_skills"][:3]) or row.get("failure_reason") or "",
        )
    console.print(table)
