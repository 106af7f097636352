"""Mail over TLS, against a real SMTP server (aiosmtpd) with a certificate from a test authority.

smtps:// is TLS from the first byte; smtp:// requires STARTTLS and never sends a password in clear;
smtp://...?tls=none is plain SMTP, for a local relay. A certificate the client does not trust is refused.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes

import aiosmtplib
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from services.gateway.mailer import Mailer, SmtpTarget
from services.launcher import free_port

USER, PASSWORD = "screener", "mail-secret-9"


def _over_tls(server: SMTP) -> bool:
    """Whether this SMTP session's bytes travel over TLS (implicit, or since STARTTLS)."""
    return server.transport is not None and server.transport.get_extra_info("ssl_object") is not None


@dataclass
class Inbox:
    received: list[tuple[str, bool, str]] = field(default_factory=list)  # (to, over TLS, subject)
    logins: list[tuple[str, bool]] = field(default_factory=list)  # (user, over TLS)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: object, envelope: object) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content)  # type: ignore[attr-defined]
        with self.lock:
            self.received.append(
                (envelope.rcpt_tos[0], _over_tls(server), str(message["Subject"]))  # type: ignore[attr-defined]
            )
        return "250 OK"

    def authenticate(
        self, server: SMTP, session: object, envelope: object, mechanism: str, data: object
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        ok = (data.login.decode(), data.password.decode()) == (USER, PASSWORD)
        with self.lock:
            self.logins.append((data.login.decode(), _over_tls(server)))
        return AuthResult(success=ok)


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(context)
    return context


@pytest.fixture
def client_tls(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return context


def _serve(inbox: Inbox, **kwargs: object) -> tuple[Controller, int]:
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        server_hostname="localhost",
        authenticator=inbox.authenticate,
        auth_required=True,
        **kwargs,
    )
    controller.start()
    return controller, port


@pytest.fixture
def starttls_server(server_tls: ssl.SSLContext) -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller, port = _serve(inbox, tls_context=server_tls, require_starttls=True)
    yield inbox, port
    controller.stop()


@pytest.fixture
def implicit_tls_server(server_tls: ssl.SSLContext) -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    # aiosmtpd counts only STARTTLS as TLS for AUTH; on an implicit-TLS listener every byte is TLS (the
    # handlers check the transport).
    controller, port = _serve(inbox, ssl_context=server_tls, auth_require_tls=False)
    yield inbox, port
    controller.stop()


@pytest.fixture
def plain_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, server_hostname="localhost")
    controller.start()
    yield inbox, port
    controller.stop()


async def test_smtp_url_sends_over_starttls_with_a_login(
    starttls_server: tuple[Inbox, int], client_tls: ssl.SSLContext
) -> None:
    inbox, port = starttls_server
    mailer = Mailer(
        f"smtp://{USER}:{PASSWORD}@localhost:{port}",
        "Screener <no-reply@example.com>",
        tls_context=client_tls,
    )
    await mailer.send("ana@example.com", "Your code", "123456")
    assert inbox.logins == [(USER, True)]
    assert inbox.received == [("ana@example.com", True, "Your code")]


async def test_smtps_url_sends_over_implicit_tls(
    implicit_tls_server: tuple[Inbox, int], client_tls: ssl.SSLContext
) -> None:
    inbox, port = implicit_tls_server
    mailer = Mailer(
        f"smtps://{USER}:{PASSWORD}@localhost:{port}", "no-reply@example.com", tls_context=client_tls
    )
    await mailer.send("ben@example.com", "Reset", "654321")
    assert inbox.logins == [(USER, True)]
    assert inbox.received == [("ben@example.com", True, "Reset")]


async def test_smtp_url_refuses_a_server_without_starttls_before_any_password(
    plain_server: tuple[Inbox, int], client_tls: ssl.SSLContext
) -> None:
    inbox, port = plain_server
    mailer = Mailer(
        f"smtp://{USER}:{PASSWORD}@localhost:{port}", "no-reply@example.com", tls_context=client_tls
    )
    with pytest.raises(aiosmtplib.SMTPException, match=r"(?i)tls"):
        await mailer.send("eve@example.com", "Your code", "123456")
    assert inbox.logins == [] and inbox.received == []
    # Asked for explicitly, plain SMTP works (a relay on the same host, a development sink).
    await Mailer(f"smtp://localhost:{port}?tls=none", "no-reply@example.com").send(
        "eve@example.com", "Hi", "x"
    )
    assert inbox.received == [("eve@example.com", False, "Hi")]


async def test_an_untrusted_certificate_is_refused(
    starttls_server: tuple[Inbox, int], implicit_tls_server: tuple[Inbox, int]
) -> None:
    for (inbox, port), scheme in ((starttls_server, "smtp"), (implicit_tls_server, "smtps")):
        mailer = Mailer(f"{scheme}://{USER}:{PASSWORD}@localhost:{port}", "no-reply@example.com")
        with pytest.raises((aiosmtplib.SMTPException, ssl.SSLError)):
            await mailer.send("eve@example.com", "Your code", "123456")
        assert inbox.logins == [] and inbox.received == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtps://u:p@mail.example.com", ("mail.example.com", 465, "implicit")),
        ("smtp://u:p@mail.example.com", ("mail.example.com", 587, "starttls")),
        ("smtp://mail.example.com:2525?tls=starttls", ("mail.example.com", 2525, "starttls")),
        ("smtp://127.0.0.1:2525?tls=none", ("127.0.0.1", 2525, "none")),
    ],
)
def test_smtp_urls_are_read_explicitly(url: str, expected: tuple[str, int, str]) -> None:
    target = SmtpTarget.parse(url)
    assert (target.host, target.port, target.tls) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://mail.example.com",
        "smtp://",
        "smtps://m.example.com?tls=none",
        "smtp://m?tls=maybe",
        "smtp://m?tsl=none",
    ],
)
def test_a_misspelt_smtp_url_stops_the_gateway_with_the_reason(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pydantic import ValidationError

    from services.gateway.settings import GatewaySettings

    monkeypatch.setenv("JWT_SECRET", "j" * 40)
    monkeypatch.setenv("INTERNAL_API_TOKEN", "t" * 40)
    monkeypatch.setenv("SMTP_URL", url)
    with pytest.raises(ValidationError, match="SMTP_URL"):
        GatewaySettings()
