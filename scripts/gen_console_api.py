"""Generate the console's API types from the gateway's OpenAPI document.

console/openapi.json is the REST app's document as the gateway serves it at /openapi.json, and
console/src/api/schema.d.ts the TypeScript types openapi-typescript makes from it. Both are committed;
`python scripts/gen_console_api.py --check` (run by `make lint`) regenerates them aside and fails when
the committed ones differ, so the console never compiles against a stale API.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import cast

from services.gateway.api import create_app
from services.gateway.context import ApiContext

ROOT = Path(__file__).resolve().parent.parent
CONSOLE = ROOT / "console"
SPEC = Path("openapi.json")
TYPES = Path("src") / "api" / "schema.d.ts"


def openapi_document() -> str:
    # The document depends on the routes and schemas only; no service is needed to describe them.
    app = create_app(cast(ApiContext, SimpleNamespace()))
    return json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"


def generate(out: Path) -> None:
    (out / TYPES).parent.mkdir(parents=True, exist_ok=True)
    (out / SPEC).write_text(openapi_document())
    tool = CONSOLE / "node_modules" / ".bin" / "openapi-typescript"
    if not tool.exists():
        raise SystemExit("console/node_modules is missing: run `make install` (npm ci in console/)")
    subprocess.run([str(tool), str(out / SPEC), "-o", str(out / TYPES)], check=True, capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the committed types are stale")
    args = parser.parse_args()
    if not args.check:
        generate(CONSOLE)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        stale = [str(p) for p in (SPEC, TYPES) if (Path(tmp) / p).read_text() != (CONSOLE / p).read_text()]
    if stale:
        print(f"console API types are stale ({', '.join(stale)}): run `make console-api`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
