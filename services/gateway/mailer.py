"""Outgoing email: real SMTP to SMTP_URL, or the gateway log when none is configured (dev)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

import aiosmtplib

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    body: str


class Mailer:
    def __init__(self, smtp_url: str, sender: str) -> None:
        self.smtp_url = smtp_url
        self.sender = sender

    async def deliver(self, mail: OutgoingMail) -> None:
        """Send now; a failure is logged, since the caller has already answered its client."""
        try:
            await self.send(mail.to, mail.subject, mail.body)
        except Exception as exc:
            log.error("could not send email to %s: %s", mail.to, exc)

    async def send(self, to: str, subject: str, body: str) -> None:
        if not self.smtp_url:
            log.warning("no SMTP_URL configured; email to %s: %s | %s", to, subject, body)
            return
        url = urlparse(self.smtp_url)
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        await aiosmtplib.send(
            message,
            hostname=url.hostname or "127.0.0.1",
            port=url.port or (465 if url.scheme == "smtps" else 25),
            username=unquote(url.username) if url.username else None,
            password=unquote(url.password) if url.password else None,
            use_tls=url.scheme == "smtps",
            start_tls=False if url.scheme == "smtp" else None,
            timeout=10,
        )
