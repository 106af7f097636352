"""`screener jobs create`, `list`, `show` and `delete`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.table import Table

from screener.client.cli.config import EXIT_CODES, OK, Parsers, connect, out
from screener.client.cli.refs import job_ref, read_job_file
from screener.client.cli.render import preview_view, print_ranked

JOBS_CREATE_EXAMPLE = """example job.yaml:
  title: Senior Backend Engineer
  description: Build our Python services on PostgreSQL and Kubernetes.
  required_skills: [Python, PostgreSQL]
  preferred_skills: [Kubernetes]
  min_years_experience: 4
  rules: {min_years: soft}

  screener jobs create --from job.yaml
"""


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


def cmd_jobs_delete(args: argparse.Namespace) -> int:
    with connect(args) as client:
        job_id = job_ref(client, args.id)
        client.delete_job(job_id)
    out.print(f"deleted job {job_id} with its resumes and files")
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


def cmd_jobs_show(args: argparse.Namespace) -> int:
    """An existing job's ranked table, as `screener screen` prints it."""
    with connect(args) as client:
        job = client.get_job(job_ref(client, args.id))
        rows = list(client.iter_resumes(job.id))
    print_ranked(rows[: args.top] if args.top else rows, args.output, job)
    return OK


def register(parsers: Parsers) -> None:
    jobs = parsers.group("jobs", "create, list and delete jobs", JOBS_CREATE_EXAMPLE)
    create = parsers.command(
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
    listing = parsers.command(
        "list",
        cmd_jobs_list,
        parent=jobs,
        help="your jobs",
        epilog="examples:\n  screener jobs list\n  screener jobs list --json\n" + EXIT_CODES,
    )
    listing.add_argument("--json", action="store_true")
    delete = parsers.command(
        "delete",
        cmd_jobs_delete,
        parent=jobs,
        help="delete a job with its resumes and stored files",
        epilog="example:\n  screener jobs delete 3f1c...\n" + EXIT_CODES,
    )
    delete.add_argument("id", help="a job id, or its first characters")
    show_job = parsers.command(
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
