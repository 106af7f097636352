"""`screener resume show` and `analyze`."""

from __future__ import annotations

import argparse
import json
import time

from screener.client.cli.config import EXIT_CODES, OK, TIMED_OUT, CliError, Parsers, connect, err, out
from screener.client.cli.refs import resume_ref
from screener.client.cli.render import resume_view

RESUME_EXAMPLE = """examples:
  screener resume show 9b2e               # parse, score components, rules, reasons, analysis
  screener resume show 9b2e --json
  screener resume analyze 9b2e --wait     # ask for the analysis and print it
"""


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


def register(parsers: Parsers) -> None:
    resume = parsers.group("resume", "one resume's details", RESUME_EXAMPLE)
    show = parsers.command(
        "show",
        cmd_resume_show,
        parent=resume,
        help="parsed details, score components, reasons and analysis",
        epilog=RESUME_EXAMPLE + EXIT_CODES,
    )
    show.add_argument("id", help="a resume id, or its first characters (4 or more)")
    show.add_argument("--json", action="store_true")
    show.add_argument("--reveal", action="store_true", help="unmasked details of a blind-screened resume")
    analyze = parsers.command(
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
