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
    subprocess.run(
        ["ssh-keygen", "-q", "-p", "-P", sshd.client_key_passphrase, "-N", "", "-f", str(key)],
        check=True,
        capture_output=True,
    )
    return key


def sftp_put(key: Path, port: int, user: str, local: Path, remote: str, extra: list[str] = ()) -> None:
    subprocess.run(
        [
            "sftp",
            "-q",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            *extra,
            "-i",
            str(key),
            "-P",
            str(port),
            "-b",
            "-",
            f"{user}@127.0.0.1",
        ],
        input=f"put {local} {remote}\n",
        text=True,
        check=True,
        capture_output=True,
    )


def tmpdir(base: str | None) -> Path:
    return Path(tempfile.mkdtemp(prefix="sodbench-", dir=base))


WANEM = REPO.parent / "shared" / "tools" / "wanem.py"

# Named links: (Mbit/s, round-trip ms). wanem.py takes the one-way delay, half the round trip.
LINKS = {"loopback": None, "100x80": (100, 80), "1000x40": (1000, 40)}


def link_label(name: str) -> str:
    spec = LINKS[name]
    return "loopback (no emulator)" if spec is None else f"{spec[0]} Mbit/s x {spec[1]} ms RTT (wanem)"


class Link:
    """A port that reaches `to_port` over the named emulated link (wanem.py), or directly for loopback."""

    def __init__(self, name: str, to_port: int):
        import socket
        import time

        self.name, self.proc, self.port = name, None, to_port
        spec = LINKS[name]
        if spec is None:
            return
        if not WANEM.exists():
            sys.exit(f"wanem not found at {WANEM}")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        # wanem prints a harmless traceback when a connection closes: keep it off the report
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(WANEM),
                "--listen",
                f"127.0.0.1:{self.port}",
                "--to",
                f"127.0.0.1:{to_port}",
                "--delay-ms",
                str(spec[1] / 2),
                "--mbit",
                str(spec[0]),
            ],
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait()
