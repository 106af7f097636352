"""`screener screen`: upload, screen, follow the batch, print the ranked table."""

from __future__ import annotations

import argparse
import time

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from screener.client import Client, schemas
from screener.client._base import resume_files
from screener.client.cli.config import EXIT_CODES, OK, REFUSED, CliError, Parsers, connect, err
from screener.client.cli.refs import resolve_job
from screener.client.cli.render import print_ranked, progress_bar
from screener.contract.files import ACCEPTED_SUFFIXES

SCREEN_EXAMPLE = """examples:
  screener screen --job job.yaml resumes/        # a new job from the file, every resume in the folder
  screener screen --job 3f1c... a.pdf b.docx --top 10
  screener screen --job 3f1c... resumes/ --output csv > ranked.csv
"""


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


def register(parsers: Parsers) -> None:
    screen = parsers.command(
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
