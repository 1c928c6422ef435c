"""The demo's mail server: aiosmtpd on loopback that keeps every message it is given, so the app can
show them in a "Demo inbox" instead of sending anything anywhere.

Plain SMTP without login, which the app allows only for a relay that needs none (`smtp.security=none`);
it listens on 127.0.0.1 only, so the mail never leaves the computer.
"""

from __future__ import annotations

import email
import email.policy
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from aiosmtpd.controller import Controller

log = logging.getLogger("sodclient.demo")


@dataclass(frozen=True)
class CaughtMail:
    received: datetime
    sender: str
    to: list[str]
    subject: str
    body: str  # the plain-text part


@dataclass
class MailCatcher:
    host: str = "127.0.0.1"
    port: int = 0
    on_mail: Callable[[CaughtMail], None] | None = None  # called on the server's thread
    _mails: list[CaughtMail] = field(default_factory=list, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _controller: Controller | None = field(default=None, init=False, repr=False)

    def mails(self) -> list[CaughtMail]:
        with self._lock:
            return list(self._mails)

    def start(self) -> MailCatcher:
        catcher = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                catcher._caught(envelope)
                return "250 OK"

        # port 0: the OS picks a free port; aiosmtpd's own readiness probe needs the real one, so bind first
        import socket

        with socket.socket() as s:
            s.bind((self.host, self.port))
            self.port = s.getsockname()[1]
        self._controller = Controller(Handler(), hostname=self.host, port=self.port, ready_timeout=30)
        self._controller.start()
        log.info("demo mail catcher listening on loopback")
        return self

    def _caught(self, envelope) -> None:
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        part = message.get_body(preferencelist=("plain",)) if message.is_multipart() else message
        body = part.get_content() if part is not None else ""
        mail = CaughtMail(
            datetime.now(), envelope.mail_from, list(envelope.rcpt_tos), str(message["Subject"] or ""), body
        )
        with self._lock:
            self._mails.append(mail)
        if self.on_mail is not None:
            self.on_mail(mail)

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
            log.info("demo mail catcher stopped")
