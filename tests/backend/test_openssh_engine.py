"""The default upload engine: the system's OpenSSH client carries the SSH layer, this app speaks SFTP over it.

Against the real sshd: it is used only for a server already trusted, a changed key is refused, every login
failure is still diagnosed by name (through the built-in engine), a dropped link resumes, and no secret
reaches ssh's arguments, environment or a file."""

import os
import socket
import subprocess
import tempfile
import threading
from pathlib import Path

import paramiko
import pytest

from sodclient.errors import InputError
from sodclient.transport import (
    AuthFailed,
    DnsFailure,
    FileSource,
    GrowingFile,
    HostKeyChanged,
    PortClosed,
    SftpSession,
    Timeout,
    hostkeys,
    new_remote_name,
    openssh_backend,
    upload,
)
from tests.backend.helpers import configure, host_fingerprint, trust
from tests.profiles import current

pytestmark = pytest.mark.skipif(
    openssh_backend.client() is None, reason="needs OpenSSH 8.4+ (scripts/test installs it)"
)


OPENSSH = {"sftp.engine": "openssh"}  # every upload, whatever its size


def _target(**over):
    target = current().settings().sftp()
    return target.__class__(**{**target.__dict__, **over})


def _payload(tmp_path, size=5 * 1024 * 1024 + 3) -> Path:
    p = tmp_path / "payload.bin"
    p.write_bytes(os.urandom(size))
    return p


def test_a_trusted_server_is_uploaded_to_through_openssh(sshd, tmp_path):
    configure(sshd, **OPENSSH)
    fingerprint = trust(sshd, tmp_path)
    src = _payload(tmp_path)
    name = new_remote_name()
    result = upload(_target(), FileSource(src), name)
    assert result.library == "openssh" and result.cipher == "aes256-gcm@openssh.com"
    assert (sshd.upload_dir / name).read_bytes() == src.read_bytes()
    assert not list(sshd.upload_dir.glob(".*.part"))
    assert (result.published_by, result.verified_by) == ("posix-rename", "read-back")
    with SftpSession(_target(), bulk=True) as s:
        assert s.library == "openssh" and s.server_fingerprint == fingerprint and s.kex.startswith("curve25519")


def test_the_builtin_engine_setting_keeps_paramiko(sshd, tmp_path):
    configure(sshd, **{"sftp.engine": "builtin"})
    trust(sshd, tmp_path)
    result = upload(_target(), FileSource(_payload(tmp_path, 1000)), new_remote_name())
    assert result.library == "paramiko"


def test_auto_takes_openssh_for_large_uploads_only(sshd, tmp_path, monkeypatch):
    import importlib

    upload_module = importlib.import_module("sodclient.transport.upload")
    monkeypatch.setattr(upload_module, "OPENSSH_MIN_BYTES", 2 * 1024 * 1024)  # instead of 256 MiB
    configure(sshd)  # the default: auto
    trust(sshd, tmp_path)
    small = upload(_target(), FileSource(_payload(tmp_path, 100_000)), new_remote_name())
    large = upload(_target(), FileSource(_payload(tmp_path, 3 * 1024 * 1024)), new_remote_name())
    # a container still being packed has no size yet: the send passes its inputs' size
    src = _payload(tmp_path, 100_000)
    growing = GrowingFile(src)
    growing.written(50_000)
    threading.Timer(0.3, growing.finish, args=(100_000,)).start()
    name = new_remote_name()
    packed = upload(_target(), growing, name, expected_size=3 * 1024 * 1024)
    assert (small.library, large.library, packed.library) == ("paramiko", "openssh", "openssh")
    assert (sshd.upload_dir / name).read_bytes() == src.read_bytes()


def test_password_account_through_openssh(sshd, tmp_path):
    if sshd.password_user is None:
        pytest.skip("password auth needs the `sodtest` account (CI=true or SODSEND_TEST_CREATE_USER=1 as root)")
    configure(None, **sshd.settings(password=True), **OPENSSH)
    trust(sshd, tmp_path)
    src = _payload(tmp_path, 300_000)
    name = new_remote_name()
    result = upload(_target(), FileSource(src), name)
    assert result.library == "openssh"
    assert (sshd.upload_dir / name).read_bytes() == src.read_bytes()


def test_first_contact_asks_through_the_builtin_engine_then_uses_openssh(sshd, tmp_path):
    configure(sshd, **OPENSSH)
    seen = []
    confirm = lambda host, fp, kind: seen.append(fp) or True
    first = upload(_target(), FileSource(_payload(tmp_path, 1000)), new_remote_name(), confirm_host_key=confirm)
    assert first.library == "paramiko" and seen == [host_fingerprint(sshd.host_key_pub, tmp_path)]
    second = upload(_target(), FileSource(_payload(tmp_path, 1000)), new_remote_name(), confirm_host_key=confirm)
    assert second.library == "openssh" and len(seen) == 1


def test_a_changed_host_key_is_refused_and_nothing_is_written(sshd, tmp_path):
    configure(sshd, **OPENSSH)
    impostor = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(impostor)], check=True)
    hostkeys.trust(current().paths.known_hosts, "127.0.0.1", sshd.port, paramiko.PKey.from_path(impostor))
    with pytest.raises(HostKeyChanged, match="different key"):
        upload(_target(), FileSource(_payload(tmp_path, 1000)), new_remote_name(), max_attempts=1)
    assert list(sshd.upload_dir.iterdir()) == []


def test_login_failures_are_diagnosed_by_name(sshd, tmp_path):
    configure(sshd, **OPENSSH)
    trust(sshd, tmp_path)
    with pytest.raises(InputError, match="cannot be opened"):
        with SftpSession(_target(key_passphrase="Not-the-passphrase1"), bulk=True):
            pass
    user = sshd.password_user or sshd.username
    with pytest.raises(AuthFailed, match="rejected"):
        with SftpSession(_target(username=user, key_file="", password="Wrong-Passw0rd"), bulk=True):
            pass
    with SftpSession(_target(), bulk=True) as s:  # the right settings are tried through OpenSSH again
        assert s.library == "openssh"


def test_network_faults_are_named_by_the_openssh_path(sshd, tmp_path):
    configure(sshd, **OPENSSH)
    trust(sshd, tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    pinned = hostkeys.load(current().paths.known_hosts).lookup(hostkeys.host_id("127.0.0.1", sshd.port))
    hostkeys.trust(current().paths.known_hosts, "127.0.0.1", closed, pinned["ssh-ed25519"])
    with pytest.raises(PortClosed, match="refused"):
        with SftpSession(_target(port=closed), bulk=True):
            pass
    with pytest.raises(DnsFailure):
        hostkeys.trust(current().paths.known_hosts, "no-such-host.invalid", sshd.port, pinned["ssh-ed25519"])
        with SftpSession(_target(host="no-such-host.invalid"), bulk=True):
            pass
    silent = socket.socket()  # accepts TCP but never speaks SSH
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        port = silent.getsockname()[1]
        hostkeys.trust(current().paths.known_hosts, "127.0.0.1", port, pinned["ssh-ed25519"])
        with pytest.raises(Timeout):
            with SftpSession(_target(port=port, timeout=1.0), bulk=True):
                pass
    finally:
        silent.close()


def test_a_dropped_link_resumes_through_openssh(sshd, cutting_proxy, tmp_path):
    configure(sshd, **OPENSSH)
    trust(sshd, tmp_path)
    src = _payload(tmp_path, 12 * 1024 * 1024)
    proxy = cutting_proxy(cut_after=4 * 1024 * 1024)
    pinned = hostkeys.load(current().paths.known_hosts).lookup(hostkeys.host_id("127.0.0.1", sshd.port))
    hostkeys.trust(current().paths.known_hosts, "127.0.0.1", proxy.port, pinned["ssh-ed25519"])
    details = []
    name = new_remote_name()
    result = upload(
        _target(port=proxy.port), FileSource(src), name, backoff_s=0.1, progress=lambda r: details.append(r.detail)
    )
    assert proxy.cuts == 1 and result.attempts == 2 and result.library == "openssh"
    assert "resuming" in details
    assert (sshd.upload_dir / name).read_bytes() == src.read_bytes()


def test_no_secret_reaches_ssh_arguments_environment_or_files(sshd, tmp_path):
    configure(sshd, **OPENSSH)
    trust(sshd, tmp_path)
    secret = sshd.client_key_passphrase
    before = set(Path(tempfile.gettempdir()).glob("sod-ssh-*"))
    with SftpSession(_target(), bulk=True) as s:
        assert s.library == "openssh"
        pid = s.alt.proc.pid
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        environ = Path(f"/proc/{pid}/environ").read_bytes()
        assert secret.encode() not in b" ".join(argv) and secret.encode() not in environ
        assert b"-F" in argv and b"/dev/null" in argv  # the user's ~/.ssh/config is not read
        assert b"StrictHostKeyChecking=yes" in argv
        (private,) = set(Path(tempfile.gettempdir()).glob("sod-ssh-*")) - before
        assert oct(private.stat().st_mode & 0o777) == "0o700"
        assert [p.name for p in private.iterdir()] == ["known_hosts"]  # the askpass and its answer are gone
        assert secret.encode() not in (private / "known_hosts").read_bytes()
    assert s.alt.proc.returncode is not None  # ssh ended with the session
    assert not private.exists()


def test_without_an_openssh_client_the_builtin_engine_uploads(sshd, tmp_path, monkeypatch):
    configure(sshd, **OPENSSH)
    trust(sshd, tmp_path)
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    openssh_backend.client.cache_clear()
    try:
        assert openssh_backend.client() is None
        result = upload(_target(), FileSource(_payload(tmp_path, 1000)), new_remote_name())
        assert result.library == "paramiko"
    finally:
        monkeypatch.undo()
        openssh_backend.client.cache_clear()


def test_test_connection_tells_which_engine_carries_uploads(sshd, tmp_path):
    from sodclient.services.connection import test_connection

    configure(sshd)  # auto
    trust(sshd, tmp_path)
    (engine,) = [c for c in test_connection(current()).checks if c.name == "upload engine"]
    assert engine.ok and "256 MiB and more use this computer's OpenSSH client" in engine.message
    # a passphrase-protected key file other users may read: the app opens it and hands ssh the opened key in
    # memory, so OpenSSH carries uploads with it as paramiko does
    loose = tmp_path / "loose_key"
    loose.write_bytes(sshd.client_key.read_bytes())
    loose.chmod(0o644)
    configure(**{"sftp.key_file": str(loose)})
    checks = {c.name: c for c in test_connection(current()).checks}
    assert (
        checks["SFTP"].ok and "256 MiB and more use this computer's OpenSSH client" in checks["upload engine"].message
    )
    # the same key without a passphrase is read by ssh itself, which refuses it (and uploads fall back)
    loose.chmod(0o600)  # ssh-keygen, too, refuses to touch it otherwise
    subprocess.run(["ssh-keygen", "-q", "-p", "-P", sshd.client_key_passphrase, "-N", "", "-f", str(loose)], check=True)
    loose.chmod(0o644)
    configure(**{"sftp.key_file": str(loose), "sftp.key_passphrase": ""})
    checks = {c.name: c for c in test_connection(current()).checks}
    assert checks["SFTP"].ok
    assert checks["upload engine"].ok and "could not be used" in checks["upload engine"].message
    assert "other users may read it" in checks["upload engine"].message
    configure(**{"sftp.engine": "builtin"})
    checks = {c.name: c for c in test_connection(current()).checks}
    assert checks["upload engine"].message.startswith("built-in SSH")
