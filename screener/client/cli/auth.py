"""`screener signup`, `verify`, `login` and `logout`."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
from pathlib import Path

from screener.client import Client, Credentials, errors
from screener.client.cli.config import (
    EXIT_CODES,
    OK,
    CliError,
    Parsers,
    config_path,
    connect,
    gateway_url,
    load_config,
    out,
    save_config,
)

# parser
LOGIN_EXAMPLE = """examples:
  screener login --email recruiter@example.com          # asks for the password
  echo "$PASSWORD" | screener login --email me@example.com --password-stdin
  screener login --api-key sk_...                       # a key from POST /api/keys
  screener --url https://screener.example.com login --email me@example.com
"""


SIGNUP_EXAMPLE = """examples:
  screener signup --email me@example.com --name "Me"    # asks for a password; mails a code
  screener verify --email me@example.com --code 123456  # (no SMTP_URL: the code is in the gateway log)
"""


# login / logout
def cmd_login(args: argparse.Namespace) -> int:
    config = load_config()
    url = gateway_url(args, config)
    if args.api_key:
        with Client(url, api_key=args.api_key, timeout=args.timeout) as client:
            client.list_jobs()  # proves the key works
        save_config({"url": url, "api_key": args.api_key})
        out.print(f"API key saved for {url} ({config_path()})")
        return OK
    email = args.email or os.environ.get("SCREENER_EMAIL")
    if not email:
        if not sys.stdin.isatty():
            raise CliError("give --email (or SCREENER_EMAIL)")
        email = input("email: ").strip()
    password = read_password(args)
    with Client(url, timeout=args.timeout) as client:
        client.login(email, password)
        path = save_tokens(url, email, client.credentials)
    out.print(f"logged in to {url} as {email} (tokens in {path})")
    return OK


def save_tokens(url: str, email: str, credentials: Credentials) -> Path:
    tokens = {
        "access_token": credentials.access_token,
        "refresh_token": credentials.refresh_token,
        "expires_at": credentials.expires_at,
    }
    return save_config({"url": url, "email": email, "tokens": tokens})


def read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if os.environ.get("SCREENER_PASSWORD"):
        return os.environ["SCREENER_PASSWORD"]
    if sys.stdin.isatty():
        return getpass.getpass("password: ")
    raise CliError("no password: use --password-stdin or SCREENER_PASSWORD when not at a terminal")


def cmd_signup(args: argparse.Namespace) -> int:
    url = gateway_url(args, load_config())
    with Client(url, timeout=args.timeout) as client:
        account = client.signup(args.email, read_password(args), args.name)
    out.print(f"sign-up for {account.email} received: {account.message}")
    out.print(f"then: screener verify --email {account.email} --code <code>")
    return OK


def cmd_verify(args: argparse.Namespace) -> int:
    url = gateway_url(args, load_config())
    with Client(url, timeout=args.timeout) as client:
        client.verify(args.email, args.code)
        path = save_tokens(url, args.email, client.credentials)
    out.print(f"verified; logged in to {url} as {args.email} (tokens in {path})")
    return OK


def cmd_logout(args: argparse.Namespace) -> int:
    config = load_config()
    if config.get("tokens", {}).get("refresh_token"):
        with contextlib.suppress(errors.ScreenerError), connect(args) as client:
            client.logout()
    path = config_path()
    path.unlink(missing_ok=True)
    out.print("logged out")
    return OK


def register(parsers: Parsers) -> None:
    login = parsers.command(
        "login",
        cmd_login,
        help="log in and keep the tokens (mode 0600)",
        epilog=LOGIN_EXAMPLE + EXIT_CODES,
        description="Log in to a gateway; tokens (or an API key) are kept in "
        "$XDG_CONFIG_HOME/screener/config.json, readable by you only, and refreshed by themselves.",
    )
    login.add_argument("--email")
    login.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    login.add_argument("--api-key", help="keep this API key instead of logging in")
    signup = parsers.command(
        "signup",
        cmd_signup,
        help="create an account (a code is mailed to verify it)",
        epilog=SIGNUP_EXAMPLE + EXIT_CODES,
    )
    signup.add_argument("--email", required=True)
    signup.add_argument("--name", required=True)
    signup.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    verify = parsers.command(
        "verify",
        cmd_verify,
        help="verify the account with the mailed code, and log in",
        epilog=SIGNUP_EXAMPLE,
    )
    verify.add_argument("--email", required=True)
    verify.add_argument("--code", required=True)
    parsers.command(
        "logout",
        cmd_logout,
        help="revoke the stored tokens and forget them",
        epilog="example:\n  screener logout\n" + EXIT_CODES,
    )
