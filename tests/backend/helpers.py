"""Small helpers shared by the backend tests (configuring the app against the test servers)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sodclient.cli import main as cli_main
from sodclient.services.settings import change_settings
from tests.profiles import current


def host_fingerprint(pub_line: str, tmp: Path) -> str:
    """The server key's SHA-256 fingerprint as OpenSSH's own ssh-keygen reports it."""
    pub = tmp / "host.pub"
    pub.write_text(pub_line + "\n")
    out = subprocess.run(
        ["ssh-keygen", "-l", "-E", "sha256", "-f", str(pub)], capture_output=True, text=True, check=True
    ).stdout
    return out.split()[1]


def configure(sshd=None, smtp=None, link: str | None = None, **extra: str) -> None:
    values: dict[str, str] = {}
    if sshd is not None:
        values.update(sshd.settings())
    if smtp is not None:
        values.update(smtp.settings())
    if link:
        values["link.template"] = link
    values.update(extra)
    change_settings(current(), values)


def trust(sshd, tmp: Path) -> str:
    fp = host_fingerprint(sshd.host_key_pub, tmp)
    assert cli_main(["trust-host", "--fingerprint", fp]) == 0
    return fp
