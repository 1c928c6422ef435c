"""SFTP against a real OpenSSH sshd: trust, auth, diagnoses, resume, atomic publish."""

import hashlib
import os
import socket
import subprocess
from pathlib import Path

import paramiko
import pytest

from sodclient.cli import main as cli_main
from sodclient.progress import CancelToken
from sodclient.services.connection import test_connection
from sodclient.transport import (
    AuthFailed,
    DnsFailure,
    FileSource,
    HostKeyChanged,
    PermissionDenied,
    PortClosed,
    RemoteFolderMissing,
    SftpSession,
    SftpTarget,
    Timeout,
    UnknownHostKey,
    hostkeys,
    new_remote_name,
    upload,
)
from sodformat.errors import CancelledError
from tests.backend.helpers import configure, host_fingerprint, trust
from tests.profiles import current


def _target(**over) -> SftpTarget:
    return current().settings().sftp().__class__(**{**current().settings().sftp().__dict__, **over})


def _payload(tmp_path, size=3 * 1024 * 1024 + 17) -> Path:
    p = tmp_path / "payload.bin"
    p.write_bytes(os.urandom(size))
    return p


def test_unknown_host_is_refused_with_the_openssh_fingerprint(sshd, tmp_path, capsys):
    configure(sshd)
    expected = host_fingerprint(sshd.host_key_pub, tmp_path)
    with pytest.raises(UnknownHostKey) as info:
        with SftpSession(_target()):
            pass
    assert info.value.fingerprint == expected
    assert cli_main(["trust-host"]) == 4  # not trusted yet: a server problem to act on
    assert expected in capsys.readouterr().out
    assert cli_main(["trust-host", "--fingerprint", "SHA256:" + "A" * 43]) != 0  # wrong: not stored
    assert not current().paths.known_hosts.exists()
    assert cli_main(["trust-host", "--fingerprint", expected]) == 0
    with SftpSession(_target()) as s:
        assert s.server_fingerprint == expected


def test_confirm_callback_sees_fingerprint(sshd, tmp_path):
    configure(sshd)
    seen = []
    with SftpSession(_target(), confirm_host_key=lambda h, fp, kind: seen.append((h, fp, kind)) or True):
        pass
    assert seen == [("127.0.0.1", host_fingerprint(sshd.host_key_pub, tmp_path), "ssh-ed25519")]


def test_changed_host_key_is_refused(sshd, tmp_path):
    configure(sshd)
    impostor = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(impostor)], check=True)
    other = paramiko.PKey.from_path(impostor)
    hostkeys.trust(current().paths.known_hosts, "127.0.0.1", sshd.port, other)
    with pytest.raises(HostKeyChanged, match="different key"):
        with SftpSession(_target(), confirm_host_key=lambda *a: True):
            pass


def test_key_upload_publishes_atomically_and_exactly(sshd, tmp_path):
    configure(sshd)
    trust(sshd, tmp_path)
    src = _payload(tmp_path)
    name = new_remote_name()
    reports = []
    result = upload(_target(), FileSource(src), name, progress=reports.append)
    published = sshd.upload_dir / name
    assert published.read_bytes() == src.read_bytes()
    assert result.size == src.stat().st_size and result.cipher.startswith("aes256-gcm")
    assert not list(sshd.upload_dir.glob(".*.part"))
    assert reports[-1].done == reports[-1].total == src.stat().st_size
    assert name.endswith(".sod") and len(name) == 36


def test_password_upload(sshd, tmp_path):
    if sshd.password_user is None:
        pytest.skip(
            "password auth needs the `sodtest` account: created only as root with CI=true or SODSEND_TEST_CREATE_USER=1"
        )
    configure(None, **sshd.settings(password=True))
    trust(sshd, tmp_path)
    src = _payload(tmp_path, 100_000)
    name = new_remote_name()
    upload(_target(), FileSource(src), name)
    assert (sshd.upload_dir / name).read_bytes() == src.read_bytes()


def test_wrong_password_is_auth_failed(sshd, tmp_path):
    user = sshd.password_user or sshd.username
    configure(None, **{**sshd.settings(password=True), "sftp.username": user, "sftp.password": "Wrong-Passw0rd"})
    trust(sshd, tmp_path)
    with pytest.raises(AuthFailed, match="rejected"):
        upload(_target(), FileSource(_payload(tmp_path, 10)), new_remote_name())


def test_closed_port_dns_and_timeout_are_told_apart(sshd, tmp_path):
    configure(sshd)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    with pytest.raises(PortClosed, match="refused"):
        with SftpSession(_target(port=closed)):
            pass
    with pytest.raises(DnsFailure):
        with SftpSession(_target(host="no-such-host.invalid")):
            pass
    silent = socket.socket()  # accepts TCP but never speaks SSH: like a filtered/blackholed service
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        with pytest.raises(Timeout):
            with SftpSession(_target(port=silent.getsockname()[1], timeout=1.0)):
                pass
    finally:
        silent.close()


def test_missing_folder_and_permission(sshd, tmp_path):
    configure(sshd, **{"sftp.remote_dir": str(sshd.upload_dir / "nope")})
    trust(sshd, tmp_path)
    with pytest.raises(RemoteFolderMissing, match="does not exist"):
        upload(_target(), FileSource(_payload(tmp_path, 10)), new_remote_name())
    if sshd.password_user is None:
        return
    locked = sshd.upload_dir / "locked"
    locked.mkdir(mode=0o755)  # owned by root; the password user may not write there
    configure(None, **{**sshd.settings(password=True), "sftp.remote_dir": str(locked)})
    with pytest.raises(PermissionDenied, match="may not write"):
        upload(_target(), FileSource(_payload(tmp_path, 10)), new_remote_name())
    diagnosis = test_connection(current())
    assert not diagnosis.ok and "may not write" in diagnosis.to_text()


def test_connection_dropped_mid_upload_resumes(sshd, cutting_proxy, tmp_path):
    configure(sshd)
    trust(sshd, tmp_path)
    src = _payload(tmp_path, 8 * 1024 * 1024)
    proxy = cutting_proxy(cut_after=3 * 1024 * 1024)
    hostkeys.trust(
        current().paths.known_hosts,
        "127.0.0.1",
        proxy.port,
        hostkeys.load(current().paths.known_hosts).lookup(hostkeys.host_id("127.0.0.1", sshd.port))["ssh-ed25519"],
    )
    name = new_remote_name()
    details = []
    result = upload(
        _target(port=proxy.port), FileSource(src), name, backoff_s=0.1, progress=lambda r: details.append(r.detail)
    )
    assert proxy.cuts == 1 and result.attempts == 2
    assert "resuming" in details
    assert hashlib.sha256((sshd.upload_dir / name).read_bytes()).digest() == hashlib.sha256(src.read_bytes()).digest()


def test_cancel_leaves_nothing_on_the_server(sshd, tmp_path):
    configure(sshd)
    trust(sshd, tmp_path)
    src = _payload(tmp_path, 20 * 1024 * 1024)
    cancel = CancelToken()

    def progress(r):
        if r.done > 2 * 1024 * 1024:
            cancel.cancel()

    with pytest.raises(CancelledError):
        upload(_target(), FileSource(src), new_remote_name(), progress=progress, cancel=cancel)
    assert list(sshd.upload_dir.iterdir()) == []


def test_disk_full_is_diagnosed(sshd, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    small = sshd.upload_dir / "small"
    small.mkdir()
    if (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0777", "tmpfs", str(small)], capture_output=True
        ).returncode
        != 0
    ):
        pytest.skip("this machine does not allow mounting a tmpfs (container without CAP_SYS_ADMIN)")
    try:
        from sodclient.transport import DiskFull

        configure(sshd, **{"sftp.remote_dir": str(small)})
        trust(sshd, tmp_path)
        with pytest.raises(DiskFull, match="disk is full"):
            upload(_target(), FileSource(_payload(tmp_path, 4 * 1024 * 1024)), new_remote_name())
    finally:
        subprocess.run(["umount", "--lazy", str(small)], capture_output=True)  # sshd may still hold it


def test_test_connection_reports_ok_sftp(sshd, tmp_path, capsys):
    configure(sshd)
    trust(sshd, tmp_path)
    diagnosis = test_connection(current())
    sftp = diagnosis.checks[0]
    assert sftp.ok and "writable" in sftp.message
    assert not diagnosis.ok  # SMTP not configured: said plainly, no traceback
    assert cli_main(["test-connection"]) == 4
    out = capsys.readouterr().out
    assert "SFTP: OK" in out and "SMTP: PROBLEM" in out


def test_a_wrong_partial_file_is_not_published(sshd, tmp_path):
    """A .part whose bytes differ from ours (e.g. a damaged earlier attempt) fails verification, is removed,
    and the retry uploads afresh: the published file is exactly ours."""
    configure(sshd)
    trust(sshd, tmp_path)
    src = _payload(tmp_path, 300_000)
    name = new_remote_name()
    (sshd.upload_dir / f".{name}.part").write_bytes(b"\xff" * 300_000)  # same size, wrong bytes
    result = upload(_target(), FileSource(src), name, backoff_s=0.01)
    assert result.attempts == 2
    assert (sshd.upload_dir / name).read_bytes() == src.read_bytes()
