"""SFTP servers as hospitals run them, for the transport tests: OpenSSH in hardened set-ups (write-only
drop-box, no rename, chacha20-only, legacy CBC only, an old key exchange), ProFTPD's mod_sftp (Debian's
proftpd-core + proftpd-mod-crypto) with `<Limit>` drop-boxes, and the app's embedded asyncssh server.
All real, all on loopback, each started for one test module.

The permission drop-box needs an account that file permissions apply to: root ignores them, so when
the tests run as root it logs in as the system's existing `nobody` account (key login, internal-sftp,
no shell needed); otherwise as the current user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from sodclient.transport.session import forget_negotiation
from tests.profiles import current
from tests.servers import SSHD, CuttingProxy, SshServer, _start_sshd, _wait_port, free_port

PROFTPD = shutil.which("proftpd") or "/usr/sbin/proftpd"
PASSWORD = "Upload-Passw0rd"


@dataclass
class PasswordServer:
    """A server the uploader logs in to with a password; what helpers.configure() and trust() read."""

    port: int
    upload_dir: Path  # the folder on disk
    remote_dir: str  # the same folder as the server shows it
    host_key_pub: str
    username: str = "uploader"

    def settings(self) -> dict[str, str]:
        return {
            "sftp.host": "127.0.0.1",
            "sftp.port": str(self.port),
            "sftp.remote_dir": self.remote_dir,
            "sftp.username": self.username,
            "sftp.password": PASSWORD,
            "sftp.key_file": "",
        }


def dropbox_user() -> str:
    return "nobody" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name


@contextlib.contextmanager
def sshd_variant(tmp_path_factory, extra_config: str, key_user: str | None = None, upload_mode: int = 0o777):
    """An own OpenSSH sshd with `extra_config` appended to the usual test configuration."""
    if not Path(SSHD).exists():
        pytest.skip("OpenSSH sshd is not installed (scripts/test installs openssh-server)")
    server: SshServer = _start_sshd(tmp_path_factory.mktemp("sshd-variant"), extra_config, key_user, upload_mode)
    try:
        yield server
    finally:
        forget_negotiation("127.0.0.1", server.port)  # the port may serve another sshd later in the run
        server.proc.terminate()
        server.proc.wait(10)
        os.chmod(server.upload_dir, 0o700)
        shutil.rmtree(server.upload_dir, ignore_errors=True)
        if server.keys_dir is not None:
            shutil.rmtree(server.keys_dir, ignore_errors=True)


def trusted_proxy(server, cut_after: int, cut_connections: int | None) -> CuttingProxy:
    """A link to `server` that drops (see CuttingProxy), its port trusted with the server's already trusted key."""
    from sodclient.transport import hostkeys

    proxy = CuttingProxy(server.port, cut_after, cut_connections)
    key = hostkeys.load(current().paths.known_hosts).lookup(hostkeys.host_id("127.0.0.1", server.port))["ssh-ed25519"]
    hostkeys.trust(current().paths.known_hosts, "127.0.0.1", proxy.port, key)
    return proxy


# sshd_config fragments. ForceCommand applies to the sftp subsystem too, so these replace the test
# sshd's plain internal-sftp for every login.
DROPBOX_UMASK = "Match all\n    ForceCommand internal-sftp -u 0466\n"  # new files: write-only (0200)
NO_READ_STAT_LIST = "Match all\n    ForceCommand internal-sftp -P read,stat,lstat,fstat,opendir,readdir\n"
NO_RENAME = "Match all\n    ForceCommand internal-sftp -P rename,posix-rename\n"
CHACHA_ONLY = "Ciphers chacha20-poly1305@openssh.com\n"
CBC_ONLY = "Ciphers aes128-cbc,aes256-cbc\n"
SHA1_KEX_ONLY = "KexAlgorithms diffie-hellman-group14-sha1\n"


@contextlib.contextmanager
def proftpd(tmp_path_factory, extra_config: str = ""):
    """ProFTPD with mod_sftp only (no FTP), a virtual user mapped to `nobody` and chrooted to its folder.
    `extra_config` may use {upload} for the folder's path (for <Directory> blocks)."""
    if os.geteuid() != 0 or not Path(PROFTPD).exists():
        pytest.skip("ProFTPD tests need root and Debian's proftpd-core + proftpd-mod-crypto")
    work = tmp_path_factory.mktemp("proftpd")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(work / "host_ed25519")], check=True)
    upload = Path(tempfile.mkdtemp(prefix="sod-proftpd-"))
    os.chmod(upload, 0o777)
    crypted = subprocess.run(
        ["openssl", "passwd", "-6", "-stdin"], input=PASSWORD, capture_output=True, text=True, check=True
    ).stdout.strip()
    (work / "passwd").write_text(f"uploader:{crypted}:65534:65534::{upload}:/bin/false\n")
    (work / "group").write_text("nogroup:x:65534:\n")
    for f in ("passwd", "group"):
        os.chmod(work / f, 0o600)  # ProFTPD refuses world-readable password files
    port = free_port()
    (work / "proftpd.conf").write_text(f"""
ServerType standalone
DefaultAddress 127.0.0.1
SocketBindTight on
Port {port}
UseIPv6 off
User nobody
Group nogroup
PidFile {work}/proftpd.pid
ScoreboardFile {work}/scoreboard
DelayTable none
WtmpLog off
UseReverseDNS off
ModulePath /usr/lib/proftpd
LoadModule mod_sftp.c
AuthOrder mod_auth_file.c
AuthUserFile {work}/passwd
AuthGroupFile {work}/group
RequireValidShell off
DefaultRoot ~
SystemLog {work}/system.log
SFTPEngine on
SFTPHostKey {work}/host_ed25519
SFTPAuthMethods password
{extra_config.format(upload=upload)}
""")
    proc = subprocess.Popen(
        [PROFTPD, "-n", "-q", "-c", str(work / "proftpd.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_port(port)
    except RuntimeError:
        proc.kill()
        raise RuntimeError("proftpd did not start: " + proc.stderr.read().decode(errors="replace")) from None
    try:
        yield PasswordServer(port, upload, "/", (work / "host_ed25519.pub").read_text().strip())
    finally:
        forget_negotiation("127.0.0.1", port)
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(upload, ignore_errors=True)


# ProFTPD drop-boxes as admins write them: no downloads (READ: RETR, and also STAT, though not LSTAT);
# and nothing but uploads (DIRS also denies listing and RNFR, so no rename either; LSTAT still answers).
# Debian's ProFTPD 1.3.8 has no chacha20-poly1305 (added in 1.3.9).
PROFTPD_NO_READ = "<Directory {upload}>\n  <Limit READ>\n    DenyAll\n  </Limit>\n</Directory>\n"
PROFTPD_WRITE_ONLY = "<Directory {upload}>\n  <Limit READ DIRS>\n    DenyAll\n  </Limit>\n</Directory>\n"
