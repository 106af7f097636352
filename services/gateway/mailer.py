"""Outgoing email: real SMTP to SMTP_URL, or the gateway log when none is configured (dev).

SMTP_URL says how to protect the connection, and nothing is left to chance:
- `smtps://user:pass@host[:465]`: TLS from the first byte (implicit TLS).
- `smtp://user:pass@host[:587]`: STARTTLS, required: a server that does not offer it is refused before
  any credential is sent.
- `smtp://host:port?tls=none`: no TLS at all, for a relay on the same host or a development mail sink.
Certificates are checked against the system's trusted authorities (SSL_CERT_FILE names another bundle).
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlparse

import aiosmtplib

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    body: str


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    username: str | None
    password: str | None
    # "implicit" (smtps), "starttls" (smtp) or "none" (smtp with ?tls=none)
    tls: str

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        parts = urlparse(url)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        unknown = set(query) - {"tls"}
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname or unknown:
            raise ValueError(
                "SMTP_URL must be smtps://[user:pass@]host[:465], smtp://[user:pass@]host[:587] (STARTTLS) "
                "or smtp://host:port?tls=none"
            )
        if parts.scheme == "smtps":
            if "tls" in query:
                raise ValueError("SMTP_URL: smtps:// is always TLS; ?tls applies to smtp:// only")
            tls = "implicit"
        else:
            tls = {"none": "none", "starttls": "starttls"}.get(query.get("tls", "starttls"), "")
            if not tls:
                raise ValueError("SMTP_URL's ?tls= takes starttls (the default for smtp://) or none")
        if tls == "none" and parts.password:
            log.warning("SMTP_URL sends a password without TLS (?tls=none)")
        return cls(
            host=parts.hostname,
            port=parts.port or {"implicit": 465, "starttls": 587, "none": 25}[tls],
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
        )


class Mailer:
    def __init__(self, smtp_url: str, sender: str, *, tls_context: ssl.SSLContext | None = None) -> None:
        """tls_context: the certificates to trust (the system's by default)."""
        self.target = SmtpTarget.parse(smtp_url) if smtp_url else None
        self.sender = sender
        self.tls_context = tls_context

    async def deliver(self, mail: OutgoingMail) -> None:
        """Send now; a failure is logged, since the caller has already answered its client."""
        try:
            await self.send(mail.to, mail.subject, mail.body)
        except Exception as exc:
            log.error("could not send email to %s: %s", mail.to, exc)

    async def send(self, to: str, subject: str, body: str) -> None:
        target = self.target
        if target is None:
            log.warning("no SMTP_URL configured; email to %s: %s | %s", to, subject, body)
            return
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        await aiosmtplib.send(
            message,
            hostname=target.host,
            port=target.port,
            username=target.username,
            password=target.password,
            use_tls=target.tls == "implicit",
            start_tls=target.tls == "starttls",
            tls_context=self.tls_context if target.tls != "none" else None,
            timeout=10,
        )
