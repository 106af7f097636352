"""`screener decide`: shortlist, hold or reject a candidate with a note, and the decision history."""

from __future__ import annotations

import argparse
import json

from rich.table import Table

from screener.client.cli.config import EXIT_CODES, OK, Parsers, connect, out
from screener.client.cli.refs import resume_ref

DECIDE_EXAMPLE = """examples:
  screener decide 9b2e shortlist --note "strong Go, ask about on-call"
  screener decide 9b2e reject --note "no work authorization stated for the role's country"
  screener decide 9b2e --history          # who decided what, and when
"""


def cmd_decide(args: argparse.Namespace) -> int:
    with connect(args) as client:
        resume_id = resume_ref(client, args.id)
        if args.decision:
            made = client.decide(resume_id, args.decision, note=args.note)
            if args.json:
                print(made.model_dump_json(indent=2))
                return OK
            out.print(f"{made.decision}: {resume_id} ({made.decided_by}, {made.created_at:%Y-%m-%d %H:%M})")
            return OK
        history = client.decisions(resume_id)
    if args.json:
        print(json.dumps([d.model_dump(mode="json") for d in history], indent=2))
        return OK
    table = Table(title=f"decisions on {resume_id}")
    for column in ("when", "decision", "by", "note"):
        table.add_column(column)
    for made in history:
        table.add_row(f"{made.created_at:%Y-%m-%d %H:%M}", made.decision, made.decided_by, made.note)
    out.print(table)
    return OK


def register(parsers: Parsers) -> None:
    decide = parsers.command(
        "decide",
        cmd_decide,
        help="shortlist, hold or reject a candidate, with a note (or --history)",
        epilog=DECIDE_EXAMPLE + EXIT_CODES,
        description="The ranking suggests, a person decides: every decision is kept with its note, who took "
        "it and when; the latest is the candidate's current one, shown in the ranked table and exports.",
    )
    decide.add_argument("id", help="a resume id, or its first characters (4 or more)")
    decide.add_argument("decision", nargs="?", choices=("shortlist", "hold", "reject"))
    decide.add_argument("--note", default="", help="why (kept with the decision)")
    decide.add_argument("--history", action="store_true", help="print the decisions taken so far")
    decide.add_argument("--json", action="store_true")
