"""The app's own known_hosts: trust on explicit SHA-256 fingerprint confirmation, never silently.

We do not share ~/.ssh/known_hosts: the app's trust decisions are its own, recorded in the
profile's config folder (the caller passes the file), and a changed key is always refused.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import paramiko

from sodclient.files import atomic_write


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH style: SHA256:<base64 without padding> of the key blob."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def host_id(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def load(path: Path) -> paramiko.HostKeys:
    keys = paramiko.HostKeys()
    if path.exists():
        keys.load(str(path))
    return keys


def lookup(path: Path, host: str, port: int, key_type: str) -> paramiko.PKey | None:
    entry = load(path).lookup(host_id(host, port))
    if entry is None:
        return None
    return entry.get(key_type)


def trust(path: Path, host: str, port: int, key: paramiko.PKey) -> None:
    keys = load(path)
    keys.add(host_id(host, port), key.get_name(), key)
    lines = []
    for entry in keys._entries:
        line = entry.to_line()
        if line:
            lines.append(line)
    atomic_write(path, "".join(lines).encode())


def same_fingerprint(a: str, b: str) -> bool:
    norm = lambda s: s.strip().removeprefix("SHA256:").rstrip("=")
    return norm(a) == norm(b)
