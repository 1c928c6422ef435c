"""Real servers for the tests: OpenSSH sshd, aiosmtpd with STARTTLS + AUTH, a download web site,
and a TCP proxy that cuts connections. Shared by backend and UI tests (`pytest_plugins`).

Nothing here is mocked: sshd is the Debian OpenSSH binary with its own host key and config on a
loopback port; the SMTP server demands STARTTLS with a certificate from a throwaway CA (trustme)
before it accepts AUTH.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
TEST_USER, TEST_PASSWORD = "sodtest", "Sod-test-Passw0rd"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def _may_create_accounts() -> bool:
    """Creating a system account changes the host, so it needs consent: CI (a throw-away machine, CI=true)
    or SODSEND_TEST_CREATE_USER=1. Without it the password-login tests skip and say why."""
    return os.environ.get("CI") == "true" or os.environ.get("SODSEND_TEST_CREATE_USER") == "1"


def _ensure_test_user() -> bool:
    """Password auth needs a real account with a known password: `sodtest`, created when we are root and
    allowed to (see _may_create_accounts); an existing one is reused."""
    if os.geteuid() != 0 or not shutil.which("useradd"):
        return False
    exists = subprocess.run(["id", TEST_USER], capture_output=True).returncode == 0
    if not exists and not _may_create_accounts():
        return False
    if not exists:
        subprocess.run(
            ["useradd", "--no-create-home", "--shell", "/bin/sh", TEST_USER], check=True, capture_output=True
        )
    subprocess.run(["chpasswd"], input=f"{TEST_USER}:{TEST_PASSWORD}\n", text=True, check=True, capture_output=True)
    return True


@dataclass
class SshServer:
    port: int
    upload_dir: Path  # writable by both the key user (current) and the password user
    client_key: Path  # ed25519 private key for the current user, passphrase below
    client_key_passphrase: str
    host_key_pub: str
    username: str  # current user (key auth)
    password_user: str | None  # test user (password auth) or None when not root
    password: str = TEST_PASSWORD
    proc: subprocess.Popen | None = field(default=None, repr=False)
    keys_dir: Path | None = None  # authorized_keys outside pytest's private tmp (for another account), if any

    def settings(self, *, password: bool = False, port: int | None = None) -> dict[str, str]:
        """`config set` values pointing at this server."""
        base = {"sftp.host": "127.0.0.1", "sftp.port": str(port or self.port), "sftp.remote_dir": str(self.upload_dir)}
        if password:
            return {**base, "sftp.username": self.password_user, "sftp.password": self.password, "sftp.key_file": ""}
        return {
            **base,
            "sftp.username": self.username,
            "sftp.key_file": str(self.client_key),
            "sftp.key_passphrase": self.client_key_passphrase,
            "sftp.password": "",
        }


def _start_sshd(
    workdir: Path, extra_config: str = "", key_user: str | None = None, upload_mode: int = 0o777
) -> SshServer:
    """`extra_config` is appended to sshd_config (ciphers, Match blocks...); `key_user` logs in with the
    client key instead of the current user (its authorized_keys then sits in a folder it can read)."""
    workdir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(workdir / "host_ed25519")], check=True)
    passphrase = "client-key-Passphrase1"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-f", str(workdir / "client_ed25519")], check=True
    )
    keys_dir = Path(tempfile.mkdtemp(prefix="sod-keys-")) if key_user else workdir
    os.chmod(keys_dir, 0o755)
    shutil.copy(workdir / "client_ed25519.pub", keys_dir / "authorized_keys")
    os.chmod(keys_dir / "authorized_keys", 0o644)
    upload = Path(tempfile.mkdtemp(prefix="sod-sftp-"))  # under /tmp so the test user can reach it
    os.chmod(upload, upload_mode)
    has_user = _ensure_test_user()
    port = free_port()
    (workdir / "sshd_config").write_text(f"""
Port {port}
ListenAddress 127.0.0.1
HostKey {workdir}/host_ed25519
PidFile {workdir}/sshd.pid
AuthorizedKeysFile {keys_dir}/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication {"yes" if has_user else "no"}
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
Subsystem sftp internal-sftp
LogLevel ERROR
MaxStartups 50
{extra_config}
""")
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    proc = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", str(workdir / "sshd_config")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_port(port)
    except RuntimeError:
        proc.kill()
        raise RuntimeError("sshd did not start: " + proc.stderr.read().decode(errors="replace")) from None
    import pwd

    return SshServer(
        port,
        upload,
        workdir / "client_ed25519",
        passphrase,
        (workdir / "host_ed25519.pub").read_text().strip(),
        key_user or pwd.getpwuid(os.geteuid()).pw_name,
        TEST_USER if has_user else None,
        proc=proc,
        keys_dir=keys_dir if key_user else None,
    )


@pytest.fixture(scope="session")
def sshd_server(tmp_path_factory):
    if not Path(SSHD).exists():
        pytest.skip("OpenSSH sshd is not installed (scripts/test installs openssh-server)")
    server = _start_sshd(tmp_path_factory.mktemp("sshd"))
    yield server
    server.proc.terminate()
    server.proc.wait(10)
    shutil.rmtree(server.upload_dir, ignore_errors=True)


@pytest.fixture
def sshd(sshd_server):
    """The session's sshd with an emptied upload folder."""
    for p in sshd_server.upload_dir.iterdir():
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink()
    return sshd_server


# --- SMTP ------------------------------------------------------------------------------------


@dataclass
class SmtpServer:
    host: str
    port: int
    ca_file: Path
    username: str
    password: str
    messages: list
    controller: object
    security: str = "starttls"
    quits: list = field(default_factory=list)  # one entry per client that ended its session with QUIT

    def settings(self) -> dict[str, str]:
        return {
            "smtp.host": self.host,
            "smtp.port": str(self.port),
            "smtp.security": self.security,
            "smtp.username": self.username,
            "smtp.password": self.password,
            "smtp.from": "sender@hospital.example",
            "smtp.ca_file": str(self.ca_file),
        }


def _smtp(tmp_path_factory, *, implicit_tls: bool = False, trusted: bool = True, idle_timeout: float = 300):
    import ssl

    import trustme
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    workdir = tmp_path_factory.mktemp("smtp")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    ca_file = workdir / "ca.pem"
    if trusted:
        ca.cert_pem.write_to_path(str(ca_file))
    else:  # the client will trust a different CA than the one that signed the server
        trustme.CA().cert_pem.write_to_path(str(ca_file))
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    messages: list = []
    quits: list = []
    username, password = "mailer", "Mail-Passw0rd"

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            messages.append(envelope)
            return "250 OK"

        async def handle_QUIT(self, server, session, envelope):
            quits.append(session.peer)
            return "221 Bye"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == username
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)  # False: aiosmtpd answers 535 itself

    port = free_port()
    if implicit_tls:
        tls = {"ssl_context": server_ctx, "auth_require_tls": False, "server_hostname": "localhost"}
    else:
        tls = {"tls_context": server_ctx, "require_starttls": True, "auth_require_tls": True}
    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_required=True,
        timeout=idle_timeout,  # seconds a connection may sit idle before the server closes it
        **tls,
    )
    controller.start()
    return SmtpServer(
        "localhost",
        port,
        ca_file,
        username,
        password,
        messages,
        controller,
        "ssl" if implicit_tls else "starttls",
        quits,
    )


@pytest.fixture
def smtp_server(tmp_path_factory):
    server = _smtp(tmp_path_factory)
    yield server
    server.controller.stop()


@pytest.fixture
def smtp_ssl_server(tmp_path_factory):
    server = _smtp(tmp_path_factory, implicit_tls=True)
    yield server
    server.controller.stop()


@pytest.fixture
def smtp_untrusted_server(tmp_path_factory):
    server = _smtp(tmp_path_factory, trusted=False)
    yield server
    server.controller.stop()


# --- download site ---------------------------------------------------------------------------


@pytest.fixture
def download_site(sshd):
    """Publishes the SFTP upload folder over HTTP, like the hospital's download site would."""
    handler = functools.partial(_QuietHandler, directory=str(sshd.upload_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/{{name}}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


# --- a link that breaks ----------------------------------------------------------------------


class CuttingProxy:
    """TCP proxy to `target_port` that drops connections after `cut_after` client bytes: the first
    `cut_connections` ones (None: every one, a link that keeps failing)."""

    def __init__(self, target_port: int, cut_after: int, cut_connections: int | None = 1):
        self.target_port, self.cut_after, self.cut_connections = target_port, cut_after, cut_connections
        self._accepted = 0
        self.cuts = 0
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self.port = self._sock.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self._stop:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self._accepted += 1
            cut = self.cut_after > 0 and (self.cut_connections is None or self._accepted <= self.cut_connections)
            threading.Thread(target=self._pump, args=(client, upstream, cut), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src, dst, cut):
        sent = 0
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if cut and sent + len(data) >= self.cut_after:
                    self.cuts += 1
                    break
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self):
        self._stop = True
        self._sock.close()


@pytest.fixture
def cutting_proxy(sshd):
    proxies = []

    def make(cut_after: int, cut_connections: int | None = 1) -> CuttingProxy:
        proxy = CuttingProxy(sshd.port, cut_after, cut_connections)
        proxies.append(proxy)
        return proxy

    yield make
    for p in proxies:
        p.close()


# --- a slow link (a transfer that is still running while the test looks at the app) ----------------


class SlowProxy(CuttingProxy):
    """TCP proxy to `target_port` that passes at most `bytes_per_s` in each direction."""

    def __init__(self, target_port: int, bytes_per_s: int):
        self.bytes_per_s = bytes_per_s
        super().__init__(target_port, 0, 0)

    def _pump(self, src, dst, cut):
        start, sent = time.monotonic(), 0
        try:
            while True:
                data = src.recv(16384)
                if not data:
                    break
                dst.sendall(data)
                sent += len(data)
                ahead = sent / self.bytes_per_s - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


@pytest.fixture
def slow_link(sshd):
    proxies = []

    def make(bytes_per_s: int) -> SlowProxy:
        proxy = SlowProxy(sshd.port, bytes_per_s)
        proxies.append(proxy)
        return proxy

    yield make
    for p in proxies:
        p.close()
