"""The audit trail: every act that matters recorded with who, when, from where and what, holding ids
and facts, never a candidate's text; append-only in the database for every role; chained by hash so
that `screener audit verify` names an entry edited behind the database's back."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import asyncpg
import pytest

from screener.contract.audit import GENESIS, verify
from services.demo.samples import SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh
from tests.client.test_cli import Cli, login
from tests.conftest import Account
from tests.helpers import connect_db, create_job, upload, wait_for_batch


@pytest.fixture
def cli(mesh: Mesh, tmp_path: Path) -> Cli:
    return Cli(mesh.http_url, tmp_path / "config")


def _trail(account: Account, **params: str) -> list[dict]:
    page = account.client.get("/api/audit", params={"page_size": 1000, **params}).json()
    return list(page["items"])


async def _sql(mesh: Mesh, *statements: str) -> None:
    conn = await connect_db(mesh)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def test_every_act_is_recorded_with_who_when_where_and_what(account: Account, mesh: Mesh) -> None:
    client = account.client
    job = create_job(client, blind_screening=True)
    client.patch(f"/api/jobs/{job['id']}", json={"weights": {"title": 0.8}}).raise_for_status()
    first, second = SAMPLE_RESUMES[0], SAMPLE_RESUMES[1]
    files = [("a.pdf", render_pdf(first.lines)), ("b.pdf", render_pdf(second.lines))]
    resume_ids = [item["id"] for item in upload(client, job["id"], files).json()["items"]]
    batch = client.post("/api/batches", json={"job_id": job["id"]}).json()
    wait_for_batch(client, batch["id"])
    client.get(f"/api/resumes/{resume_ids[0]}", params={"reveal": "true"}).raise_for_status()
    client.get(f"/api/resumes/{resume_ids[0]}").raise_for_status()  # masked: not a reveal
    client.post(f"/api/resumes/{resume_ids[0]}/decision", json={"decision": "hold", "note": "ask about Go"})
    client.post(f"/api/resumes/{resume_ids[0]}/decision", json={"decision": "shortlist", "note": "strong"})
    client.get(f"/api/jobs/{job['id']}/export", params={"format": "csv", "decision": "shortlist"})
    key = client.post("/api/keys", json={"name": "ats"}).json()
    client.delete(f"/api/keys/{key['id']}").raise_for_status()
    client.delete(f"/api/resumes/{resume_ids[1]}").raise_for_status()

    trail = _trail(account)
    actions = [e["action"] for e in trail]
    assert actions[0] == "auth.signed_in" and trail[0]["details"] == {"with": "verification code"}
    expected = [
        "job.created",
        "job.updated",
        "batch.started",
        "resume.scored",
        "resume.scored",
        "resume.revealed",
        "decision.made",
        "decision.changed",
        "export",
        "key.created",
        "key.revoked",
        "resume.deleted",
    ]
    assert [a for a in actions if a in expected] == expected, actions
    by_action = {e["action"]: e for e in trail}
    # Who and from where: the recruiter from their address; the workers' scores by the system.
    assert by_action["job.created"]["actor_id"] and by_action["job.created"]["client"] == "127.0.0.1"
    scored = by_action["resume.scored"]
    assert scored["actor_id"] is None and scored["client"] == "system"
    assert scored["details"]["scorer_version"] and scored["details"]["model"]
    # What: the weights and rules in force, the decision with its note and the one it replaced.
    updated = by_action["job.updated"]["details"]
    assert updated["changed"] == ["weights"] and updated["weights"] == {"title": 0.8}
    assert updated["rules"] == job["rules"] and updated["rescore_batch_id"] is None  # nothing ranked yet
    changed = by_action["decision.changed"]["details"]
    assert changed == {"decision": "shortlist", "previous": "hold", "note": "strong", "job_id": job["id"]}
    assert by_action["export"]["details"] == {
        "format": "csv",
        "rows": 1,
        "filters": {"sort": "rank", "decision": "shortlist"},
    }
    # Ids and facts only: no candidate's name, contact or text anywhere in the trail.
    dumped = json.dumps(trail)
    for sample in (first, second):
        name, contact = sample.lines[0], sample.lines[2]  # the name line and the contact line
        assert name not in dumped and contact.split(" | ")[0] not in dumped
    # Filters: by kind of action, by object, by time.
    assert [e["action"] for e in _trail(account, action="decision")] == ["decision.made", "decision.changed"]
    assert {e["object_id"] for e in _trail(account, object_id=resume_ids[0])} == {resume_ids[0]}
    assert _trail(account, since=trail[-1]["at"])[0]["seq"] == trail[-1]["seq"]
    exported = list(csv.DictReader(io.StringIO(client.get("/api/audit/export").text)))
    assert [int(row["seq"]) for row in exported] == [e["seq"] for e in trail]
    # The chain holds from the first entry.
    assert verify(trail) == [] and trail[0]["prev_hash"] == GENESIS


def test_the_trail_cannot_be_changed_and_an_edit_behind_its_back_is_found(
    cli: Cli, account: Account, other_account: Account, mesh: Mesh
) -> None:
    job = create_job(account.client)
    account.client.post("/api/keys", json={"name": "one"}).raise_for_status()
    trail = _trail(account)
    assert len(trail) >= 3
    # Another account's trail holds only its own acts.
    theirs = _trail(other_account)
    assert theirs and {e["owner_id"] for e in theirs} == {theirs[0]["actor_id"]} != {trail[0]["owner_id"]}
    assert job["id"] not in {e["object_id"] for e in theirs}
    target = trail[1]
    # The database itself refuses every change, whatever role asks (here, its superuser).
    for statement in (
        f"UPDATE audit_events SET details = '{{}}' WHERE hash = '{target['hash']}'",
        f"DELETE FROM audit_events WHERE hash = '{target['hash']}'",
        "TRUNCATE audit_events",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            asyncio.run(_sql(mesh, statement))

    login(cli, account)  # a sign-in of its own, on the trail too
    whole = cli("audit", "verify")
    assert whole.returncode == 0, whole.stdout + whole.stderr
    assert f"whole: {len(_trail(account))} entries" in whole.stdout

    # Someone with the keys to the database turns the trigger off and rewrites an entry.
    asyncio.run(
        _sql(
            mesh,
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update",
            f'UPDATE audit_events SET details = details || \'{{"title": "forged"}}\' '
            f"WHERE hash = '{target['hash']}'",
            "ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update",
        )
    )
    broken = cli("audit", "verify")
    assert broken.returncode == 1
    assert f"entry {target['seq']}" in broken.stdout and "changed after it was written" in broken.stdout
    listed = cli("audit", "--action", "job", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout)[0]["object_id"] == job["id"]
