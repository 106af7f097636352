"""Jobs and resumes named on the command line: ids, their first characters, or a job file."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

import yaml
from pydantic import ValidationError

from screener.client import Client, schemas
from screener.client.cli.config import NOT_FOUND, CliError, err


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


# screen
def resolve_job(client: Client, reference: str) -> schemas.JobOut:
    path = Path(reference)
    if path.suffix.lower() in (".yaml", ".yml", ".json") or path.is_file():
        job = client.create_job(read_job_file(path))
        err.print(f"created job {job.id}: {job.title}")
        return job
    return client.get_job(job_ref(client, reference))
