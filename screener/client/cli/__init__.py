"""The `screener` command line: the client commands (one module per command group) and, with the
server installed, `screener up` and `screener dlq`."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from typing import Any

from screener.client.cli import audit, auth, decisions, jobs, keys, resumes, screen
from screener.client.cli.config import (
    AUTH,
    BUSY,
    FAILED,
    NOT_FOUND,
    OK,
    REFUSED,
    TIMED_OUT,
    UNREACHABLE,
    USAGE,
    Parsers,
)

__all__ = [
    "AUTH",
    "BUSY",
    "FAILED",
    "NOT_FOUND",
    "OK",
    "REFUSED",
    "TIMED_OUT",
    "UNREACHABLE",
    "USAGE",
    "build_parser",
    "main",
]


LOCAL_EXAMPLE = "  screener up                                   # the whole mesh on this machine\n"
CLIENT_EXAMPLE = """\
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
    examples = "examples:\n" + (LOCAL_EXAMPLE if local else "") + CLIENT_EXAMPLE
    parser = argparse.ArgumentParser(
        prog="screener",
        description="Screener: resume screening mesh.",
        epilog=examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    if local is not None:
        local(commands)
    parsers = Parsers(commands)
    for group in (auth, jobs, keys, screen, resumes, decisions, audit):
        group.register(parsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return int(args.func(args))
