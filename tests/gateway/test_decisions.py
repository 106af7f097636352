"""Decisions on candidates: the tool ranks, a person decides. Each decision is kept with its note, who took
it and when; the latest is the candidate's current one in the table, the filters and the exports."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

from services.demo.samples import SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh
from tests.conftest import Account
from tests.helpers import create_job, upload, wait_for_batch

SCREENER = Path(sys.executable).with_name("screener")


def _ranked_job(account: Account) -> tuple[str, list[dict]]:
    client = account.client
    job = create_job(client)
    files = [(s.filename, render_pdf(s.lines)) for s in SAMPLE_RESUMES if not s.image_only][:3]
    assert upload(client, job["id"], files).status_code == 201
    wait_for_batch(client, client.post("/api/batches", json={"job_id": job["id"]}).json()["id"])
    rows = client.get(f"/api/jobs/{job['id']}/resumes").json()["items"]
    assert len(rows) == 3 and all(row["decision"] is None for row in rows)
    return job["id"], rows


def test_decisions_are_kept_with_their_notes_and_the_latest_is_current(
    mesh: Mesh, account: Account, other_account: Account
) -> None:
    client = account.client
    job_id, rows = _ranked_job(account)
    first, second = rows[0]["id"], rows[1]["id"]

    held = client.post(
        f"/api/resumes/{first}/decision", json={"decision": "hold", "note": "check references"}
    )
    assert held.status_code == 201, held.text
    shortlisted = client.post(
        f"/api/resumes/{first}/decision", json={"decision": "shortlist", "note": "  references fine  "}
    )
    assert shortlisted.status_code == 201
    made = shortlisted.json()
    assert (made["decision"], made["note"], made["decided_by"]) == (
        "shortlist",
        "references fine",
        account.email,
    )
    assert client.post(f"/api/resumes/{second}/decision", json={"decision": "reject"}).status_code == 201

    history = client.get(f"/api/resumes/{first}/decisions").json()["items"]
    assert [(d["decision"], d["note"]) for d in history] == [
        ("shortlist", "references fine"),
        ("hold", "check references"),
    ]
    assert client.get(f"/api/resumes/{first}").json()["decision"] == "shortlist"

    def listed(decision: str) -> set[str]:
        page = client.get(f"/api/jobs/{job_id}/resumes", params={"decision": decision}).json()
        return {row["id"] for row in page["items"]}

    assert listed("shortlist") == {first}
    assert listed("reject") == {second}
    assert listed("hold") == set()
    assert listed("none") == {rows[2]["id"]}

    exported = list(csv.DictReader(io.StringIO(client.get(f"/api/jobs/{job_id}/export").text)))
    assert {row["resume_id"]: row["decision"] for row in exported} == {
        first: "shortlist",
        second: "reject",
        rows[2]["id"]: "",
    }
    document = client.get(f"/api/jobs/{job_id}/export", params={"format": "json"}).json()
    assert {row["id"]: row["decision"] for row in document["items"]}[first] == "shortlist"

    # Nobody else sees or decides on these candidates; a decision is one of three words with a bounded note.
    stranger = other_account.client
    assert stranger.post(f"/api/resumes/{first}/decision", json={"decision": "reject"}).status_code == 404
    assert stranger.get(f"/api/resumes/{first}/decisions").status_code == 404
    assert client.post(f"/api/resumes/{first}/decision", json={"decision": "maybe"}).status_code == 422
    long_note = {"decision": "hold", "note": "x" * 2001}
    assert client.post(f"/api/resumes/{first}/decision", json=long_note).status_code == 422
    assert client.get(f"/api/resumes/{first}").json()["decision"] == "shortlist"


def test_the_cli_decides_and_prints_the_history(mesh: Mesh, account: Account, tmp_path: Path) -> None:
    _, rows = _ranked_job(account)
    resume_id = rows[0]["id"]
    env = {
        **os.environ,
        "SCREENER_URL": mesh.http_url,
        "SCREENER_CONFIG_DIR": str(tmp_path / "config"),
        "COLUMNS": "200",
        "NO_COLOR": "1",
    }

    def screener(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        done = subprocess.run(
            [str(SCREENER), *args], input=stdin, capture_output=True, text=True, env=env, timeout=120
        )
        assert "Traceback" not in done.stderr, done.stderr
        return done

    from tests.conftest import PASSWORD

    assert (
        screener("login", "--email", account.email, "--password-stdin", stdin=PASSWORD + "\n").returncode == 0
    )
    decided = screener("decide", resume_id[:8], "shortlist", "--note", "strong on Go")
    assert decided.returncode == 0, decided.stderr
    assert decided.stdout.startswith(f"shortlist: {resume_id}") and account.email in decided.stdout
    history = screener("decide", resume_id[:8], "--history")
    assert history.returncode == 0 and "strong on Go" in history.stdout and "shortlist" in history.stdout
    assert account.client.get(f"/api/resumes/{resume_id}").json()["decision"] == "shortlist"
    refused = screener("decide", resume_id[:8], "maybe")
    assert refused.returncode == 2  # a usage error: not one of shortlist, hold, reject


def test_decisions_over_grpc(mesh: Mesh, account: Account) -> None:
    import asyncio

    import grpc

    from screener.v1 import gateway_pb2, gateway_pb2_grpc
    from tests.gateway.test_grpc_api import _auth, _key

    job_id, rows = _ranked_job(account)
    key = _key(account, "decisions")

    async def scenario() -> tuple[gateway_pb2.Decision, list[str], grpc.StatusCode]:
        async with grpc.aio.insecure_channel(mesh.grpc_address("gateway")) as channel:
            stub = gateway_pb2_grpc.ScreeningServiceStub(channel)
            made = await stub.Decide(
                gateway_pb2.DecideRequest(resume_id=rows[0]["id"], decision="hold", note="second interview"),
                metadata=_auth(key),
            )
            held = await stub.ListResumes(
                gateway_pb2.ListResumesRequest(job_id=job_id, decision="hold"), metadata=_auth(key)
            )
            try:
                await stub.Decide(
                    gateway_pb2.DecideRequest(resume_id=rows[0]["id"], decision="maybe"), metadata=_auth(key)
                )
            except grpc.aio.AioRpcError as exc:
                refused = exc.code()
            return made, [f"{row.id}:{row.decision}" for row in held.items], refused

    made, held, refused = asyncio.run(scenario())
    assert (made.decision, made.note, made.decided_by) == ("hold", "second interview", account.email)
    assert held == [f"{rows[0]['id']}:hold"]
    assert refused == grpc.StatusCode.INVALID_ARGUMENT
    assert account.client.get(f"/api/resumes/{rows[0]['id']}").json()["decision"] == "hold"
