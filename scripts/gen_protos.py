"""Generate Python, typing stubs and gRPC code from protos/ into screener/v1/.

protos/ is the only source of messages and services; screener/v1/ is generated and never edited.
`python scripts/gen_protos.py --check` regenerates into a temporary folder and fails when the
committed code differs, which is how CI catches stale generated code.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
PACKAGE_DIR = Path("screener") / "v1"
BIN = Path(sys.executable).parent  # mypy-protobuf's plugins are installed beside the interpreter
HEADER = '"""Generated from protos/screener/v1 by `make protos`. Do not edit."""\n'


def generate(out_root: Path) -> None:
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in (PROTO_ROOT / PACKAGE_DIR).glob("*.proto"))
    if not protos:
        raise SystemExit("no .proto files under protos/screener/v1")
    target = out_root / PACKAGE_DIR
    target.mkdir(parents=True, exist_ok=True)
    args = [
        "grpc_tools.protoc",
        f"--plugin=protoc-gen-mypy={BIN / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={BIN / 'protoc-gen-mypy_grpc'}",
        f"-I{PROTO_ROOT}",
        f"-I{Path(protoc.__file__).parent / '_proto'}",
        f"--python_out={out_root}",
        f"--mypy_out={out_root}",
        f"--grpc_python_out={out_root}",
        f"--mypy_grpc_out={out_root}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    (target / "__init__.py").write_text(HEADER)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="fail if screener/v1 is not what protos/ generates"
    )
    args = parser.parse_args()
    if not args.check:
        # Generate aside, then swap, so an interrupted run never leaves the package half written.
        with tempfile.TemporaryDirectory(dir=ROOT) as tmp:
            generate(Path(tmp))
            shutil.rmtree(ROOT / PACKAGE_DIR, ignore_errors=True)
            shutil.move(str(Path(tmp) / PACKAGE_DIR), str(ROOT / PACKAGE_DIR))
        print(f"generated {PACKAGE_DIR}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp))
        fresh, committed = Path(tmp) / PACKAGE_DIR, ROOT / PACKAGE_DIR
        names = {p.name for p in fresh.iterdir()} | (
            {p.name for p in committed.iterdir() if p.is_file()} if committed.exists() else set()
        )
        stale = sorted(
            n
            for n in names
            if not (fresh / n).exists()
            or not (committed / n).exists()
            or not filecmp.cmp(fresh / n, committed / n, shallow=False)
        )
    if stale:
        print(f"generated code is stale ({', '.join(stale)}): run `make protos` and commit", file=sys.stderr)
        return 1
    print("generated code is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
