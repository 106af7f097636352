"""The `screener` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from services.launcher import Mesh, MeshConfig, free_port

console = Console()

UP_EXAMPLE = """example:
  screener up                          # the mesh on http://127.0.0.1:8080, data in ./.screener
  screener up --demo                   # ... and screen the bundled sample resumes
  screener up --http-port 9090 --data-dir /tmp/mesh2 --nats-port 4333 --grpc-port-base 51051
"""


DLQ_EXAMPLE = """examples:
  screener dlq list                  # what was given up on, and why
  screener dlq list --json
  screener dlq replay 17 18          # send these back to their stage
  screener dlq replay --all
"""


def _up(args: argparse.Namespace) -> int:
    base = args.grpc_port_base
    smtp = None
    mailbox = None
    if args.demo and not os.environ.get("SMTP_URL"):
        from services.demo.mailbox import MailSink

        mailbox = MailSink(free_port())
        mailbox.start()
        smtp = mailbox.url
    config = MeshConfig(
        data_dir=Path(args.data_dir),
        http_port=args.http_port,
        nats_port=args.nats_port,
        extractor_port=base,
        ranker_port=base + 1,
        analyzer_port=base + 2,
        gateway_grpc_port=base + 3,
        replicas=args.replicas,
        database_url=os.environ.get("DATABASE_URL") or None,
        nats_url=os.environ.get("NATS_URL") or None,
        smtp_url=smtp or os.environ.get("SMTP_URL") or None,
    )
    mesh = Mesh(config)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    started = time.monotonic()
    with console.status("starting postgres, nats-server and the services..."):
        try:
            mesh.start(timeout=args.timeout)
        except Exception as exc:
            console.print(f"[red]the mesh failed to start:[/red] {exc}")
            if mailbox:
                mailbox.stop()
            return 1
    console.print(
        f"ready ({time.monotonic() - started:.1f}s): console {mesh.http_url}/ , API {mesh.http_url}/api "
        f"(docs {mesh.http_url}/docs), logs in {mesh.logs}"
    )
    try:
        if args.demo and mailbox is not None:
            from services.demo.run import print_ranking, screen_samples

            rows = screen_samples(mesh.http_url, mailbox, Path(args.data_dir) / "samples", console)
            print_ranking(rows, console)
            console.print(f"demo finished in {time.monotonic() - started:.1f}s from start")
            from services.demo.run import DEMO_EMAIL, DEMO_PASSWORD

            console.print(
                f"open the console at {mesh.http_url}/ and sign in as {DEMO_EMAIL} (password "
                f"{DEMO_PASSWORD}), or from another terminal: screener login --email {DEMO_EMAIL}"
            )
        if args.exit_after_demo:
            return 0
        console.print(f"serving on {mesh.http_url} until Ctrl-C")
        while not stop.wait(1.0):
            pass
        return 0
    finally:
        with console.status("stopping..."):
            mesh.stop()
            if mailbox:
                mailbox.stop()
        console.print("stopped")


async def _dead_letters(args: argparse.Namespace) -> int:
    import nats

    from services.common import deadletters

    nc = await nats.connect(args.nats_url, connect_timeout=5, max_reconnect_attempts=1)
    try:
        js = nc.jetstream()
        if args.dlq_command == "list":
            letters = await deadletters.list_dead(js, limit=args.limit)
            if args.json:
                rows = [
                    {
                        "seq": d.seq,
                        "subject": d.subject,
                        "consumer": d.consumer,
                        "resume_id": d.resume_id,
                        "deliveries": d.deliveries,
                        "error": d.error,
                        "dead_at": d.dead_at.isoformat() if d.dead_at else None,
                    }
                    for d in letters
                ]
                print(json.dumps(rows))
                return 0
            table = Table(title=f"dead letters ({len(letters)})")
            for column in ("seq", "subject", "resume", "deliveries", "when", "error"):
                table.add_column(column)
            for d in letters:
                when = d.dead_at.strftime("%Y-%m-%d %H:%M:%S") if d.dead_at else ""
                table.add_row(str(d.seq), d.subject, d.resume_id, str(d.deliveries), when, d.error[:120])
            console.print(table)
            return 0
        seqs = [d.seq for d in await deadletters.list_dead(js)] if args.all else args.seq
        if not seqs:
            console.print("nothing to replay")
            return 0
        failed = 0
        for seq in seqs:
            try:
                letter = await deadletters.replay(js, seq)
            except (LookupError, ValueError) as exc:
                console.print(f"[red]{exc}[/red]")
                failed += 1
                continue
            console.print(f"replayed {seq} to {letter.subject} (resume {letter.resume_id or '-'})")
        return 1 if failed else 0
    finally:
        await nc.close()


def add_local_commands(commands: Any) -> None:
    """`screener up` (the whole mesh on this machine) and `screener dlq`, added to the `screener` parser
    (screener.client.cli) when the server packages are installed."""
    # pgserver's platformdirs warns when XDG_RUNTIME_DIR is unset (root shells, CI); it is harmless here.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    up = commands.add_parser(
        "up",
        help="start the whole mesh locally",
        epilog=UP_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Start embedded Postgres (unless DATABASE_URL), nats-server with JetStream (unless "
        "NATS_URL) and the extractor, ranker, analyzer and gateway services, each its own process.",
    )
    up.add_argument("--http-port", type=int, default=8080, help="REST API port (default 8080)")
    up.add_argument("--data-dir", default=".screener", help="where Postgres, NATS and logs keep their data")
    up.add_argument("--nats-port", type=int, default=4222, help="embedded nats-server port (default 4222)")
    up.add_argument(
        "--grpc-port-base",
        type=int,
        default=50051,
        help="gRPC ports: extractor, ranker, analyzer, gateway at base..base+3 (default 50051)",
    )
    up.add_argument("--replicas", type=int, default=1, help="processes per worker service (default 1)")
    up.add_argument("--demo", action="store_true", help="screen the bundled sample resumes once ready")
    up.add_argument("--exit-after-demo", action="store_true", help="stop after the demo instead of serving")
    up.add_argument("--timeout", type=float, default=300, help="seconds to wait for readiness")
    up.set_defaults(func=_up)

    dlq = commands.add_parser(
        "dlq",
        help="list and replay dead-lettered messages",
        epilog=DLQ_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Messages given up on after the delivery bound are kept in the SCREENER_DEAD stream "
        "with their subject and error. Replaying sends one back to its stage; a resume that failed on it "
        "is reopened and its failure un-counted.",
    )
    dlq.add_argument(
        "--nats-url", default=os.environ.get("NATS_URL", "nats://127.0.0.1:4222"), help="default $NATS_URL"
    )
    dlq_commands = dlq.add_subparsers(dest="dlq_command", required=True)
    listing = dlq_commands.add_parser(
        "list",
        help="show the dead letters",
        epilog=DLQ_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listing.add_argument("--limit", type=int, default=1000)
    listing.add_argument("--json", action="store_true", help="one JSON array instead of a table")
    again = dlq_commands.add_parser(
        "replay",
        help="send dead letters back to their stage",
        epilog=DLQ_EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    again.add_argument("seq", type=int, nargs="*", help="sequence numbers from `screener dlq list`")
    again.add_argument("--all", action="store_true", help="replay every dead letter")
    dlq.set_defaults(func=lambda args: asyncio.run(_dead_letters(args)))
