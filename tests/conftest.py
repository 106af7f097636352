"""Test session fixtures: one real mesh (embedded Postgres, nats-server, every service) per session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from services.demo.mailbox import MailSink
from services.launcher import Mesh, MeshConfig, free_port
from tests.fake_llm import FakeLlm
from tests.otlp_collector import OtlpCollector

PASSWORD = "Correct-Horse-9"


@pytest.fixture(scope="session")
def mailbox() -> Iterator[MailSink]:
    sink = MailSink(free_port())
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture(scope="session")
def llm() -> Iterator[FakeLlm]:
    server = FakeLlm(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def collector() -> Iterator[OtlpCollector]:
    server = OtlpCollector(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mesh(
    tmp_path_factory: pytest.TempPathFactory, mailbox: MailSink, llm: FakeLlm, collector: OtlpCollector
) -> Iterator[Mesh]:
    config = MeshConfig.with_free_ports(
        tmp_path_factory.mktemp("mesh"),
        smtp_url=mailbox.url,
        extra_env={
            "LOG_LEVEL": "INFO",
            "NATS_ACK_WAIT_SECONDS": "10",
            # The analyzer talks to a local OpenAI-compatible server through the real openai SDK.
            "OPENAI_BASE_URL": llm.base_url,
            "OPENAI_API_KEY": "test-key",
            "ANALYZER_MODEL": "fake-model",
            "ANALYZER_BATCH_SIZE": "4",
            # Every test signs up from 127.0.0.1: per-client limits are raised, per-account ones stay.
            "RATE_LIMIT_SIGNUP_PER_CLIENT": "1000",
            "RATE_LIMIT_VERIFY_PER_CLIENT": "1000",
            "RATE_LIMIT_LOGIN_PER_CLIENT": "1000",
            "RATE_LIMIT_UPLOAD_PER_CLIENT": "1000",
            "CODE_RESEND_COOLDOWN_SECONDS": "2",
            "TASK_SWEEP_SECONDS": "1",
            # Traces go to an in-process OTLP collector, exported every 200 ms.
            "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
            "OTEL_EXPORTER_OTLP_INSECURE": "true",
            "OTEL_BSP_SCHEDULE_DELAY": "200",
        },
    )
    running = Mesh(config)
    running.start(timeout=240)
    yield running
    running.stop()


@dataclass
class Account:
    email: str
    client: httpx.Client
    refresh_token: str


def signup_and_verify(mesh: Mesh, mailbox: MailSink, name: str = "Test Recruiter") -> Account:
    """A fresh verified recruiter, signed up through the API and verified with the mailed code."""
    email = f"recruiter-{uuid.uuid4().hex[:10]}@screener-tests.example.com"
    client = httpx.Client(base_url=mesh.http_url, timeout=60)
    response = client.post("/api/auth/signup", json={"email": email, "password": PASSWORD, "name": name})
    assert response.status_code == 202, response.text
    code = mailbox.code_for(email)
    response = client.post("/api/auth/verify", json={"email": email, "code": code})
    assert response.status_code == 200, response.text
    tokens = response.json()
    client.headers["Authorization"] = f"Bearer {tokens['access_token']}"
    return Account(email=email, client=client, refresh_token=tokens["refresh_token"])


@pytest.fixture
def account(mesh: Mesh, mailbox: MailSink) -> Iterator[Account]:
    created = signup_and_verify(mesh, mailbox)
    yield created
    created.client.close()


@pytest.fixture
def other_account(mesh: Mesh, mailbox: MailSink) -> Iterator[Account]:
    created = signup_and_verify(mesh, mailbox, name="Other Recruiter")
    yield created
    created.client.close()
