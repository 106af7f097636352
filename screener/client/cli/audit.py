"""`screener audit`: read the account's audit trail, and verify that its chain is whole."""

from __future__ import annotations

import argparse
import json

from rich.table import Table

from screener.client.cli.config import EXIT_CODES, OK, Parsers, connect, out
from screener.contract.audit import verify

EXAMPLE = """examples:
  screener audit                              # every entry, oldest first
  screener audit --action decision --since 2026-11-01
  screener audit --object 9b2e0f4c-...        # what happened to one job or resume
  screener audit verify                       # recompute the hash chain; exit 1 on a break
"""
BROKEN = 1


def cmd_audit(args: argparse.Namespace) -> int:
    with connect(args) as client:
        entries = client.audit(action=args.action, object_id=args.object, since=args.since, until=args.until)
    if args.verify:
        if args.action or args.object or args.since or args.until:
            out.print("[red]verify reads the whole trail: leave out the filters[/red]")
            return BROKEN
        problems = verify([e.model_dump(mode="json") for e in entries])
        for problem in problems:
            out.print(f"[red]entry {problem.seq}[/red] {problem.problem}")
        if problems:
            return BROKEN
        last = entries[-1].hash[:16] if entries else "(empty)"
        out.print(f"the audit trail is whole: {len(entries)} entries, the last hash {last}…")
        return OK
    if args.json:
        print(json.dumps([e.model_dump(mode="json") for e in entries], indent=2))
        return OK
    table = Table(title=f"audit trail ({len(entries)} entries)")
    for column in ("#", "when", "action", "object", "by", "from", "details"):
        table.add_column(column)
    for e in entries:
        who = str(e.actor_id)[:8] if e.actor_id else "system"
        if e.api_key_id:
            who += f" (key {str(e.api_key_id)[:8]})"
        details = json.dumps(e.details, sort_keys=True)
        table.add_row(
            str(e.seq),
            f"{e.at:%Y-%m-%d %H:%M:%S}",
            e.action,
            f"{e.object_type} {e.object_id[:8]}",
            who,
            e.client,
            details if len(details) <= 80 else details[:77] + "...",
        )
    out.print(table)
    return OK


def register(parsers: Parsers) -> None:
    audit = parsers.command(
        "audit",
        cmd_audit,
        help="the account's audit trail, or `verify` its hash chain",
        epilog=EXAMPLE + EXIT_CODES,
        description="Every act that matters (sign-ins, job edits with the weights and rules in force, "
        "batches, scores with the scorer and model that made them, analyses, reveals of masked candidates, "
        "decisions, exports, deletions, key changes) is recorded with who, when and from where. Entries "
        "are chained by hash: `verify` recomputes the chain from what the API returns and names any entry "
        "changed or missing.",
    )
    audit.add_argument("verify", nargs="?", choices=("verify",), help="check the chain instead of listing")
    audit.add_argument("--action", help="an action (job.created) or its kind (job, decision, auth)")
    audit.add_argument("--object", help="the id of a job, resume, batch or key")
    audit.add_argument("--since", help="ISO date or time: entries at or after it")
    audit.add_argument("--until", help="ISO date or time: entries before it")
    audit.add_argument("--json", action="store_true")
