"""A real SMTP server (aiosmtpd) on loopback, and the mailer settings that point at it."""

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


class CollectingHandler:
    """Keeps every message the server accepts, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.connections = 0
        # Recipients the server refuses with a temporary failure (451), as a busy server does.
        self.refuse: set[str] = set()

    async def handle_EHLO(self, server, session, envelope, hostname, responses) -> list[str]:  # noqa: N802
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        if set(envelope.rcpt_tos) & self.refuse:
            return "451 Requested action aborted: try again later"
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """An aiosmtpd server that a test can stop and start again on the same port."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = _free_port()
        self.handler = CollectingHandler()
        self.controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(settings):
    server = SmtpServer()
    server.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": server.host, "port": server.port, "timeout": 5},
        }
    }
    yield server
    server.stop()
