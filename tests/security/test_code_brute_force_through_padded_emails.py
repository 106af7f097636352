"""Guessing a mailed code: no spelling of the address buys more guesses, and one client cannot try many
accounts' codes either."""

from __future__ import annotations

import time
import uuid

from services.demo.mailbox import MailSink
from services.launcher import Mesh
from tests.security.conftest import client_from, signed_up

NEW_PASSWORD = "Another-Horse-42"
# The limiter weighs the previous window too: two whole 2-second windows clear the cooldown.
COOLDOWN_WINDOWS = 4.2


def _spellings(email: str) -> list[str]:
    local, domain = email.split("@")
    return [
        f" {email}",
        f"{email}\t",
        f"{email.upper()} ",
        f"\n{local.upper()}@{domain}",
        f"{local}@{domain.upper()}  ",
        f"\t {email} \t",
    ]


def test_padded_spellings_of_one_address_share_one_guess_budget(
    security_mesh: Mesh, mailbox: MailSink
) -> None:
    victim = signed_up(security_mesh, mailbox)
    attacker = client_from(security_mesh)
    spellings = _spellings(victim.email)

    # A reset code is mailed; asking again under another spelling is the same account's cooldown.
    mailed = len(mailbox.messages_to(victim.email))
    assert attacker.post("/api/auth/password/forgot", json={"email": victim.email}).status_code == 202
    again = attacker.post("/api/auth/password/forgot", json={"email": spellings[0]})
    assert again.status_code == 429, again.text
    code = mailbox.code_for(victim.email, after=mailed)
    wrong = "000000" if code != "000000" else "111111"

    def guess(spelling: str, value: str) -> int:
        body = {"email": spelling, "code": value, "new_password": NEW_PASSWORD}
        return attacker.post("/api/auth/password/reset", json=body).status_code

    # Five wrong guesses kill the code, whatever spelling each used: then even the right code fails.
    assert [guess(s, wrong) for s in spellings[:5]] == [401] * 5
    assert guess(spellings[5], code) == 429

    # A second code, and three more wrong guesses: the account's budget (ten guesses per ten minutes,
    # verification and reset together; the owner's own verification was the first) is then spent for
    # every spelling and every code, the right one too.
    time.sleep(COOLDOWN_WINDOWS)
    mailed = len(mailbox.messages_to(victim.email))
    assert attacker.post("/api/auth/password/forgot", json={"email": spellings[1]}).status_code == 202
    second = mailbox.code_for(victim.email, after=mailed)
    assert second != code
    assert [guess(s, wrong if second != wrong else "222222") for s in spellings[:3]] == [401] * 3
    time.sleep(COOLDOWN_WINDOWS)
    mailed = len(mailbox.messages_to(victim.email))
    assert attacker.post("/api/auth/password/forgot", json={"email": spellings[2]}).status_code == 202
    third = mailbox.code_for(victim.email, after=mailed)
    assert guess(spellings[3], third) == 429
    # The owner's password still works: nothing was reset.
    login = client_from(security_mesh).post(
        "/api/auth/login", json={"email": victim.email, "password": victim.password}
    )
    assert login.status_code == 200, login.text


def test_one_client_guessing_many_accounts_codes_is_stopped(security_mesh: Mesh) -> None:
    attacker = client_from(security_mesh)
    answers = []
    for _ in range(31):
        email = f"nobody-{uuid.uuid4().hex[:8]}@screener-tests.example.com"
        answers.append(attacker.post("/api/auth/verify", json={"email": email, "code": "123456"}).status_code)
        reset = {"email": email, "code": "123456", "new_password": NEW_PASSWORD}
        answers.append(attacker.post("/api/auth/password/reset", json=reset).status_code)
    # Thirty code guesses per client per ten minutes, verification and reset together.
    assert answers[:30] == [401] * 30 and set(answers[30:]) == {429}, answers
    # Another client is not affected.
    other = client_from(security_mesh)
    answer = other.post(
        "/api/auth/verify", json={"email": "someone@screener-tests.example.com", "code": "1234"}
    )
    assert answer.status_code == 401


def test_every_auth_route_reads_one_canonical_address(security_mesh: Mesh, mailbox: MailSink) -> None:
    person = signed_up(security_mesh, mailbox)
    client = client_from(security_mesh)
    for spelling in _spellings(person.email):
        login = client.post("/api/auth/login", json={"email": spelling, "password": person.password})
        assert login.status_code == 200, (spelling, login.text)
    bad = client.post("/api/auth/login", json={"email": "not an address", "password": person.password})
    assert bad.status_code == 422 and "email" in str(bad.json()["error"]["details"])
