"""Where the CLI keeps its configuration and credentials, how it reaches a gateway, and its exit codes."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from rich.console import Console

from screener.client import Client, Credentials, WaitTimeout, errors
from screener.client._base import DEFAULT_URL

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


class Parsers:
    """Adds commands to the `screener` parser: each one talks to a gateway and runs through run_command."""

    def __init__(self, commands: Any) -> None:
        self.commands = commands

    def command(
        self, name: str, func: Callable[[argparse.Namespace], int], *, parent: Any = None, **kwargs: Any
    ) -> argparse.ArgumentParser:
        """A command (or a subcommand of `parent`) that talks to a gateway."""
        parser: argparse.ArgumentParser = (parent or self.commands).add_parser(
            name, formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs
        )
        parser.add_argument(
            "--url", default=None, help=f"gateway URL (default: $SCREENER_URL, the login's, or {DEFAULT_URL})"
        )
        parser.add_argument("--timeout", type=float, default=120.0, help="seconds per request (default 120)")
        parser.set_defaults(func=lambda args: run_command(func, args))
        return parser

    def group(self, name: str, help_text: str, epilog: str) -> Any:
        parser = self.commands.add_parser(
            name, help=help_text, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        return parser.add_subparsers(dest=f"{name}_command", required=True)
