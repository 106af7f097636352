"""The published OpenAPI document: complete, and honoured by the running gateway under schemathesis."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from services.launcher import Mesh
from tests.conftest import Account

ERROR_REF = "#/components/schemas/ErrorResponse"
NO_BODY = {"204"}


def _operations(spec: dict) -> list[tuple[str, str, dict]]:
    return [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_every_operation_documents_its_success_and_error_answers(mesh: Mesh) -> None:
    spec = httpx.get(f"{mesh.http_url}/openapi.json", timeout=30).json()
    operations = _operations(spec)
    assert len(operations) >= 30
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        responses = operation["responses"]
        success = [code for code in responses if code.startswith("2")]
        assert success, where
        for code in success:
            if code not in NO_BODY:
                assert responses[code].get("content"), f"{where} {code} has no documented body"
        secured = bool(operation.get("security"))
        has_input = bool(operation.get("parameters") or operation.get("requestBody"))
        if secured:
            assert "401" in responses, f"{where} needs credentials but documents no 401"
        if has_input:
            assert "422" in responses, f"{where} takes input but documents no 422"
        if "{" in path:
            assert "404" in responses, f"{where} names a resource but documents no 404"
        for code, response in responses.items():
            if code.startswith(("4", "5")) and path != "/readyz":
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": ERROR_REF}, f"{where} {code}"
        if "429" in responses:
            assert "Retry-After" in responses["429"].get("headers", {}), where
    assert {"/api/keys", "/create_task", "/process_task", "/api/batches/{batch_id}/events"} <= set(
        spec["paths"]
    )


def _schemathesis(mesh: Mesh, token: str, workdir: Path, *extra: str) -> str:
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        f"{mesh.http_url}/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "12"),
        "--seed",
        "20261122",
        # One worker: with two, Hypothesis parses lambda sources from two threads at once, which
        # CPython 3.11.7's ast module does not survive ("AST constructor recursion depth mismatch").
        "--workers",
        "1",
        "--request-timeout",
        "60",
        "--generation-database",
        "none",
        "--no-color",
        "--report-dir",
        str(workdir),
        *extra,
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=workdir)
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-3000:]
    return run.stdout


def _tested(report: str) -> int:
    found = re.search(r"Tested: (\d+)", report)
    assert found, report[-2000:]
    return int(found.group(1))


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(
    mesh: Mesh, account: Account, tmp_path: Path
) -> None:
    token = account.client.headers["Authorization"].removeprefix("Bearer ")
    report = _schemathesis(mesh, token, tmp_path)
    assert _tested(report) >= 30  # every operation was exercised


def test_schemathesis_on_the_task_token_routes_with_a_task_token(mesh: Mesh, tmp_path: Path) -> None:
    created = httpx.post(f"{mesh.http_url}/create_task", timeout=30)
    assert created.status_code == 201, created.text
    report = _schemathesis(
        mesh,
        created.json()["token"],
        tmp_path,
        "--include-path-regex",
        "^/(upload_files|process_task|task_status)$",
    )
    assert _tested(report) == 3
