"""A mesh of its own for attacks, with the production defaults for every limit.

Per-client limits are keyed by the caller's address, so each attack calls from an address of its own
on the loopback network (127.0.0.0/8): one test's attempts never spend another's budget.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from services.demo.mailbox import MailSink
from services.launcher import Mesh, MeshConfig
from tests.conftest import PASSWORD

_addresses = (f"127.0.{a}.{b}" for a, b in itertools.product(range(10, 250), range(2, 250)))


@pytest.fixture(scope="package")
def security_mesh(tmp_path_factory: pytest.TempPathFactory, mailbox: MailSink) -> Iterator[Mesh]:
    config = MeshConfig.with_free_ports(
        tmp_path_factory.mktemp("security-mesh"),
        smtp_url=mailbox.url,
        # Only the code cooldown is shortened, so a test can ask for a second code without waiting a minute.
        extra_env={"LOG_LEVEL": "INFO", "CODE_RESEND_COOLDOWN_SECONDS": "2"},
    )
    running = Mesh(config)
    running.start(timeout=240)
    yield running
    running.stop()


def client_from(mesh: Mesh, address: str | None = None) -> httpx.Client:
    """A client whose requests come from an address of its own (a new one unless one is given)."""
    transport = httpx.HTTPTransport(local_address=address or next(_addresses))
    return httpx.Client(base_url=mesh.http_url, timeout=60, transport=transport)


@dataclass
class Person:
    email: str
    password: str
    client: httpx.Client


def signed_up(mesh: Mesh, mailbox: MailSink) -> Person:
    """A verified account, created from an address of its own."""
    email = f"person-{uuid.uuid4().hex[:10]}@screener-tests.example.com"
    client = client_from(mesh)
    created = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD, "name": "Pat Doe"})
    assert created.status_code == 202, created.text
    verified = client.post("/api/auth/verify", json={"email": email, "code": mailbox.code_for(email)})
    assert verified.status_code == 200, verified.text
    client.headers["Authorization"] = f"Bearer {verified.json()['access_token']}"
    return Person(email, PASSWORD, client)
