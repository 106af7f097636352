"""Tokens nobody should be able to mint or keep using: the secret printed in old sources, a token for an
account that does not exist, and an access token after its session was ended."""

from __future__ import annotations

import stat
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt

from services.demo.mailbox import MailSink
from services.launcher import Mesh, MeshConfig
from tests.conftest import PASSWORD
from tests.security.conftest import client_from, signed_up

# The development secret earlier releases signed with when none was configured.
PUBLISHED_SECRET = "change-me-dev-only-secret-0123456789abcdef-not-for-any-real-deployment"


def _token(secret: str, sub: str, **extra: object) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": sub,
        "iss": "screener",
        "aud": "screener-api",
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=5),
        "typ": "access",
        **extra,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def test_a_local_mesh_signs_with_a_secret_of_its_own(security_mesh: Mesh, mailbox: MailSink) -> None:
    person = signed_up(security_mesh, mailbox)
    access = person.client.headers["Authorization"].split()[1]
    claims = jwt.decode(access, options={"verify_signature": False})
    stored = security_mesh.data_dir / "jwt_secret"
    assert stored.read_text().strip() == security_mesh.jwt_secret and len(security_mesh.jwt_secret) >= 32
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    client = client_from(security_mesh)
    # Positive control: the mesh's own secret, the same claims: accepted.
    own = _token(security_mesh.jwt_secret, claims["sub"], fam=claims["fam"])
    assert client.get("/api/jobs", headers={"Authorization": f"Bearer {own}"}).status_code == 200
    forged = _token(PUBLISHED_SECRET, claims["sub"], fam=claims["fam"])
    assert client.get("/api/jobs", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_the_secret_is_kept_across_starts_and_differs_between_installations(tmp_path: Path) -> None:
    first = Mesh(MeshConfig.with_free_ports(tmp_path / "a"))
    first.data_dir.mkdir(parents=True)
    again = Mesh(MeshConfig.with_free_ports(tmp_path / "a"))
    other = Mesh(MeshConfig.with_free_ports(tmp_path / "b"))
    other.data_dir.mkdir(parents=True)
    secret = Mesh._kept_secret
    assert (
        secret(first, "JWT_SECRET", "jwt")
        == secret(again, "JWT_SECRET", "jwt")
        != secret(other, "JWT_SECRET", "jwt")
    )


def test_a_token_for_an_account_that_does_not_exist_is_401_everywhere(security_mesh: Mesh) -> None:
    ghost = f"Bearer {_token(security_mesh.jwt_secret, str(uuid.uuid4()), fam=str(uuid.uuid4()))}"
    client = client_from(security_mesh)
    client.headers["Authorization"] = ghost
    answers = [
        client.get("/api/jobs").status_code,
        client.post("/api/jobs", json={"title": "Ghost job"}).status_code,
        client.post("/api/keys", json={"name": "ghost"}).status_code,
        client.get(f"/api/jobs/{uuid.uuid4()}").status_code,
    ]
    assert answers == [401] * 4


def test_access_tokens_die_with_their_session(security_mesh: Mesh, mailbox: MailSink) -> None:
    person = signed_up(security_mesh, mailbox)
    login = client_from(security_mesh).post(
        "/api/auth/login", json={"email": person.email, "password": person.password}
    )
    other_session = login.json()
    client = client_from(security_mesh)

    def works(access: str) -> bool:
        answer = client.get("/api/jobs", headers={"Authorization": f"Bearer {access}"})
        assert answer.status_code in {200, 401}, answer.text
        return answer.status_code == 200

    first_access = person.client.headers["Authorization"].split()[1]
    assert works(first_access) and works(other_session["access_token"])
    # Signing out one session ends its access token at once, and only its own.
    assert (
        client.post("/api/auth/logout", json={"refresh_token": other_session["refresh_token"]}).status_code
        == 204
    )
    assert not works(other_session["access_token"]) and works(first_access)

    # A password reset ends every session.
    mailed = len(mailbox.messages_to(person.email))
    assert client.post("/api/auth/password/forgot", json={"email": person.email}).status_code == 202
    code = mailbox.code_for(person.email, after=mailed)
    reset = {"email": person.email, "code": code, "new_password": PASSWORD + "-new"}
    assert client.post("/api/auth/password/reset", json=reset).status_code == 200
    assert not works(first_access)
