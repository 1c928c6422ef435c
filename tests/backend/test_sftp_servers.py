"""Uploads on the SFTP servers hospitals really run, each through `send()` (what `sodclient send` runs) and
Test Connection: write-only drop-boxes (file permissions + umask, and requests switched off), no rename,
chacha20-only, and a second SFTP implementation (the embedded asyncssh server); legacy CBC and an old key
exchange are refused with a diagnosis that names both sides' algorithms."""

from __future__ import annotations

import os
import stat
from datetime import UTC
from pathlib import Path

import pytest

from sodclient.cli import main as cli_main
from sodclient.services.connection import test_connection
from sodclient.services.send import SendRequest, send
from sodclient.transport import SftpSession, SftpTarget
from sodclient.transport.errors import AuthFailed, LegacyCipherOnly, NoCommonAlgorithm, PermissionDenied
from sodclient.transport.session import forget_negotiation
from sodformat import PassphraseIdentity, unpack
from tests.backend.helpers import configure, trust
from tests.profiles import current
from tests.sftp_servers import (
    CBC_ONLY,
    CHACHA_ONLY,
    DROPBOX_UMASK,
    NO_READ_STAT_LIST,
    NO_RENAME,
    PASSWORD,
    PROFTPD_NO_READ,
    PROFTPD_WRITE_ONLY,
    SHA1_KEX_ONLY,
    PasswordServer,
    dropbox_user,
    proftpd,
    sshd_variant,
    trusted_proxy,
)

PASSPHRASE = "Correct-Horse-42-battery"
LINK = "https://download.hospital.example/{name}"


def _study(tmp_path: Path) -> Path:
    root = tmp_path / "study"
    root.mkdir()
    for i in range(3):
        (root / f"image{i}.dcm").write_bytes(os.urandom(150_000 + i))
    return root


def _send_and_open(server, smtp, tmp_path):
    """Configure, trust, send; the published file must open with the passphrase (the container's AEAD covers
    every byte) and nothing but it may be left in the folder."""
    for old in server.upload_dir.iterdir():  # module-scoped servers: earlier tests' uploads
        old.unlink()
    configure(server, smtp, LINK)
    trust(server, tmp_path)
    study = _study(tmp_path)
    result = send(current(), SendRequest([study], ["dr.who@clinic.example"], passphrases=[PASSPHRASE]))
    folder = server.upload_dir
    assert sorted(p.name for p in folder.iterdir()) == [result.remote_name]  # no .part, no probe left behind
    unpack(folder / result.remote_name, tmp_path / "opened", [PassphraseIdentity(PASSPHRASE)])
    assert (tmp_path / "opened" / "study" / "image1.dcm").read_bytes() == (study / "image1.dcm").read_bytes()
    assert smtp.messages, "the mail goes out only after a complete, published upload"
    return result.upload


def _sftp_check() -> str:
    check = test_connection(current()).checks[0]
    assert check.ok, check.message
    return check.message


def _row(text: str, name: str) -> str:
    return next(line.split(None, 1)[1] for line in text.splitlines() if line.strip().startswith(name + " "))


def _sshd_fixture(config: str, **options):
    """A module-scoped fixture: one sshd with `config` for every test of the module that asks for it."""

    @pytest.fixture(scope="module")
    def server(tmp_path_factory):
        with sshd_variant(tmp_path_factory, config, **options) as running:
            yield running

    return server


# A write-only drop-box by file permissions: folder d-wx-wx-wx (create, no list) and umask 0466 (new files
# -w-------: the uploader may write them, never read them back).
dropbox = _sshd_fixture(DROPBOX_UMASK, key_user=dropbox_user(), upload_mode=0o333)
# A drop-box where the server refuses read, stat and listing requests outright (internal-sftp -P).
blind_dropbox = _sshd_fixture(NO_READ_STAT_LIST)
no_rename = _sshd_fixture(NO_RENAME)
chacha_only = _sshd_fixture(CHACHA_ONLY)


def test_write_only_dropbox_by_permissions(dropbox, smtp_server, tmp_path):
    result = _send_and_open(dropbox, smtp_server, tmp_path)
    assert (result.published_by, result.verified_by) == ("posix-rename", "size")
    published = dropbox.upload_dir / result.remote_name
    assert stat.S_IMODE(published.stat().st_mode) == 0o200  # the umask really applied
    text = _sftp_check()
    assert "may not write" not in text
    assert _row(text, "read").startswith("no ") and "fine for a drop-box" in _row(text, "read")
    assert _row(text, "list").startswith("no ") and _row(text, "stat").startswith("yes")
    assert _row(text, "rename").startswith("yes") and "posix-rename" in _row(text, "rename")


def test_purge_on_a_dropbox_that_may_not_list(dropbox, smtp_server, tmp_path, capsys):
    from datetime import datetime, timedelta

    from sodclient.deliveries import Ledger

    result = _send_and_open(dropbox, smtp_server, tmp_path)
    Ledger(current().paths.ledger_file).add(
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sod", 1, datetime.now(UTC) - timedelta(days=1)
    )  # gone
    old = dropbox.upload_dir / "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.sod"  # an expired delivery still there
    old.write_bytes(b"x")
    Ledger(current().paths.ledger_file).add(old.name, 1, datetime.now(UTC) - timedelta(days=1))
    assert cli_main(["purge-expired"]) == 0
    out = capsys.readouterr().out
    assert "2 deleted, 1 still valid" in out and not old.exists()
    assert (dropbox.upload_dir / result.remote_name).exists()


def test_dropbox_without_write_permission_says_so(dropbox, tmp_path):
    locked = dropbox.upload_dir / "readonly"
    locked.mkdir(mode=0o555)
    configure(dropbox, **{"sftp.remote_dir": str(locked)})
    trust(dropbox, tmp_path)
    check = test_connection(current()).checks[0]
    assert not check.ok and isinstance(check.error, PermissionDenied) and "may not write" in check.message
    locked.rmdir()


def test_dropbox_without_read_stat_or_list_relies_on_aead(blind_dropbox, smtp_server, tmp_path):
    result = _send_and_open(blind_dropbox, smtp_server, tmp_path)
    assert (result.published_by, result.verified_by) == ("posix-rename", "AEAD only")
    text = _sftp_check()
    assert "authenticated encryption" in _row(text, "read") and _row(text, "read").startswith("no ")
    assert _row(text, "stat").startswith("no ") and "restarts" in _row(text, "stat")
    assert _row(text, "list").startswith("no ")


def test_no_rename_writes_under_the_final_name(no_rename, smtp_server, tmp_path):
    result = _send_and_open(no_rename, smtp_server, tmp_path)
    assert (result.published_by, result.verified_by) == ("final name", "read-back")
    text = _sftp_check()
    assert _row(text, "rename").startswith("no ") and "could see a partial file" in _row(text, "rename")


def test_chacha20_only_server(chacha_only, smtp_server, tmp_path):
    result = _send_and_open(chacha_only, smtp_server, tmp_path)  # trust-host also ran over asyncssh
    assert result.cipher == "chacha20-poly1305@openssh.com"
    assert (result.published_by, result.verified_by) == ("posix-rename", "read-back")
    text = _sftp_check()
    assert "chacha20-poly1305@openssh.com" in text and "via asyncssh" in text
    from sodclient.services.purge import purge_expired  # lists and reads headers over asyncssh too

    assert purge_expired(current(), dry_run=True).kept == 1


def test_changed_host_key_is_refused_on_the_asyncssh_path_too(chacha_only, tmp_path):
    import subprocess

    import paramiko

    from sodclient.transport import HostKeyChanged, hostkeys

    configure(chacha_only)
    impostor = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(impostor)], check=True)
    hostkeys.trust(current().paths.known_hosts, "127.0.0.1", chacha_only.port, paramiko.PKey.from_path(impostor))
    with pytest.raises(HostKeyChanged):
        with SftpSession(current().settings().sftp(), confirm_host_key=lambda *a: True):
            pass


@pytest.mark.parametrize(
    "config, error, words",
    [
        (CBC_ONLY, LegacyCipherOnly, ["aes128-cbc", "unsafe", "chacha20-poly1305@openssh.com"]),
        (SHA1_KEX_ONLY, NoCommonAlgorithm, ["key exchange", "diffie-hellman-group14-sha1", "curve25519-sha256"]),
    ],
    ids=["cbc-only", "sha1-kex-only"],
)
def test_legacy_algorithms_are_refused_by_name(tmp_path_factory, tmp_path, smtp_server, capsys, config, error, words):
    with sshd_variant(tmp_path_factory, config) as server:
        configure(server, smtp_server, LINK)
        with pytest.raises(error) as info:
            send(current(), SendRequest([_study(tmp_path)], ["dr.who@clinic.example"], passphrases=[PASSPHRASE]))
        message = str(info.value)
        assert all(w in message for w in words), message
        assert "is this really an SFTP server" not in message
        check = test_connection(current()).checks[0]
        assert not check.ok and check.message == message
        assert cli_main(["test-connection"]) != 0 and words[0] in capsys.readouterr().out
        assert list(server.upload_dir.iterdir()) == [] and not smtp_server.messages


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """The app's embedded asyncssh server, as a drop-box without read/list."""
    from sodclient.transport.embedded_server import EmbeddedSftpServer

    root = tmp_path_factory.mktemp("embedded-root")
    (root / "dropbox").mkdir()
    server = EmbeddedSftpServer(root, "uploader", password=PASSWORD, deny=frozenset({"read", "list"})).start()
    yield PasswordServer(server.port, root / "dropbox", "/dropbox", server.host_key_line)
    server.stop()


def test_second_implementation_asyncssh_server(embedded, smtp_server, tmp_path):
    result = _send_and_open(embedded, smtp_server, tmp_path)
    assert result.verified_by == "size" and result.published_by in ("posix-rename", "rename")
    text = _sftp_check()
    assert _row(text, "read").startswith("no ") and _row(text, "list").startswith("no ")


def _upload_over_partial(server, tmp_path, partial: bytes, size=6 * 1024 * 1024):
    """Upload with an earlier partial upload `partial` already on the server (as a dropped link leaves it,
    owned by the uploading account); returns the result and the progress details."""
    import pwd

    from sodclient.transport import FileSource, new_remote_name, upload

    for old in server.upload_dir.iterdir():  # the module's server: earlier tests' uploads
        old.unlink()
    configure(server)
    trust(server, tmp_path)
    src = tmp_path / "payload.bin"
    src.write_bytes(os.urandom(size))
    name = new_remote_name()
    part = server.upload_dir / f".{name}.part"
    part.write_bytes(partial or src.read_bytes()[: size // 2])
    account = pwd.getpwnam(server.username)
    os.chown(part, account.pw_uid, account.pw_gid)
    part.chmod(0o200)
    details: list[str] = []
    result = upload(current().settings().sftp(), FileSource(src), name, progress=lambda r: details.append(r.detail))
    assert result.attempts == 1
    assert (server.upload_dir / name).read_bytes() == src.read_bytes()
    assert sorted(p.name for p in server.upload_dir.iterdir()) == [name]
    return result, details


def test_dropbox_resumes_where_stat_is_allowed(dropbox, tmp_path):
    result, details = _upload_over_partial(dropbox, tmp_path, b"")  # b"": the first half of the right bytes
    assert "resuming" in details and result.verified_by == "size"


def test_dropbox_without_stat_restarts_instead_of_resuming(blind_dropbox, tmp_path):
    """Without stat the old part's size is unknown: the upload starts again on an emptied file (the stale part
    here is longer than the new upload, so leftover bytes would show)."""
    result, details = _upload_over_partial(blind_dropbox, tmp_path, b"\xff" * (7 * 1024 * 1024))
    assert "resuming" not in details and result.verified_by == "AEAD only"


def test_cancel_on_a_no_rename_server_removes_the_partial_file(no_rename, tmp_path):
    from sodclient.progress import CancelToken
    from sodclient.transport import FileSource, new_remote_name, upload
    from sodformat.errors import CancelledError

    configure(no_rename)
    trust(no_rename, tmp_path)
    src = tmp_path / "big.bin"
    # large enough that the upload is still running at its first progress report (reports come every 0.1 s)
    src.write_bytes(os.urandom(64 * 1024 * 1024))
    cancel, name = CancelToken(), new_remote_name()
    with pytest.raises(CancelledError):
        upload(
            current().settings().sftp(),
            FileSource(src),
            name,
            cancel=cancel,
            progress=lambda r: r.stage == "upload" and r.done > 0 and cancel.cancel(),
        )
    assert not [p for p in no_rename.upload_dir.iterdir() if name.removesuffix(".sod") in p.name]


def test_asyncssh_client_on_a_chacha_only_dropbox_that_denies_everything_but_writing(
    tmp_path_factory, smtp_server, tmp_path
):
    """The asyncssh path through the whole probe: no read, list, stat or rename, chacha20 only."""
    from sodclient.transport.embedded_server import EmbeddedSftpServer

    root = tmp_path_factory.mktemp("embedded-chacha")
    server = EmbeddedSftpServer(
        root,
        "uploader",
        password=PASSWORD,
        deny=frozenset({"read", "list", "stat", "rename"}),
        encryption_algs=("chacha20-poly1305@openssh.com",),
    ).start()
    try:
        uploads = PasswordServer(server.port, root, "/", server.host_key_line)
        result = _send_and_open(uploads, smtp_server, tmp_path)
        assert result.cipher == "chacha20-poly1305@openssh.com"
        assert (result.published_by, result.verified_by) == ("final name", "AEAD only")
        text = _sftp_check()
        assert "via asyncssh" in text
        assert all(_row(text, name).startswith("no ") for name in ("rename", "stat", "read", "list"))
        configure(None, **{**uploads.settings(), "sftp.password": "Wrong-Passw0rd"})
        check = test_connection(current()).checks[0]
        assert isinstance(check.error, AuthFailed) and "rejected" in check.message
    finally:
        server.stop()
        forget_negotiation("127.0.0.1", server.port)


def test_a_dropped_link_on_the_asyncssh_path_is_retried(chacha_only, tmp_path):
    from sodclient.transport import FileSource, new_remote_name, upload

    configure(chacha_only)
    trust(chacha_only, tmp_path)
    # connection 1: paramiko finds no common cipher; 2: asyncssh, cut; 3: the retry goes straight to asyncssh
    proxy = trusted_proxy(chacha_only, cut_after=1024 * 1024, cut_connections=2)
    src = tmp_path / "payload.bin"
    src.write_bytes(os.urandom(3 * 1024 * 1024))
    target = current().settings().sftp()
    try:
        result = upload(
            SftpTarget(**{**target.__dict__, "port": proxy.port, "engine": "builtin"}),
            FileSource(src),
            new_remote_name(),
            backoff_s=0.05,
        )
    finally:
        proxy.close()
        forget_negotiation("127.0.0.1", proxy.port)
    assert proxy.cuts == 1 and result.attempts == 2 and result.cipher.startswith("chacha20")
    assert proxy._accepted == 3
    assert (chacha_only.upload_dir / result.remote_name).read_bytes() == src.read_bytes()


@pytest.mark.parametrize(
    "config, published_by, verified_by, library",
    [
        ("", "posix-rename", "read-back", "paramiko"),
        (PROFTPD_NO_READ, "posix-rename", "size", "paramiko"),
        (PROFTPD_WRITE_ONLY, "final name", "size", "paramiko"),  # lstat stays allowed
    ],
    ids=["plain", "no-read", "write-only"],
)
def test_proftpd_mod_sftp(tmp_path_factory, smtp_server, tmp_path, config, published_by, verified_by, library):
    """ProFTPD, as hospitals run it: it forbids overwriting by default, and <Limit> drop-boxes."""
    with proftpd(tmp_path_factory, config) as server:
        result = _send_and_open(server, smtp_server, tmp_path)
        assert (result.published_by, result.verified_by) == (published_by, verified_by)
        text = _sftp_check()
        assert f"via {library}" in text
        assert _row(text, "read").startswith("yes" if verified_by == "read-back" else "no ")


def test_outbox_retry_finishes_an_upload_on_a_write_only_dropbox(dropbox, smtp_server, tmp_path, monkeypatch):
    """The reported failure: on a drop-box the read-back failed, the send ended "upload pending" and
    `outbox retry` could never succeed. A link that keeps dropping leaves a partial upload; once the link is
    back, the retry resumes it (stat is allowed there), verifies by size and mails the link."""
    import importlib

    from sodclient.services.outbox import pending

    upload_module = importlib.import_module("sodclient.transport.upload")
    monkeypatch.setattr(upload_module, "RETRY_ATTEMPTS", 2)
    monkeypatch.setattr(upload_module, "RETRY_BACKOFF_S", 0.05)
    for old in dropbox.upload_dir.iterdir():
        old.unlink()
    configure(dropbox, smtp_server, LINK)
    trust(dropbox, tmp_path)
    proxy = trusted_proxy(dropbox, cut_after=2 * 1024 * 1024, cut_connections=None)
    configure(**{"sftp.port": str(proxy.port)})
    data = tmp_path / "data"
    data.mkdir()
    (data / "scan.bin").write_bytes(os.urandom(6 * 1024 * 1024))
    try:
        with pytest.raises(Exception, match="outbox retry"):
            send(current(), SendRequest([data], ["dr.who@clinic.example"], passphrases=[PASSPHRASE]))
    finally:
        proxy.close()
    (entry,) = pending(current())
    assert entry.upload_pending and not smtp_server.messages
    configure(**{"sftp.port": str(dropbox.port)})  # the network is back
    assert cli_main(["outbox", "retry"]) == 0
    published = dropbox.upload_dir / entry.remote_name
    assert sorted(p.name for p in dropbox.upload_dir.iterdir()) == [entry.remote_name]
    assert stat.S_IMODE(published.stat().st_mode) == 0o200 and entry.link in smtp_server.messages[0].content.decode()
    unpack(published, tmp_path / "opened", [PassphraseIdentity(PASSPHRASE)])
    assert (tmp_path / "opened" / "data" / "scan.bin").read_bytes() == (data / "scan.bin").read_bytes()
