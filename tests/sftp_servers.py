"""SFTP servers as hospitals run them, for the transport tests: OpenSSH in hardened set-ups (write-only
drop-box, no rename, chacha20-only, legacy CBC only, an old key exchange) and a second implementation
(the app's embedded asyncssh server). All real, all on loopback, each started for one test module.

The permission drop-box needs an account that file permissions apply to: root ignores them, so when
the tests run as root it logs in as the system's existing `nobody` account (key login, internal-sftp,
no shell needed); otherwise as the current user.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
from pathlib import Path

from sodclient.transport.session import forget_negotiation
from tests.servers import SSHD, SshServer, _start_sshd


def dropbox_user() -> str:
    return "nobody" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name


@contextlib.contextmanager
def sshd_variant(tmp_path_factory, extra_config: str, key_user: str | None = None, upload_mode: int = 0o777):
    """An own OpenSSH sshd with `extra_config` appended to the usual test configuration."""
    if not Path(SSHD).exists():
        import pytest

        pytest.skip("OpenSSH sshd is not installed (scripts/test installs openssh-server)")
    server: SshServer = _start_sshd(tmp_path_factory.mktemp("sshd-variant"), extra_config, key_user, upload_mode)
    try:
        yield server
    finally:
        forget_negotiation("127.0.0.1", server.port)   # the port may serve another sshd later in the run
        server.proc.terminate()
        server.proc.wait(10)
        os.chmod(server.upload_dir, 0o700)
        shutil.rmtree(server.upload_dir, ignore_errors=True)


# sshd_config fragments. ForceCommand applies to the sftp subsystem too, so these replace the test
# sshd's plain internal-sftp for every login.
DROPBOX_UMASK = "Match all\n    ForceCommand internal-sftp -u 0466\n"          # new files: write-only (0200)
NO_READ_STAT_LIST = "Match all\n    ForceCommand internal-sftp -P read,stat,lstat,fstat,opendir,readdir\n"
NO_RENAME = "Match all\n    ForceCommand internal-sftp -P rename,posix-rename\n"
CHACHA_ONLY = "Ciphers chacha20-poly1305@openssh.com\n"
CBC_ONLY = "Ciphers aes128-cbc,aes256-cbc\n"
SHA1_KEX_ONLY = "KexAlgorithms diffie-hellman-group14-sha1\n"
