"""API keys on the REST API: a script acts for its owner with a key, sees only the owner's data, cannot
manage keys with it, and is refused the moment the key is revoked."""

from __future__ import annotations

import httpx

from services.launcher import Mesh
from tests.conftest import Account
from tests.helpers import create_job


def test_an_api_key_acts_for_its_owner_on_rest_until_revoked(
    mesh: Mesh, account: Account, other_account: Account
) -> None:
    job = create_job(account.client)
    created = account.client.post("/api/keys", json={"name": "ats import"})
    assert created.status_code == 201
    key = created.json()
    with httpx.Client(base_url=mesh.http_url, timeout=30) as script:
        for headers in ({"X-API-Key": key["key"]}, {"Authorization": f"Bearer {key['key']}"}):
            listed = script.get("/api/jobs", headers=headers)
            assert listed.status_code == 200 and [j["id"] for j in listed.json()["items"]] == [job["id"]]
        as_key = {"X-API-Key": key["key"]}
        made = script.post("/api/jobs", json={"title": "Made by a script"}, headers=as_key)
        assert made.status_code == 201
        assert made.json()["id"] in {j["id"] for j in account.client.get("/api/jobs").json()["items"]}
        # Another recruiter's resources stay invisible to this key.
        theirs = create_job(other_account.client)
        assert script.get(f"/api/jobs/{theirs['id']}", headers=as_key).status_code == 404
        # A key cannot mint, list or revoke keys: that takes a signed-in recruiter.
        for method, path in (
            ("POST", "/api/keys"),
            ("GET", "/api/keys"),
            ("DELETE", f"/api/keys/{key['id']}"),
        ):
            answer = script.request(
                method,
                path,
                json={"name": "more"} if method == "POST" else None,
                headers={"Authorization": f"Bearer {key['key']}"},
            )
            assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"
        for bad in ("sk_" + "x" * 43, "not-a-key"):
            refused = script.get("/api/jobs", headers={"X-API-Key": bad})
            assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
        assert account.client.delete(f"/api/keys/{key['id']}").status_code == 204
        revoked = script.get("/api/jobs", headers=as_key)
        assert revoked.status_code == 401
