"""Sending one mail over SMTP with verified TLS, AUTH and timeouts, with plain-language failures."""

from __future__ import annotations

import smtplib
import socket
import ssl
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage

from sodclient.errors import InputError
from sodclient.transport.errors import AuthFailed, DnsFailure, PortClosed, Timeout, TransferError


class MailError(TransferError):
    """The notification mail could not be handed to the mail server."""

    retryable = True


class TlsUntrusted(MailError):
    def __init__(self, host: str, detail: str):
        super().__init__(
            f"the mail server {host} presented a certificate this computer does not trust ({detail}); "
            "nothing was sent. If your site uses its own CA, set the Mail extra CA file in FTP Config"
        )


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    security: str  # starttls | ssl | none
    username: str
    password: str
    sender: str
    ca_file: str = ""
    timeout: float = 30.0

    def __repr__(self) -> str:
        return f"SmtpTarget({self.username or '-'}@{self.host}:{self.port} {self.security})"


def tls_context(target: SmtpTarget) -> ssl.SSLContext:
    """System trust store plus the site's own CA if configured; hostname checking always on."""
    ctx = ssl.create_default_context()
    if target.ca_file:
        try:
            ctx.load_verify_locations(cafile=target.ca_file)
        except (OSError, ssl.SSLError):
            raise InputError(f"the CA file {target.ca_file} (Mail extra CA file) cannot be read") from None
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def _connect(target: SmtpTarget) -> smtplib.SMTP:
    ctx = tls_context(target)
    client: smtplib.SMTP
    if target.security == "ssl":
        client = smtplib.SMTP_SSL(target.host, target.port, timeout=target.timeout, context=ctx)
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=target.timeout)
        client.ehlo()
        if target.security == "starttls":
            if not client.has_extn("starttls"):
                client.quit()
                raise MailError(
                    f"the mail server {target.host} does not offer STARTTLS; refusing to send in clear "
                    "(set Mail security to SSL/TLS with port 465 in FTP Config if the server uses implicit TLS)"
                )
            client.starttls(context=ctx)
            client.ehlo()
    if target.username:
        if target.security == "none":
            client.close()
            raise MailError(
                "refusing to send the mail account's password without encryption: set Mail security "
                "to STARTTLS or SSL/TLS in FTP Config (none is only for a relay that needs no login)"
            )
        client.login(target.username, target.password)
    return client


@contextmanager
def _diagnosed(target: SmtpTarget):
    """Turn whatever smtplib, ssl and the socket raise into one plain-language MailError/TransferError."""
    try:
        yield
    except ssl.SSLCertVerificationError as exc:
        raise TlsUntrusted(target.host, exc.verify_message or "verification failed") from None
    except smtplib.SMTPAuthenticationError:
        raise AuthFailed("mail server") from None
    except socket.gaierror:
        raise DnsFailure(target.host) from None
    except ConnectionRefusedError:
        raise PortClosed(target.host, target.port) from None
    except TimeoutError:
        raise Timeout(target.host, target.port, "talking to the mail server") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"the mail server refused the recipient address(es) {', '.join(exc.recipients)}") from None
    except smtplib.SMTPSenderRefused:
        raise MailError(f"the mail server refused the sender address {target.sender}") from None
    except smtplib.SMTPNotSupportedError:
        raise MailError(f"the mail server {target.host} does not support login over this connection") from None
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        raise MailError(f"the mail server {target.host} failed: {type(exc).__name__}") from None


def send_message(target: SmtpTarget, message: EmailMessage) -> None:
    """Hand `message` to the server; raises a MailError subclass with a plain diagnosis."""
    with _diagnosed(target):
        client = _connect(target)
        try:
            client.send_message(message)
        finally:
            _quit(client)


class PreparedConnection:
    """A mail connection opened (connect, TLS, login) on another thread while a send's upload runs, so the
    notification leaves without a handshake after the last byte (4-6 round trips to the mail server).

    Used for one message. If preparing failed, or the server dropped the idle connection meanwhile (a NOOP
    tells), `send` connects afresh, as `send_message` does, which also gives the plain diagnosis. Nothing is
    sent on a connection that did not answer the NOOP, so a message is never handed over twice."""

    def __init__(self, target: SmtpTarget):
        self.target = target
        self._client: smtplib.SMTP | None = None
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._open, daemon=True, name="sod-smtp-prepare")
        self._thread.start()

    def _open(self) -> None:
        try:
            client = _connect(self.target)
        except Exception:  # the fresh attempt in send() says what is wrong
            return
        with self._lock:
            if not self._closed:
                self._client = client
                return
        _quit(client)

    def _take(self) -> smtplib.SMTP | None:
        self._thread.join(self.target.timeout)
        with self._lock:
            client, self._client = self._client, None
        if client is None:
            return None
        try:
            if client.noop()[0] == 250:
                return client
        except (smtplib.SMTPException, OSError):
            pass
        _quit(client)
        return None

    def send(self, message: EmailMessage) -> None:
        """Hand `message` to the server; raises a MailError subclass with a plain diagnosis."""
        client = self._take()
        if client is None:
            send_message(self.target, message)
            return
        with _diagnosed(self.target):
            try:
                client.send_message(message)
            finally:
                _quit(client)

    def close(self) -> None:
        """Drops the connection if it was not used (the upload failed)."""
        with self._lock:
            self._closed = True
            client, self._client = self._client, None
        if client is not None:
            _quit(client)


def _quit(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


def check(target: SmtpTarget) -> None:
    """Connect, secure and log in without sending (test-connection)."""
    with _diagnosed(target):
        _connect(target).quit()
