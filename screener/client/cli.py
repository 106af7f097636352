"""The `screener` commands that talk to a gateway: login, jobs, screen, resume show.

Every expected failure ends with a one-line message and an exit code (never a traceback):
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from rich.console import Console, Group
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from screener.client import Client, Credentials, WaitTimeout, errors, schemas
from screener.client._base import DEFAULT_URL, resume_files
from screener.contract.files import ACCEPTED_SUFFIXES

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

# Exit codes, the same for every command.
OK, FAILED, USAGE, UNREACHABLE, AUTH, NOT_FOUND, REFUSED, BUSY, TIMED_OUT = 0, 1, 2, 3, 4, 5, 6, 7, 8
EXIT_CODES = """exit codes:
  0 done   1 server error   2 bad arguments or files   3 gateway not reachable
  4 not logged in or login expired   5 not found   6 refused (invalid input, every file refused)
  7 busy (rate limited, queue full, unavailable: retry later)   8 timed out waiting
"""


class CliError(Exception):
    def __init__(self, message: str, code: int = USAGE, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.code, self.hint = message, code, hint


# configuration
def config_path() -> Path:
    if os.environ.get("SCREENER_CONFIG_DIR"):
        base = Path(os.environ["SCREENER_CONFIG_DIR"])
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "screener"
    return base / "config.json"


def load_config() -> dict[str, Any]:
    path = config_path()
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read {path}: {exc}") from exc
    return data if isinstance(data, dict) else {}


def save_config(data: dict[str, Any]) -> Path:
    """Written with mode 0600 (the folder 0700): it holds credentials."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(data, handle, indent=2)
    os.chmod(path, 0o600)
    return path


def gateway_url(args: argparse.Namespace, config: dict[str, Any]) -> str:
    return str(args.url or os.environ.get("SCREENER_URL") or config.get("url") or DEFAULT_URL).rstrip("/")


@contextlib.contextmanager
def connect(args: argparse.Namespace, *, authenticated: bool = True) -> Iterator[Client]:
    """A client for the configured gateway with the stored credentials; refreshed tokens are saved."""
    config = load_config()
    url = gateway_url(args, config)
    api_key = os.environ.get("SCREENER_API_KEY") or (
        config.get("api_key") if config.get("url") == url else None
    )
    tokens = config.get("tokens", {}) if config.get("url") == url else {}
    if authenticated and not api_key and not tokens.get("refresh_token"):
        raise CliError(f"not logged in to {url}", AUTH, "run `screener login` first")

    def keep(credentials: Credentials) -> None:
        save_config(
            {
                **load_config(),
                "url": url,
                "tokens": {
                    "access_token": credentials.access_token,
                    "refresh_token": credentials.refresh_token,
                    "expires_at": credentials.expires_at,
                },
            }
        )

    client = Client(
        url,
        api_key=api_key,
        access_token=tokens.get("access_token"),
        refresh_token=tokens.get("refresh_token"),
        expires_at=float(tokens.get("expires_at") or 0),
        on_tokens=keep,
        timeout=args.timeout,
    )
    try:
        yield client
    finally:
        client.close()


def run_command(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Runs a command; turns every expected failure into a message and its exit code."""
    try:
        return func(args)
    except CliError as exc:
        return fail(exc.message, exc.code, exc.hint)
    except errors.Unreachable as exc:
        return fail(exc.message, UNREACHABLE, "is the mesh up? `screener up`, or pass --url / SCREENER_URL")
    except errors.Unauthorized as exc:
        return fail(f"{exc.message} ({exc.code})", AUTH, "log in again: `screener login`")
    except errors.NotFound as exc:
        return fail(exc.message, NOT_FOUND)
    except (errors.InvalidInput, errors.Conflict, errors.Forbidden, errors.BudgetExceeded) as exc:
        return fail(f"{exc.message} ({exc.code})" + _details(exc.details), REFUSED)
    except (errors.RateLimited, errors.Unavailable) as exc:
        wait = f"; retry in {exc.retry_after:g}s" if exc.retry_after else ""
        return fail(f"{exc.message} ({exc.code}){wait}", BUSY)
    except WaitTimeout as exc:
        return fail(
            exc.message, TIMED_OUT, "the batch goes on in the mesh; `screener jobs list` shows its progress"
        )
    except errors.ScreenerError as exc:
        return fail(str(exc), FAILED)
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130


def fail(message: str, code: int, hint: str = "") -> int:
    err.print(f"[red]error:[/red] {message}")
    if hint:
        err.print(f"[dim]{hint}[/dim]")
    return code


def _details(details: Any) -> str:
    if isinstance(details, list):
        return "".join(
            f"\n  {d.get('loc') or d.get('filename', '')}: {d.get('msg') or d.get('message', '')}"
            if isinstance(d, dict)
            else f"\n  {d}"
            for d in details
        )
    return f"\n  {details}" if details else ""


# login / logout
def cmd_login(args: argparse.Namespace) -> int:
    config = load_config()
    url = gateway_url(args, config)
    if args.api_key:
        with Client(url, api_key=args.api_key, timeout=args.timeout) as client:
            client.list_jobs()  # proves the key works
        save_config({"url": url, "api_key": args.api_key})
        out.print(f"API key saved for {url} ({config_path()})")
        return OK
    email = args.email or os.environ.get("SCREENER_EMAIL")
    if not email:
        if not sys.stdin.isatty():
            raise CliError("give --email (or SCREENER_EMAIL)")
        email = input("email: ").strip()
    password = read_password(args)
    with Client(url, timeout=args.timeout) as client:
        client.login(email, password)
        path = save_tokens(url, email, client.credentials)
    out.print(f"logged in to {url} as {email} (tokens in {path})")
    return OK


def save_tokens(url: str, email: str, credentials: Credentials) -> Path:
    tokens = {
        "access_token": credentials.access_token,
        "refresh_token": credentials.refresh_token,
        "expires_at": credentials.expires_at,
    }
    return save_config({"url": url, "email": email, "tokens": tokens})


def read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if os.environ.get("SCREENER_PASSWORD"):
        return os.environ["SCREENER_PASSWORD"]
    if sys.stdin.isatty():
        return getpass.getpass("password: ")
    raise CliError("no password: use --password-stdin or SCREENER_PASSWORD when not at a terminal")


def cmd_signup(args: argparse.Namespace) -> int:
    url = gateway_url(args, load_config())
    with Client(url, timeout=args.timeout) as client:
        account = client.signup(args.email, read_password(args), args.name)
    out.print(f"sign-up for {account.email} received: {account.message}")
    out.print(f"then: screener verify --email {account.email} --code <code>")
    return OK


def cmd_verify(args: argparse.Namespace) -> int:
    url = gateway_url(args, load_config())
    with Client(url, timeout=args.timeout) as client:
        client.verify(args.email, args.code)
        path = save_tokens(url, args.email, client.credentials)
    out.print(f"verified; logged in to {url} as {args.email} (tokens in {path})")
    return OK


def cmd_logout(args: argparse.Namespace) -> int:
    config = load_config()
    if config.get("tokens", {}).get("refresh_token"):
        with contextlib.suppress(errors.ScreenerError), connect(args) as client:
            client.logout()
    path = config_path()
    path.unlink(missing_ok=True)
    out.print("logged out")
    return OK


# jobs
def read_job_file(path: Path) -> schemas.JobCreate:
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise CliError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CliError(f"{path} should hold a mapping of job fields (title, description, required_skills...)")
    try:
        return schemas.JobCreate.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise CliError(f"{path}: {problems}") from exc


def cmd_jobs_create(args: argparse.Namespace) -> int:
    job_spec = read_job_file(Path(args.from_file))
    if args.dry_run:
        with connect(args) as client:
            preview = client.preview_job(job_spec)
        if args.json:
            print(preview.model_dump_json(indent=2))
        else:
            out.print(preview_view(job_spec, preview))
        return OK
    with connect(args) as client:
        job = client.create_job(job_spec)
    if args.json:
        print(job.model_dump_json(indent=2))
    else:
        out.print(f"created job {job.id}: {job.title}")
    return OK


def preview_view(job: schemas.JobCreate, preview: schemas.JobPreview) -> Table:
    derived = set(preview.derived)

    def source(field: str) -> str:
        return "read from the description" if field in derived else "as written"

    table = Table(title=f"{job.title}: what the ranker will read (nothing created)", show_edge=False)
    table.add_column("field")
    table.add_column("value")
    table.add_column("source", style="dim")
    table.add_row("required skills", ", ".join(preview.required_skills) or "-", source("skills"))
    table.add_row("preferred skills", ", ".join(preview.preferred_skills) or "-", source("skills"))
    table.add_row("minimum years", f"{preview.min_years:g}", source("min_years"))
    table.add_row("seniority", preview.seniority or "-", source("seniority"))
    table.add_row("education", preview.education.replace("_", " ") or "-", source("education"))
    table.add_row(
        "weights",
        ", ".join(f"{name} {value:.2f}" for name, value in preview.weights.items() if value),
        "sum to 1",
    )
    for rule in preview.rules:
        table.add_row(f"rule: {rule.rule}", rule.severity, rule.explanation)
    return table


def cmd_jobs_delete(args: argparse.Namespace) -> int:
    with connect(args) as client:
        job_id = job_ref(client, args.id)
        client.delete_job(job_id)
    out.print(f"deleted job {job_id} with its resumes and files")
    return OK


def job_ref(client: Client, text: str) -> uuid.UUID:
    """A job by its id or the start of it (unambiguous among your jobs)."""
    with contextlib.suppress(ValueError):
        return uuid.UUID(text)
    if not text or not all(c in "0123456789abcdefABCDEF-" for c in text):
        raise CliError(f"{text!r} is not a job id or the start of one")
    matches = [job.id for job in client.list_jobs() if str(job.id).startswith(text.lower())]
    return _one(matches, text, "job")


def resume_ref(client: Client, text: str) -> uuid.UUID:
    """A resume by its id or the start of it (at least 4 characters, unambiguous among your resumes)."""
    with contextlib.suppress(ValueError):
        return uuid.UUID(text)
    if len(text) < 4 or not all(c in "0123456789abcdefABCDEF-" for c in text):
        raise CliError(f"{text!r} is not a resume id or the start of one (4 or more hex digits)")
    return _one(client.lookup_resumes(text), text, "resume")


def _one(matches: list[uuid.UUID], text: str, what: str) -> uuid.UUID:
    if not matches:
        raise CliError(f"no {what} id starts with {text!r}", NOT_FOUND)
    if len(matches) > 1:
        raise CliError(f"{text!r} starts more than one {what} id: give more of it")
    return matches[0]


def parse_id(text: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError as exc:
        raise CliError(f"{text!r} is not a {what} id") from exc


# API keys
def cmd_keys_create(args: argparse.Namespace) -> int:
    with connect(args) as client:
        key = client.create_api_key(args.name)
    if args.json:
        print(key.model_dump_json(indent=2))
    else:
        out.print(f"API key {key.id} ({key.name}); the secret is shown only now:")
        print(key.key)
    return OK


def cmd_keys_list(args: argparse.Namespace) -> int:
    with connect(args) as client:
        keys = client.list_api_keys()
    if args.json:
        print(json.dumps([key.model_dump(mode="json") for key in keys], indent=2))
        return OK
    table = Table(title=f"API keys ({len(keys)})")
    for column in ("id", "name", "prefix", "created", "last used", "revoked"):
        table.add_column(column, no_wrap=column == "id")
    for key in keys:
        table.add_row(
            str(key.id),
            key.name,
            key.prefix,
            key.created_at.strftime("%Y-%m-%d %H:%M"),
            key.last_used_at.strftime("%Y-%m-%d %H:%M") if key.last_used_at else "-",
            key.revoked_at.strftime("%Y-%m-%d %H:%M") if key.revoked_at else "",
        )
    out.print(table)
    return OK


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    key_id = parse_id(args.id, "key")
    with connect(args) as client:
        client.revoke_api_key(key_id)
    out.print(f"revoked API key {key_id}")
    return OK


def cmd_jobs_list(args: argparse.Namespace) -> int:
    with connect(args) as client:
        jobs = client.list_jobs()
    if args.json:
        print(json.dumps([job.model_dump(mode="json") for job in jobs], indent=2))
        return OK
    table = Table(title=f"jobs ({len(jobs)})")
    for column, justify in (
        ("id", "left"),
        ("title", "left"),
        ("resumes", "right"),
        ("done", "right"),
        ("failed", "right"),
        ("created", "left"),
    ):
        table.add_column(column, justify=justify, no_wrap=column in ("id", "created"))  # type: ignore[arg-type]
    for job in jobs:
        table.add_row(
            str(job.id),
            job.title,
            str(job.total_resumes),
            str(job.completed_resumes),
            str(job.failed_resumes),
            job.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    out.print(table)
    return OK


# screen
def resolve_job(client: Client, reference: str) -> schemas.JobOut:
    path = Path(reference)
    if path.suffix.lower() in (".yaml", ".yml", ".json") or path.is_file():
        job = client.create_job(read_job_file(path))
        err.print(f"created job {job.id}: {job.title}")
        return job
    return client.get_job(job_ref(client, reference))


def cmd_screen(args: argparse.Namespace) -> int:
    try:
        paths = resume_files(args.paths)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from exc
    if not paths:
        raise CliError(f"no resume files found ({', '.join(ACCEPTED_SUFFIXES)})")
    with connect(args) as client:
        job = resolve_job(client, args.job)
        with progress_bar() as bar:
            task = bar.add_task("uploading", total=len(paths))
            items = client.upload(
                job.id, paths, concurrency=args.concurrency, on_progress=lambda n: bar.advance(task, n)
            )
        refused = [item for item in items if item.error]
        for item in refused:
            error = item.error or {}
            err.print(
                f"[yellow]refused[/yellow] {item.filename}: "
                f"{error.get('message', '')} ({error.get('code', '')})"
            )
        accepted = [item.id for item in items if item.id and not item.error]
        if not accepted:
            raise CliError("every file was refused", REFUSED)
        err.print(f"uploaded {len(accepted)} of {len(items)} files")
        batch = client.start_batch(job.id, accepted)
        batch = follow(client, batch, args.wait_timeout)
        rows = list(client.iter_resumes(job.id))
    print_ranked(rows[: args.top] if args.top else rows, args.output, job)
    if batch.failed:
        err.print(f"[yellow]{batch.failed} resume(s) failed[/yellow]; see `screener resume show <id>`")
    return OK


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
    )


def follow(client: Client, batch: schemas.BatchOut, timeout: float | None) -> schemas.BatchOut:
    """Live progress of the batch: done, failed, rate and time left."""
    started = time.monotonic()
    with Progress(
        TextColumn("screening"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed  {task.fields[rate]}"),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=err,
    ) as bar:
        task = bar.add_task("screening", total=batch.total, failed=0, rate="")

        def show(state: schemas.BatchOut) -> None:
            finished = state.completed + state.failed
            elapsed = max(time.monotonic() - started, 1e-6)
            stalled = "  [yellow]stalled[/yellow]" if state.stalled else ""
            bar.update(
                task, completed=finished, failed=state.failed, rate=f"{finished / elapsed:.1f}/s{stalled}"
            )

        done = client.wait_for_batch(batch.id, on_progress=show, timeout=timeout)
        show(done)
    err.print(
        f"batch {done.id}: {done.completed} ranked, {done.failed} failed in {time.monotonic() - started:.1f}s"
    )
    return done


COLUMNS = ("rank", "score", "result", "name", "matched skills", "missing skills", "summary")


def listed(items: list[str], most: int = 5) -> str:
    """A list cut at `most`, saying how many more there are."""
    shown = ", ".join(items[:most])
    return shown + (f" (+{len(items) - most} more)" if len(items) > most else "")


def print_ranked(rows: list[schemas.ResumeRow], output: str, job: schemas.JobOut) -> None:
    if output == "json":
        print(json.dumps(schemas.ranked_document(job.id, job.title, rows), indent=2))
        return
    if output == "csv":
        sys.stdout.write(schemas.ranked_csv(rows))
        return
    table = Table(title=f"{job.title}: ranked ({len(rows)})")
    for column in COLUMNS:
        table.add_column(column, justify="right" if column in ("rank", "score") else "left")
    for r in rows:
        if r.status == "failed":
            result = Text(f"failed: {r.failure_reason or ''}", style="red")
        elif r.passed is None:
            result = Text(r.status, style="dim")
        else:
            result = Text("pass", style="green") if r.passed else Text("fail", style="red")
        table.add_row(
            str(r.rank or ""),
            "" if r.final_score is None else f"{r.final_score:.1f}",
            result,
            (r.candidate_name or r.filename)
            + (f" (+{len(r.other_files)} more files)" if r.other_files else ""),
            listed(r.matched_skills),
            listed(r.missing_skills),
            r.summary or "",
        )
    out.print(table)


def cmd_jobs_show(args: argparse.Namespace) -> int:
    """An existing job's ranked table, as `screener screen` prints it."""
    with connect(args) as client:
        job = client.get_job(job_ref(client, args.id))
        rows = list(client.iter_resumes(job.id))
    print_ranked(rows[: args.top] if args.top else rows, args.output, job)
    return OK


def cmd_resume_analyze(args: argparse.Namespace) -> int:
    """Ask for a resume's analysis; with --wait, print it when it is ready."""
    with connect(args) as client:
        resume_id = resume_ref(client, args.id)
        accepted = client.request_analysis(resume_id)
        err.print(f"analysis of {resume_id}: {accepted.analysis_status}")
        if not args.wait:
            return OK
        deadline = time.monotonic() + args.wait_timeout
        resume = client.get_resume(resume_id)
        while resume.analysis_status in (None, "pending"):
            if time.monotonic() > deadline:
                raise CliError(f"the analysis was not ready after {args.wait_timeout:g} s", TIMED_OUT)
            time.sleep(1)
            resume = client.get_resume(resume_id)
    if args.json:
        print(json.dumps({"analysis_label": resume.analysis_label, "analysis": resume.analysis}, indent=2))
    else:
        out.print(resume_view(resume))
    return OK


# resume show
def cmd_resume_show(args: argparse.Namespace) -> int:
    with connect(args) as client:
        resume = client.get_resume(resume_ref(client, args.id), reveal=args.reveal)
    if args.json:
        print(resume.model_dump_json(indent=2))
        return OK
    out.print(resume_view(resume))
    return OK


def resume_view(resume: schemas.ResumeDetail) -> Group:
    parsed = resume.parsed or {}
    ranking = resume.ranking or {}
    name = resume.candidate_name or ("(masked)" if resume.redacted else "(no name found)")
    verdict = "" if resume.passed is None else ("[green]pass[/green]" if resume.passed else "[red]fail[/red]")
    head = [f"[bold]{name}[/bold]  {resume.filename}", f"status {resume.status}"]
    if resume.final_score is not None:
        head.append(f"score {resume.final_score:.1f}  rank {resume.rank or '-'}  {verdict}")
    if resume.failure:
        head.append(f"[red]failed: {resume.failure.get('reason')}: {resume.failure.get('message')}[/red]")
    contact = parsed.get("contact") or {}
    head.append("  ".join(str(contact[k]) for k in ("email", "phone", "location") if contact.get(k)))
    parts: list[Any] = [Panel("\n".join(line for line in head if line), title="resume")]

    if resume.score_components:
        weights = ranking.get("weights") or {}
        table = Table(title="score components", show_edge=False)
        for column in ("component", "value", "weight"):
            table.add_column(column, justify="left" if column == "component" else "right")
        for key in ("semantic", "lexical", "skills", "experience", "title"):
            if key in resume.score_components:
                table.add_row(
                    key, f"{float(resume.score_components[key]):.2f}", f"{float(weights.get(key, 0)):.2f}"
                )
        penalty = resume.score_components.get("soft_penalty")
        if penalty not in (None, 1, 1.0):
            table.add_row("soft penalty", f"x{float(penalty):.2f}", "")
        parts.append(table)
    rules = ranking.get("rules") or []
    if rules or resume.reasons:
        lines = [
            f"{'[green]ok[/green]  ' if rule.get('passed') else '[red]no[/red]  '}{rule.get('rule')} "
            f"({rule.get('severity')}): {rule.get('detail')}"
            for rule in rules
        ]
        lines += [f"- {reason}" for reason in resume.reasons]
        if resume.explanation:
            lines.append(resume.explanation)
        parts.append(Panel("\n".join(lines), title="rules and reasons"))
    matched = list(ranking.get("matched_required", [])) + list(ranking.get("matched_preferred", []))
    missing = list(ranking.get("missing_required", [])) + list(ranking.get("missing_preferred", []))
    skills = [skill.get("name", "") for skill in parsed.get("skills", [])]
    if matched or missing or skills:
        parts.append(
            Panel(
                f"[green]matched[/green] {', '.join(matched) or '-'}\n"
                f"[red]missing[/red] {', '.join(missing) or '-'}\n"
                f"listed  {', '.join(skills[:30]) or '-'}",
                title="skills",
            )
        )
    experience = parsed.get("experience") or []
    if experience:
        table = Table(
            title=f"experience ({float(parsed.get('total_years_experience', 0)):g} years)", show_edge=False
        )
        for column in ("when", "title", "company"):
            table.add_column(column)
        for entry in experience:
            table.add_row(_span(entry), entry.get("title", ""), entry.get("company", ""))
        parts.append(table)
    education = parsed.get("education") or []
    if education:
        lines = []
        for entry in education:
            named = ", ".join(str(entry[k]) for k in ("degree", "institution") if entry.get(k))
            line = str(entry.get("text") or named)
            span = _span(entry)
            lines.append(f"{line} ({span})" if span and span not in line else line)
        parts.append(Panel("\n".join(lines), title="education"))
    quality = resume.quality or {}
    if quality:
        issues = ", ".join(quality.get("issues", [])) or "none"
        flags = "; ".join(f"{f.get('kind')}: {str(f.get('text', ''))[:60]}" for f in resume.flags) or "none"
        parts.append(
            Panel(
                f"grade {quality.get('grade', '?')}; issues: {issues}\nflags: {flags}", title="parse quality"
            )
        )
    analysis = resume.analysis or {}
    if resume.analysis_status or analysis:
        lines = [f"status {resume.analysis_status or '-'}"]
        if resume.analysis_label:
            lines.append(f"[bold]{resume.analysis_label}[/bold]")
        if analysis.get("summary"):
            lines.append(str(analysis["summary"]))
        for key in ("strengths", "gaps", "risks", "interview_questions"):
            for item in analysis.get(key, []) or []:
                lines.append(f"{key.replace('_', ' ')}: {item}")
        if analysis.get("error"):
            lines.append(f"[red]{analysis['error'].get('message')}[/red]")
        parts.append(Panel("\n".join(lines), title="analysis"))
    return Group(*parts)


def _span(entry: dict[str, Any]) -> str:
    def when(value: Any) -> str:
        if not isinstance(value, dict) or not value.get("year"):
            return ""
        return (
            f"{value['year']}-{int(value.get('month') or 0):02d}"
            if value.get("month")
            else str(value["year"])
        )

    end = "now" if entry.get("current") else when(entry.get("end"))
    start = when(entry.get("start"))
    return f"{start} - {end}" if start and end else start or end


# parser
LOGIN_EXAMPLE = """examples:
  screener login --email recruiter@example.com          # asks for the password
  echo "$PASSWORD" | screener login --email me@example.com --password-stdin
  screener login --api-key sk_...                       # a key from POST /api/keys
  screener --url https://screener.example.com login --email me@example.com
"""
KEYS_EXAMPLE = """examples:
  screener keys create --name ats-sync     # prints sk_... once: use it as a Bearer token or x-api-key
  screener keys list
  screener keys revoke 7d0e...
"""
SIGNUP_EXAMPLE = """examples:
  screener signup --email me@example.com --name "Me"    # asks for a password; mails a code
  screener verify --email me@example.com --code 123456  # (no SMTP_URL: the code is in the gateway log)
"""
JOBS_CREATE_EXAMPLE = """example job.yaml:
  title: Senior Backend Engineer
  description: Build our Python services on PostgreSQL and Kubernetes.
  required_skills: [Python, PostgreSQL]
  preferred_skills: [Kubernetes]
  min_years_experience: 4
  rules: {min_years: soft}

  screener jobs create --from job.yaml
"""
SCREEN_EXAMPLE = """examples:
  screener screen --job job.yaml resumes/        # a new job from the file, every resume in the folder
  screener screen --job 3f1c... a.pdf b.docx --top 10
  screener screen --job 3f1c... resumes/ --output csv > ranked.csv
"""
RESUME_EXAMPLE = """examples:
  screener resume show 9b2e               # parse, score components, rules, reasons, analysis
  screener resume show 9b2e --json
  screener resume analyze 9b2e --wait     # ask for the analysis and print it
"""


def add_client_commands(commands: Any) -> None:
    """The gateway commands, added to the `screener` parser."""

    def command(
        name: str, func: Callable[[argparse.Namespace], int], *, parent: Any = commands, **kwargs: Any
    ) -> argparse.ArgumentParser:
        """A command (or a subcommand of `parent`) that talks to a gateway, run through run_command."""
        parser: argparse.ArgumentParser = parent.add_parser(
            name, formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs
        )
        parser.add_argument(
            "--url", default=None, help=f"gateway URL (default: $SCREENER_URL, the login's, or {DEFAULT_URL})"
        )
        parser.add_argument("--timeout", type=float, default=120.0, help="seconds per request (default 120)")
        parser.set_defaults(func=lambda args: run_command(func, args))
        return parser

    def group(name: str, help_text: str, epilog: str) -> Any:
        parser = commands.add_parser(
            name, help=help_text, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        return parser.add_subparsers(dest=f"{name}_command", required=True)

    login = command(
        "login",
        cmd_login,
        help="log in and keep the tokens (mode 0600)",
        epilog=LOGIN_EXAMPLE + EXIT_CODES,
        description="Log in to a gateway; tokens (or an API key) are kept in "
        "$XDG_CONFIG_HOME/screener/config.json, readable by you only, and refreshed by themselves.",
    )
    login.add_argument("--email")
    login.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    login.add_argument("--api-key", help="keep this API key instead of logging in")
    signup = command(
        "signup",
        cmd_signup,
        help="create an account (a code is mailed to verify it)",
        epilog=SIGNUP_EXAMPLE + EXIT_CODES,
    )
    signup.add_argument("--email", required=True)
    signup.add_argument("--name", required=True)
    signup.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    verify = command(
        "verify",
        cmd_verify,
        help="verify the account with the mailed code, and log in",
        epilog=SIGNUP_EXAMPLE,
    )
    verify.add_argument("--email", required=True)
    verify.add_argument("--code", required=True)
    command(
        "logout",
        cmd_logout,
        help="revoke the stored tokens and forget them",
        epilog="example:\n  screener logout\n" + EXIT_CODES,
    )

    jobs = group("jobs", "create, list and delete jobs", JOBS_CREATE_EXAMPLE)
    create = command(
        "create",
        cmd_jobs_create,
        parent=jobs,
        help="create a job from a YAML file",
        epilog=JOBS_CREATE_EXAMPLE + EXIT_CODES,
    )
    create.add_argument("--from", dest="from_file", required=True, metavar="JOB.yaml")
    create.add_argument("--json", action="store_true", help="print the created job as JSON")
    create.add_argument(
        "--dry-run",
        action="store_true",
        help="show what the ranker will read from the job (skills, years, seniority, education, rules); "
        "create nothing",
    )
    listing = command(
        "list",
        cmd_jobs_list,
        parent=jobs,
        help="your jobs",
        epilog="examples:\n  screener jobs list\n  screener jobs list --json\n" + EXIT_CODES,
    )
    listing.add_argument("--json", action="store_true")
    delete = command(
        "delete",
        cmd_jobs_delete,
        parent=jobs,
        help="delete a job with its resumes and stored files",
        epilog="example:\n  screener jobs delete 3f1c...\n" + EXIT_CODES,
    )
    delete.add_argument("id", help="a job id, or its first characters")
    show_job = command(
        "show",
        cmd_jobs_show,
        parent=jobs,
        help="an existing job's ranked table",
        epilog="examples:\n  screener jobs show 3f1c\n  screener jobs show 3f1c --output csv > ranked.csv\n"
        + EXIT_CODES,
    )
    show_job.add_argument("id", help="a job id, or its first characters")
    show_job.add_argument("--output", choices=("table", "csv", "json"), default="table")
    show_job.add_argument("--top", type=int, default=0, help="only the first N rows")

    keys = group("keys", "API keys for scripts and gRPC clients", KEYS_EXAMPLE)
    key_create = command(
        "create",
        cmd_keys_create,
        parent=keys,
        help="a new key; its secret is printed once",
        epilog=KEYS_EXAMPLE + EXIT_CODES,
    )
    key_create.add_argument("--name", required=True, help="what the key is for, e.g. the calling service")
    key_create.add_argument("--json", action="store_true")
    key_list = command(
        "list",
        cmd_keys_list,
        parent=keys,
        help="your keys (never their secrets)",
        epilog=KEYS_EXAMPLE + EXIT_CODES,
    )
    key_list.add_argument("--json", action="store_true")
    key_revoke = command(
        "revoke", cmd_keys_revoke, parent=keys, help="revoke a key at once", epilog=KEYS_EXAMPLE + EXIT_CODES
    )
    key_revoke.add_argument("id")

    screen = command(
        "screen",
        cmd_screen,
        help="upload resumes, screen them, print the ranked table",
        epilog=SCREEN_EXAMPLE + EXIT_CODES,
        description="Uploads files (and the resumes inside folders) with a progress bar, starts a "
        "batch, shows live progress (done, failed, rate, time left), then prints the job's ranked table.",
    )
    screen.add_argument("--job", required=True, help="a job id, or a job.yaml to create the job from")
    screen.add_argument("paths", nargs="+", help="resume files and folders")
    screen.add_argument("--output", choices=("table", "csv", "json"), default="table")
    screen.add_argument("--top", type=int, default=0, help="only the first N rows")
    screen.add_argument("--concurrency", type=int, default=4, help="upload requests in flight (default 4)")
    screen.add_argument(
        "--wait-timeout", type=float, default=None, help="give up waiting after this many seconds"
    )

    resume = group("resume", "one resume's details", RESUME_EXAMPLE)
    show = command(
        "show",
        cmd_resume_show,
        parent=resume,
        help="parsed details, score components, reasons and analysis",
        epilog=RESUME_EXAMPLE + EXIT_CODES,
    )
    show.add_argument("id", help="a resume id, or its first characters (4 or more)")
    show.add_argument("--json", action="store_true")
    show.add_argument("--reveal", action="store_true", help="unmasked details of a blind-screened resume")
    analyze = command(
        "analyze",
        cmd_resume_analyze,
        parent=resume,
        help="ask for the resume's analysis (a language model's, or the rule-based one without a model)",
        epilog="examples:\n  screener resume analyze 9b2e --wait\n  screener resume analyze 9b2e\n"
        + EXIT_CODES,
    )
    analyze.add_argument("id", help="a resume id, or its first characters (4 or more)")
    analyze.add_argument("--wait", action="store_true", help="wait for the analysis and print it")
    analyze.add_argument("--wait-timeout", type=float, default=300, help="seconds to wait (default 300)")
    analyze.add_argument("--json", action="store_true", help="print the analysis as JSON")


MAIN_EXAMPLE = """examples:
  screener up                                   # the whole mesh on this machine
  screener login --email recruiter@example.com
  screener screen --job job.yaml resumes/       # upload, screen, print the ranked table
  screener resume show <id>
Each command's --help shows its own examples.
"""


def _local_commands() -> Callable[[Any], None] | None:
    """`screener up` and `screener dlq`, present with the server install; the client alone has neither."""
    try:
        from services.cli import add_local_commands
    except ImportError:
        return None
    return add_local_commands


def build_parser() -> argparse.ArgumentParser:
    local = _local_commands()
    examples = MAIN_EXAMPLE if local else MAIN_EXAMPLE.replace(MAIN_EXAMPLE.splitlines()[1] + "\n", "")
    parser = argparse.ArgumentParser(
        prog="screener",
        description="Screener: resume screening mesh.",
        epilog=examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    if local is not None:
        local(commands)
    add_client_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
