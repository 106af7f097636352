"""Passwords from the lists attackers try first are refused; responses are never sniffed into another
type, served files can run nothing, and nothing from the auth routes is cached."""

from __future__ import annotations

import uuid

from services.demo.mailbox import MailSink
from services.demo.samples import SAMPLE_JOB, SAMPLE_RESUMES, render_pdf
from services.launcher import Mesh
from tests.conftest import PASSWORD
from tests.security.conftest import client_from, signed_up

COMMON = ["Password1!", "Qwerty123456!", "Welcome2024!", "Iloveyou123!", "P@ssw0rd1234"]


def test_common_and_personal_passwords_are_refused(security_mesh: Mesh, mailbox: MailSink) -> None:
    client = client_from(security_mesh)
    for password in COMMON:
        email = f"weak-{uuid.uuid4().hex[:8]}@screener-tests.example.com"
        answer = client.post("/api/auth/signup", json={"email": email, "password": password, "name": "Weak"})
        assert answer.status_code == 422 and "harder password" in answer.text, (password, answer.text)
    # The account's own name is no secret either.
    email = f"maximilian-{uuid.uuid4().hex[:8]}@screener-tests.example.com"
    named = {"email": email, "password": "Maximilian2024", "name": "Maximilian"}
    assert client.post("/api/auth/signup", json=named).status_code == 422
    # A password zxcvbn rates as hard is accepted (the one every test account uses).
    fine = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD, "name": "Maximilian"})
    assert fine.status_code == 202, fine.text
    # A reset to a common password is refused the same way.
    person = signed_up(security_mesh, mailbox)
    mailed = len(mailbox.messages_to(person.email))
    assert client.post("/api/auth/password/forgot", json={"email": person.email}).status_code == 202
    code = mailbox.code_for(person.email, after=mailed)
    reset = client.post(
        "/api/auth/password/reset", json={"email": person.email, "code": code, "new_password": "Password1!"}
    )
    assert reset.status_code == 422 and "harder password" in reset.text


def test_headers_keep_browsers_from_sniffing_running_or_caching(
    security_mesh: Mesh, mailbox: MailSink
) -> None:
    person = signed_up(security_mesh, mailbox)
    login = client_from(security_mesh).post(
        "/api/auth/login", json={"email": person.email, "password": person.password}
    )
    assert login.status_code == 200 and login.headers["Cache-Control"] == "no-store"
    assert login.headers["X-Content-Type-Options"] == "nosniff"
    client = person.client
    job = client.post("/api/jobs", json=SAMPLE_JOB).json()
    assert client.get(f"/api/jobs/{job['id']}").headers["X-Content-Type-Options"] == "nosniff"
    uploaded = client.post(
        f"/api/jobs/{job['id']}/resumes",
        files=[("files", ("cv.pdf", render_pdf(SAMPLE_RESUMES[0].lines), "application/pdf"))],
    ).json()["items"][0]
    served = client.get(f"/api/resumes/{uploaded['id']}/file")
    assert served.status_code == 200 and served.content.startswith(b"%PDF-")
    assert served.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"].startswith("attachment;")
    assert "no-store" in served.headers["Cache-Control"]
