"""A real SMTP server for the e-mail tests: aiosmtpd on 127.0.0.1 and a free port, in a thread
of its own for the span of a `with` block, with handlers that record what arrives, answer a
temporary failure first, or refuse some recipients for good."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    """One e-mail as the server took it: the envelope, the raw bytes and the parsed message."""

    peer: Any  # the client's (host, port): one per connection
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


class Recorder:
    """Accepts every e-mail and keeps it in `received`."""

    def __init__(self) -> None:
        self.received: list[Received] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        message = message_from_bytes(raw, policy=default)
        assert isinstance(message, EmailMessage)
        self.received.append(
            Received(session.peer, envelope.mail_from, list(envelope.rcpt_tos), raw, message)
        )
        return "250 2.0.0 OK"


class BusyFirst(Recorder):
    """Answers the first `busy` e-mails with 451 (try again later), then accepts."""

    def __init__(self, busy: int = 1) -> None:
        super().__init__()
        self.busy = busy

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.busy > 0:
            self.busy -= 1
            return "451 4.3.0 Mailbox busy, try again later"
        return await super().handle_DATA(server, session, envelope)


class Refusing(Recorder):
    """Refuses the `refused` addresses for good (550), accepts the others."""

    def __init__(self, *refused: str) -> None:
        super().__init__()
        self.refused = set(refused)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(handler: Recorder) -> Iterator[int]:
    """An SMTP server answering with `handler` for the block; yields its port."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()
