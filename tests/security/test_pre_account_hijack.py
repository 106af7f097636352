"""Signing up with someone else's address: the second sign-up changes nothing of the account, its owner
is mailed, and the answer is the one a new address gets."""

from __future__ import annotations

import re
import time
import uuid

from services.demo.mailbox import MailSink
from services.launcher import Mesh
from tests.conftest import PASSWORD
from tests.security.conftest import client_from, signed_up

ATTACKER_PASSWORD = "Attacker-Owns-7"


def test_a_second_sign_up_cannot_take_an_unverified_account(security_mesh: Mesh, mailbox: MailSink) -> None:
    email = f"owner-{uuid.uuid4().hex[:10]}@screener-tests.example.com"
    owner, attacker = client_from(security_mesh), client_from(security_mesh)
    first = owner.post("/api/auth/signup", json={"email": email, "password": PASSWORD, "name": "Owner"})
    assert first.status_code == 202, first.text
    # The attacker signs up with the same address before the owner has verified it.
    second = attacker.post(
        "/api/auth/signup", json={"email": email, "password": ATTACKER_PASSWORD, "name": "X"}
    )
    assert second.status_code == 202 and second.json() == first.json(), second.text
    # The owner verifies with the newest code (a second sign-up mails one to the mailbox owner, not the
    # attacker) and keeps their own password; the attacker's password opens nothing.
    newest = mailbox.code_for(email, after=1)
    # Signing up again at once neither mails again nor spends the code just mailed.
    third = attacker.post(
        "/api/auth/signup", json={"email": email, "password": ATTACKER_PASSWORD, "name": "X"}
    )
    assert third.status_code == 202
    time.sleep(1)
    assert len(mailbox.messages_to(email)) == 2
    verified = owner.post("/api/auth/verify", json={"email": email, "code": newest})
    assert verified.status_code == 200, verified.text
    login = client_from(security_mesh).post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    stolen = client_from(security_mesh).post(
        "/api/auth/login", json={"email": email, "password": ATTACKER_PASSWORD}
    )
    assert stolen.status_code == 401
    me = verified.json()["access_token"]
    assert owner.get("/api/jobs", headers={"Authorization": f"Bearer {me}"}).status_code == 200


def test_signing_up_a_taken_address_answers_as_for_a_new_one_and_tells_the_owner(
    security_mesh: Mesh, mailbox: MailSink
) -> None:
    person = signed_up(security_mesh, mailbox)
    stranger = client_from(security_mesh)
    fresh_email = f"fresh-{uuid.uuid4().hex[:10]}@screener-tests.example.com"
    fresh = stranger.post(
        "/api/auth/signup", json={"email": fresh_email, "password": PASSWORD, "name": "New"}
    )
    before = len(mailbox.messages_to(person.email))
    taken = stranger.post(
        "/api/auth/signup",
        json={"email": f" {person.email.upper()}", "password": ATTACKER_PASSWORD, "name": "X"},
    )
    assert (taken.status_code, fresh.status_code) == (202, 202)
    assert set(taken.json()) == set(fresh.json()) and taken.json()["message"] == fresh.json()["message"]
    assert taken.json()["email"] == person.email
    # The owner is told, and the account is unchanged.
    deadline = time.monotonic() + 15
    while len(mailbox.messages_to(person.email)) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    (notice,) = mailbox.messages_to(person.email)[before:]
    body = notice.get_payload(decode=True).decode()
    assert "already has one" in body and "Nothing was changed" in body
    assert not re.search(r"\b\d{6}\b", body)  # no code: the account is verified
    login = client_from(security_mesh).post(
        "/api/auth/login", json={"email": person.email, "password": PASSWORD}
    )
    assert login.status_code == 200
