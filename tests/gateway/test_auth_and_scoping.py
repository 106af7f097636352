"""Accounts, tokens and recruiter scoping through the REST API."""

from __future__ import annotations

import uuid

import httpx

from services.demo.mailbox import MailSink
from services.demo.samples import SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh
from tests.conftest import PASSWORD, Account
from tests.helpers import create_job, upload


def test_requests_without_a_valid_token_get_401(mesh: Mesh) -> None:
    with httpx.Client(base_url=mesh.http_url) as anonymous:
        for method, path in [
            ("GET", "/api/jobs"),
            ("POST", "/api/jobs"),
            ("GET", f"/api/resumes/{uuid.uuid4()}"),
            ("POST", "/api/batches"),
        ]:
            response = anonymous.request(method, path, json={})
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["error"]["code"] == "unauthorized"
        forged = anonymous.get("/api/jobs", headers={"Authorization": "Bearer not.a.jwt"})
        assert forged.status_code == 401


def test_unsigned_token_with_alg_none_is_rejected(mesh: Mesh, account: Account) -> None:
    import jwt

    token = account.client.headers["Authorization"].split()[1]
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode(claims, key=None, algorithm="none")  # type: ignore[arg-type]
    response = httpx.get(f"{mesh.http_url}/api/jobs", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_login_wrong_password_401_and_unverified_403(mesh: Mesh, mailbox: MailSink, account: Account) -> None:
    with httpx.Client(base_url=mesh.http_url) as client:
        wrong = client.post("/api/auth/login", json={"email": account.email, "password": "Wrong-Passw0rd"})
        assert wrong.status_code == 401
        good = client.post("/api/auth/login", json={"email": account.email, "password": PASSWORD})
        assert good.status_code == 200 and good.json()["token_type"] == "bearer"
        email = f"unverified-{uuid.uuid4().hex[:8]}@screener-tests.example.com"
        fresh = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD, "name": "U"})
        assert fresh.status_code == 202
        unverified = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        assert unverified.status_code == 403
        wrong_code = client.post("/api/auth/verify", json={"email": email, "code": "000000"})
        code = mailbox.code_for(email)
        if code != "000000":
            assert wrong_code.status_code == 401
        weak = client.post(
            "/api/auth/signup", json={"email": f"w{email}", "password": "password", "name": "W"}
        )
        assert weak.status_code == 422
        taken = client.post(
            "/api/auth/signup", json={"email": account.email, "password": PASSWORD, "name": "X"}
        )
        # The same answer as for a new address: whether an account exists is not told.
        assert taken.status_code == 202 and taken.json() == {**fresh.json(), "email": account.email}


def test_refresh_rotates_and_reuse_revokes_the_family(mesh: Mesh, account: Account) -> None:
    with httpx.Client(base_url=mesh.http_url) as client:
        first = client.post("/api/auth/refresh", json={"refresh_token": account.refresh_token})
        assert first.status_code == 200
        rotated = first.json()["refresh_token"]
        assert rotated != account.refresh_token
        reused = client.post("/api/auth/refresh", json={"refresh_token": account.refresh_token})
        assert reused.status_code == 401
        # The reuse revoked the whole family, including the token issued by the rotation.
        assert client.post("/api/auth/refresh", json={"refresh_token": rotated}).status_code == 401


def test_one_recruiter_never_sees_anothers_jobs_resumes_or_batches(
    account: Account, other_account: Account
) -> None:
    job = create_job(account.client)
    sample = SAMPLE_RESUMES[0]
    resume_id = upload(account.client, job["id"], [(sample.filename, render_pdf(sample.lines))]).json()[
        "items"
    ][0]["id"]
    batch = account.client.post("/api/batches", json={"job_id": job["id"]}).json()
    intruder = other_account.client
    assert intruder.get(f"/api/jobs/{job['id']}").status_code == 404
    assert intruder.get(f"/api/jobs/{job['id']}/resumes").status_code == 404
    assert intruder.get(f"/api/resumes/{resume_id}").status_code == 404
    assert intruder.get(f"/api/batches/{batch['id']}").status_code == 404
    assert intruder.post("/api/batches", json={"job_id": job["id"]}).status_code == 404
    assert upload(intruder, job["id"], [(sample.filename, render_pdf(sample.lines))]).status_code == 404
    assert intruder.post(f"/api/resumes/{resume_id}/analysis").status_code == 404
    assert job["id"] not in {j["id"] for j in intruder.get("/api/jobs").json()["items"]}
    assert intruder.get(f"/api/jobs/{job['id']}").json()["error"]["code"] == "not_found"


def test_health_and_readiness(mesh: Mesh) -> None:
    assert httpx.get(f"{mesh.http_url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{mesh.http_url}/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {
        "postgres": "ok",
        "nats": "ok",
        "extractor": "ok",
        "ranker": "ok",
        "analyzer": "ok",
    }
    assert httpx.get(f"{mesh.http_url}/openapi.json").json()["info"]["title"] == "Screener API"


def test_repeated_sign_in_failures_lock_the_account_out_with_retry_after(
    mesh: Mesh, account: Account
) -> None:
    with httpx.Client(base_url=mesh.http_url) as client:
        statuses = [
            client.post(
                "/api/auth/login", json={"email": account.email, "password": "Wrong-Passw0rd"}
            ).status_code
            for _ in range(10)
        ]
        assert statuses == [401] * 10
        locked = client.post("/api/auth/login", json={"email": account.email, "password": PASSWORD})
        assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1
        assert locked.json()["error"]["code"] == "rate_limited"


def test_resend_cooldown_and_password_reset_by_code(mesh: Mesh, mailbox: MailSink) -> None:
    import time

    email = f"reset-{uuid.uuid4().hex[:8]}@screener-tests.example.com"
    with httpx.Client(base_url=mesh.http_url) as client:
        assert (
            client.post(
                "/api/auth/signup", json={"email": email, "password": PASSWORD, "name": "R"}
            ).status_code
            == 202
        )
        first = mailbox.code_for(email)
        assert client.post("/api/auth/resend", json={"email": email}).status_code == 202
        too_soon = client.post("/api/auth/resend", json={"email": email})
        assert too_soon.status_code == 429 and too_soon.headers["Retry-After"]
        time.sleep(0.5)
        second = mailbox.code_for(email, after=1)
        # Only the newest code works.
        if first != second:
            assert client.post("/api/auth/verify", json={"email": email, "code": first}).status_code == 401
        tokens = client.post("/api/auth/verify", json={"email": email, "code": second}).json()
        sent_before = len(mailbox.messages_to(email))
        unknown = client.post("/api/auth/password/forgot", json={"email": f"nobody-{email}"})
        assert unknown.status_code == 202  # the same answer whether or not the account exists
        assert client.post("/api/auth/password/forgot", json={"email": email}).status_code == 202
        code = mailbox.code_for(email, after=sent_before)
        weak = client.post(
            "/api/auth/password/reset", json={"email": email, "code": code, "new_password": "short"}
        )
        assert weak.status_code == 422
        new_password = "Another-Passw0rd!"
        reset = client.post(
            "/api/auth/password/reset", json={"email": email, "code": code, "new_password": new_password}
        )
        assert reset.status_code == 200, reset.text
        assert client.post("/api/auth/login", json={"email": email, "password": PASSWORD}).status_code == 401
        assert (
            client.post("/api/auth/login", json={"email": email, "password": new_password}).status_code == 200
        )
        # Every earlier session was signed out.
        assert (
            client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code
            == 401
        )


def test_expired_tampered_and_foreign_tokens_are_refused(mesh: Mesh, account: Account) -> None:
    from datetime import UTC, datetime, timedelta

    import jwt

    secret = mesh.jwt_secret
    token = account.client.headers["Authorization"].split()[1]
    claims = jwt.decode(token, options={"verify_signature": False})
    now = datetime.now(UTC)

    def call(forged: str) -> int:
        return httpx.get(
            f"{mesh.http_url}/api/jobs", headers={"Authorization": f"Bearer {forged}"}
        ).status_code

    assert call(token) == 200
    # Positive control: the same claims signed again with the mesh's secret pass, so the refusals
    # below are for what was changed in each token.
    assert call(jwt.encode(claims, secret, algorithm="HS256")) == 200
    expired = {
        **claims,
        "iat": now - timedelta(hours=2),
        "nbf": now - timedelta(hours=2),
        "exp": now - timedelta(hours=1),
    }
    assert call(jwt.encode(expired, secret, algorithm="HS256")) == 401
    assert call(jwt.encode({**claims, "aud": "another-service"}, secret, algorithm="HS256")) == 401
    assert call(jwt.encode({**claims, "iss": "someone-else"}, secret, algorithm="HS256")) == 401
    assert (
        call(jwt.encode(claims, "a-different-secret-of-enough-length-0123456789", algorithm="HS256")) == 401
    )
    header, payload, signature = token.split(".")
    tampered_payload = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(
            claims["sub"].encode(), b"00000000-0000-0000-0000-000000000000"
        )
    ).decode()
    assert call(f"{header}.{tampered_payload}.{signature}") == 401
    # An HS384 token signed with the right secret is still refused: the algorithm is pinned.
    assert call(jwt.encode(claims, secret, algorithm="HS384")) == 401


def test_unknown_job_fields_are_refused_with_the_field_that_was_meant(account: Account) -> None:
    client = account.client
    before = len(client.get("/api/jobs").json()["items"])
    for body, field, meant in (
        ({"title": "Backend", "required_skils": ["Python"]}, "required_skils", "required_skills"),
        ({"title": "Backend", "min_years": 5}, "min_years", "min_years_experience"),
        ({"title": "Backend", "weights": {"semantik": 1}}, "semantik", "semantic"),
    ):
        refused = client.post("/api/jobs", json=body)
        assert refused.status_code == 422, refused.text
        message = " ".join(d["msg"] for d in refused.json()["error"]["details"])
        assert f"unknown field '{field}'" in message and f"did you mean '{meant}'" in message
    assert len(client.get("/api/jobs").json()["items"]) == before
    job = client.post("/api/jobs", json={"title": "Backend"}).json()
    patched = client.patch(f"/api/jobs/{job['id']}", json={"preferred_skils": ["Go"]})
    assert patched.status_code == 422 and "preferred_skills" in patched.text
