"""`screener keys create`, `list` and `revoke`."""

from __future__ import annotations

import argparse
import json

from rich.table import Table

from screener.client.cli.config import EXIT_CODES, OK, Parsers, connect, out
from screener.client.cli.refs import parse_id

KEYS_EXAMPLE = """examples:
  screener keys create --name ats-sync     # prints sk_... once: use it as a Bearer token or x-api-key
  screener keys list
  screener keys revoke 7d0e...
"""


# API keys
def cmd_keys_create(args: argparse.Namespace) -> int:
    with connect(args) as client:
        key = client.create_api_key(args.name)
    if args.json:
        print(key.model_dump_json(indent=2))
    else:
        out.print(f"API key {key.id} ({key.name}); the secret is shown only now:")
        print(key.key)
    return OK


def cmd_keys_list(args: argparse.Namespace) -> int:
    with connect(args) as client:
        keys = client.list_api_keys()
    if args.json:
        print(json.dumps([key.model_dump(mode="json") for key in keys], indent=2))
        return OK
    table = Table(title=f"API keys ({len(keys)})")
    for column in ("id", "name", "prefix", "created", "last used", "revoked"):
        table.add_column(column, no_wrap=column == "id")
    for key in keys:
        table.add_row(
            str(key.id),
            key.name,
            key.prefix,
            key.created_at.strftime("%Y-%m-%d %H:%M"),
            key.last_used_at.strftime("%Y-%m-%d %H:%M") if key.last_used_at else "-",
            key.revoked_at.strftime("%Y-%m-%d %H:%M") if key.revoked_at else "",
        )
    out.print(table)
    return OK


def cmd_keys_revoke(args: argparse.Namespace) -> int:
    key_id = parse_id(args.id, "key")
    with connect(args) as client:
        client.revoke_api_key(key_id)
    out.print(f"revoked API key {key_id}")
    return OK


def register(parsers: Parsers) -> None:
    keys = parsers.group("keys", "API keys for scripts and gRPC clients", KEYS_EXAMPLE)
    key_create = parsers.command(
        "create",
        cmd_keys_create,
        parent=keys,
        help="a new key; its secret is printed once",
        epilog=KEYS_EXAMPLE + EXIT_CODES,
    )
    key_create.add_argument("--name", required=True, help="what the key is for, e.g. the calling service")
    key_create.add_argument("--json", action="store_true")
    key_list = parsers.command(
        "list",
        cmd_keys_list,
        parent=keys,
        help="your keys (never their secrets)",
        epilog=KEYS_EXAMPLE + EXIT_CODES,
    )
    key_list.add_argument("--json", action="store_true")
    key_revoke = parsers.command(
        "revoke", cmd_keys_revoke, parent=keys, help="revoke a key at once", epilog=KEYS_EXAMPLE + EXIT_CODES
    )
    key_revoke.add_argument("id")
