"""X-Forwarded-For is believed only from the configured proxies: rotating it from any other hop buys no
fresh rate-limit budget, and behind a configured proxy each real client is a client of its own."""

from __future__ import annotations

import asyncio
import uuid

from services.gateway.__main__ import http_config
from services.gateway.settings import GatewaySettings
from services.launcher import Mesh
from tests.security.conftest import client_from

# RATE_LIMIT_LOGIN_PER_CLIENT's default: sign-in attempts per client per minute.
PER_CLIENT = 30


def test_a_rotated_forwarded_for_is_ignored_when_no_proxy_is_configured(security_mesh: Mesh) -> None:
    # 127.0.0.1 is the hop uvicorn would trust on its own.
    client = client_from(security_mesh, "127.0.0.1")
    answers = []
    for n in range(1, PER_CLIENT + 3):
        body = {
            "email": f"nobody-{uuid.uuid4().hex[:8]}@screener-tests.example.com",
            "password": "Wrong-Pass-1",
        }
        answer = client.post("/api/auth/login", json=body, headers={"X-Forwarded-For": f"198.51.100.{n}"})
        answers.append(answer.status_code)
    assert answers[:PER_CLIENT] == [401] * PER_CLIENT and set(answers[PER_CLIENT:]) == {429}, answers


async def _client_seen(settings: GatewaySettings, peer: str, forwarded_for: str) -> str:
    """The client address the gateway's HTTP server hands the application for one request."""
    seen: list[str] = []

    async def app(scope: dict, receive: object, send: object) -> None:
        seen.append(scope["client"][0])

    config = http_config(app, settings)
    config.load()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": [(b"x-forwarded-for", forwarded_for.encode())],
        "client": (peer, 40000),
        "server": ("127.0.0.1", 8080),
    }
    await config.loaded_app(scope, None, None)
    return seen[0]


def test_only_the_configured_proxies_name_the_client() -> None:
    secrets = {"JWT_SECRET": "x" * 40, "INTERNAL_API_TOKEN": "y" * 40}
    unset = GatewaySettings(**secrets)
    assert asyncio.run(_client_seen(unset, "127.0.0.1", "198.51.100.7")) == "127.0.0.1"
    behind = GatewaySettings(**secrets, FORWARDED_ALLOW_IPS="10.244.0.0/16")
    assert asyncio.run(_client_seen(behind, "10.244.3.9", "198.51.100.7")) == "198.51.100.7"
    assert asyncio.run(_client_seen(behind, "10.99.0.1", "198.51.100.7")) == "10.99.0.1"
