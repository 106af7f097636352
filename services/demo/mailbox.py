"""A local SMTP server that keeps what it receives: the demo reads verification codes from it."""

from __future__ import annotations

import re
import threading
import time
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller


class _Collector:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"


class MailSink:
    """SMTP without TLS on host:port (127.0.0.1 unless told); `code_for(email)` waits for a verification
    code sent there."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.port = port
        self.host = host
        self._collector = _Collector()
        self._controller = Controller(self._collector, hostname=host, port=port)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}?tls=none"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def messages_to(self, email: str) -> list[Message]:
        with self._collector.lock:
            return [m for m in self._collector.messages if email.lower() in str(m["To"]).lower()]

    def code_for(self, email: str, timeout: float = 15.0, after: int = 0) -> str:
        """The newest 6-digit code mailed to `email` among messages after the first `after` ones."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.messages_to(email)[after:]
            for message in reversed(messages):
                body = message.get_payload(decode=True)
                text = body.decode() if isinstance(body, bytes) else str(message.get_payload())
                match = re.search(r"\b(\d{6})\b", text)
                if match:
                    return match.group(1)
            time.sleep(0.1)
        raise TimeoutError(f"no verification code mailed to {email}")
