"""Real servers for the benchmarks, reusing the test fixtures' code (tests/servers.py) outside pytest."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests import servers  # noqa: E402


class _Factory:
    """Stands in for pytest's tmp_path_factory."""

    def __init__(self, root: Path):
        self.root, self.n = root, 0

    def mktemp(self, name: str) -> Path:
        self.n += 1
        p = self.root / f"{name}{self.n}"
        p.mkdir(parents=True)
        return p


def start_sshd(root: Path) -> servers.SshServer:
    return servers._start_sshd(root / "sshd")


def start_smtp(root: Path) -> servers.SmtpServer:
    return servers._smtp(_Factory(root))


def plain_key_copy(sshd: servers.SshServer, root: Path) -> Path:
    """OpenSSH `sftp -b` cannot prompt for the key passphrase: give it an unencrypted copy."""
    key = root / "client_plain"
    key.write_bytes(sshd.client_key.read_bytes())
    key.chmod(0o600)
    subprocess.run(["ssh-keygen", "-q", "-p", "-P", sshd.client_key_passphrase, "-N", "", "-f", str(key)],
                   check=True, capture_output=True)
    return key


def sftp_put(key: Path, port: int, user: str, local: Path, remote: str, extra: list[str] = ()) -> None:
    subprocess.run(["sftp", "-q", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                    "-o", "LogLevel=ERROR", *extra, "-i", str(key), "-P", str(port), "-b", "-",
                    f"{user}@127.0.0.1"], input=f"put {local} {remote}\n", text=True, check=True,
                   capture_output=True)


def tmpdir(base: str | None) -> Path:
    return Path(tempfile.mkdtemp(prefix="sodbench-", dir=base))
