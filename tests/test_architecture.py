"""The layering docs/architecture.md describes, held by reading the code's own imports and definitions."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LONGEST_FUNCTION = 80
STATEMENTS = {"select", "insert", "update", "delete", "text"}


def _modules() -> dict[str, ast.Module]:
    modules = {}
    for package in ("services", "screener"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts or relative.parts[:2] == ("screener", "v1"):
                continue  # generated code, and migrations that are history
            modules[".".join(relative.with_suffix("").parts)] = ast.parse(path.read_text(), str(relative))
    return modules


MODULES = _modules()


def _imports(tree: ast.Module, *, top_level_only: bool = False) -> set[str]:
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def _importers(
    prefix: str, forbidden: tuple[str, ...], *, top_level_only: bool = False
) -> dict[str, set[str]]:
    return {
        name: bad
        for name, tree in MODULES.items()
        if _within(name, (prefix,))
        if (bad := {i for i in _imports(tree, top_level_only=top_level_only) if _within(i, forbidden)})
    }


def test_the_modules_are_read() -> None:
    assert len(MODULES) > 100 and "services.gateway.routes.jobs" in MODULES


def test_no_function_is_longer_than_eighty_lines() -> None:
    long = {
        f"{name}.{node.name}": node.end_lineno - node.lineno + 1  # type: ignore[operator]
        for name, tree in MODULES.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > LONGEST_FUNCTION  # type: ignore[operator]
    }
    assert not long, long


def test_no_module_imports_upward() -> None:
    # The contract and the SDK stand on the generated protocol only; the CLI reaches the server's own
    # commands through one guarded import inside a function.
    assert not _importers("screener.contract", ("services",))
    assert not _importers("screener.client", ("services",), top_level_only=True)
    # Shared code imports no service; workers never import the gateway nor each other.
    services = ("services.gateway", "services.extractor", "services.ranker", "services.analyzer")
    assert not _importers("services.common", services)
    for worker in ("services.extractor", "services.ranker", "services.analyzer"):
        assert not _importers(worker, tuple(s for s in services if s != worker)), worker


def test_the_gateway_transports_do_not_import_each_other() -> None:
    rest = ("services.gateway.api", "services.gateway.routes", "services.gateway.deps")
    assert not _importers("services.gateway.grpc_api", rest)
    for module in rest:
        assert not _importers(module, ("services.gateway.grpc_api",)), module


def test_every_sql_statement_is_in_a_repository() -> None:
    writers = {
        name
        for name, tree in MODULES.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith("sqlalchemy")
        and {alias.name for alias in node.names} & STATEMENTS
    }
    # The repository writes the statements; the models declare the schema (partial index conditions).
    assert writers == {"services.gateway.repository", "services.gateway.models"}, writers
