"""The `screener` command line."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
import warnings
from pathlib import Path

from rich.console import Console

from services.launcher import Mesh, MeshConfig, free_port

console = Console()

UP_EXAMPLE = """example:
  screener up                          # the mesh on http://127.0.0.1:8080, data in ./.screener
  screener up --demo                   # ... and screen the bundled sample resumes
  screener up --http-port 9090 --data-dir /tmp/mesh2 --nats-port 4333 --grpc-port-base 51051
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
        f"ready ({time.monotonic() - started:.1f}s): API {mesh.http_url} (docs {mesh.http_url}/docs), "
        f"logs in {mesh.logs}"
    )
    try:
        if args.demo and mailbox is not None:
            from services.demo.run import print_ranking, screen_samples

            rows = screen_samples(mesh.http_url, mailbox, Path(args.data_dir) / "samples", console)
            print_ranking(rows, console)
            console.print(f"demo finished in {time.monotonic() - started:.1f}s from start")
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="screener", description="Screener: resume screening mesh.")
    commands = parser.add_subparsers(dest="command", required=True)
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
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # pgserver's platformdirs warns when XDG_RUNTIME_DIR is unset (root shells, CI); it is harmless here.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
