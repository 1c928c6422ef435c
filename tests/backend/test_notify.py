"""SMTP against a real aiosmtpd: STARTTLS + AUTH required, certificate verified, outbox on failure."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from sodclient.cli import main as cli_main
from sodclient.notify import MailError, Notification, SmtpTarget, TlsUntrusted, compose, send_message
from sodclient.notify.smtp import PreparedConnection
from sodclient.services.outbox import outbox_of, pending
from sodclient.transport.errors import AuthFailed, PortClosed
from tests.backend.helpers import configure
from tests.profiles import current
from tests.servers import _smtp


def _note():
    return Notification(
        ["dr.who@clinic.example"],
        ["archive@clinic.example"],
        "https://dl.example.org/abc.sod",
        datetime.now(UTC) + timedelta(days=3),
        12_345_678,
        "Images for Tuesday",
    )


def test_starttls_auth_delivers(smtp_server):
    configure(smtp=smtp_server)
    target = current().settings().smtp()
    send_message(target, compose(_note(), target.sender))
    (env,) = smtp_server.messages
    body = env.content.decode()
    assert env.rcpt_tos == ["dr.who@clinic.example", "archive@clinic.example"]
    assert "https://dl.example.org/abc.sod" in body and "Images for Tuesday" in body and "Available until" in body


def test_implicit_tls(smtp_ssl_server):
    configure(smtp=smtp_ssl_server, **{"smtp.port": str(smtp_ssl_server.port)})
    target = current().settings().smtp()
    send_message(target, compose(_note(), target.sender))
    assert len(smtp_ssl_server.messages) == 1


def test_untrusted_certificate_is_rejected(smtp_untrusted_server):
    configure(smtp=smtp_untrusted_server)
    target = current().settings().smtp()
    with pytest.raises(TlsUntrusted, match="does not trust"):
        send_message(target, compose(_note(), target.sender))
    assert smtp_untrusted_server.messages == []


def test_wrong_password(smtp_server):
    configure(smtp=smtp_server, **{"smtp.password": "Wrong-Passw0rd"})
    with pytest.raises(AuthFailed):
        send_message(current().settings().smtp(), compose(_note(), "sender@hospital.example"))


def test_refuses_cleartext_when_starttls_is_missing(smtp_ssl_server):
    """A server that does not offer STARTTLS on a starttls setting: refused, never sent in clear."""
    configure(smtp=smtp_ssl_server, **{"smtp.security": "starttls"})
    with pytest.raises(MailError) as info:
        send_message(
            SmtpTarget(**{**current().settings().smtp().__dict__, "timeout": 3.0}),
            compose(_note(), "sender@hospital.example"),
        )
    assert "Traceback" not in str(info.value)
    assert smtp_ssl_server.messages == []


def test_outbox_keeps_and_retries(smtp_server, capsys):
    configure(smtp=smtp_server)
    box = outbox_of(current())
    entry = box.add(_note(), "abc.sod", "mail server down")
    raw = box.path(entry).read_bytes()
    assert b"dr.who" not in raw and b"Images for Tuesday" not in raw  # encrypted at rest
    assert cli_main(["outbox", "list"]) == 0
    assert "dr.who@clinic.example" in capsys.readouterr().out
    assert cli_main(["outbox", "retry"]) == 0
    assert len(smtp_server.messages) == 1 and pending(current()) == []


def test_outbox_retry_while_still_down(smtp_server, capsys):
    configure(smtp=smtp_server, **{"smtp.port": "1"})
    outbox_of(current()).add(_note(), "abc.sod", "first failure")
    assert cli_main(["outbox", "retry"]) == 4
    (entry,) = pending(current())
    assert entry.attempts == 2 and "refused" in entry.last_error
    with pytest.raises(PortClosed):
        send_message(current().settings().smtp(), compose(_note(), "sender@hospital.example"))


def test_no_password_in_clear(smtp_server):
    configure(smtp=smtp_server, **{"smtp.security": "none"})
    with pytest.raises(MailError, match="without encryption"):
        send_message(current().settings().smtp(), compose(_note(), "sender@hospital.example"))


def test_test_connection_all_ok(sshd, smtp_server, download_site, tmp_path, capsys):
    from tests.backend.helpers import trust

    configure(sshd, smtp_server, download_site)
    trust(sshd, tmp_path)
    capsys.readouterr()
    assert cli_main(["test-connection"]) == 0
    out = capsys.readouterr().out
    assert "SFTP: OK" in out and "SMTP: OK" in out and "logged in" in out and "download link: OK" in out


def test_secret_from_stdin_stays_out_of_argv(monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("Typed-Secret-99\n"))
    assert cli_main(["config", "set", "smtp.password=-"]) == 0
    assert current().settings()["smtp.password"] == "Typed-Secret-99"


def test_a_prepared_connection_delivers_once(smtp_server):
    """A send logs in to the mail server while its upload runs; the mail then goes over that connection."""
    configure(smtp=smtp_server)
    target = current().settings().smtp()
    mail = PreparedConnection(target)
    mail.send(compose(_note(), target.sender))
    mail.close()
    (env,) = smtp_server.messages
    assert "https://dl.example.org/abc.sod" in env.content.decode()


def test_a_prepared_connection_the_server_dropped_is_replaced(tmp_path_factory):
    """The upload outlasted the server's idle timeout: the NOOP fails, a fresh connection delivers, once."""
    server = _smtp(tmp_path_factory, idle_timeout=1)
    try:
        configure(smtp=server)
        target = current().settings().smtp()
        mail = PreparedConnection(target)
        mail._thread.join(10)
        assert mail._client is not None  # logged in ahead
        time.sleep(2.5)  # the server closes the idle connection (421)
        mail.send(compose(_note(), target.sender))
        assert len(server.messages) == 1
    finally:
        server.controller.stop()


def test_a_prepared_connection_that_failed_gives_the_plain_diagnosis(smtp_server):
    configure(smtp=smtp_server, **{"smtp.password": "Wrong-Passw0rd"})
    mail = PreparedConnection(current().settings().smtp())
    with pytest.raises(AuthFailed):
        mail.send(compose(_note(), "sender@hospital.example"))
    assert smtp_server.messages == []
