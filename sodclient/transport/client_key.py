"""The SFTP client key, opened once per key and passphrase rather than at every connection.

Why: a passphrase-protected OpenSSH key costs a bcrypt KDF to open (0.1-0.4 s of CPU, which paramiko's own
loader even paid twice), on the critical path of every send, and OpenSSH's client paid it again. The opened
key is kept in the profile's `KeyCache` (config/key_cache.py seals it under the settings key, which already
guards the passphrase itself: nothing is weaker than before) and bound to the key file's bytes and the
passphrase, so a changed file or passphrase is opened afresh. Connections then get it without a KDF: paramiko
from memory, OpenSSH's client through an anonymous in-memory file (`memfd`, Linux).
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Protocol

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from sodclient.errors import InputError


class KeyCache(Protocol):
    """Where opened keys are kept between processes (encrypted: they are secrets)."""

    def get(self, binding: str) -> bytes | None: ...

    def put(self, binding: str, unlocked: bytes) -> None: ...


def _binding(data: bytes, passphrase: str) -> str:
    """Names one key file's bytes opened with one passphrase (kept only inside the sealed cache)."""
    return hashlib.sha256(b"sod-sftp-key\0" + data + b"\0" + passphrase.encode()).hexdigest()


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(f"the SFTP key file {path} does not exist") from None
    except OSError as exc:
        raise InputError(f"the SFTP key file {path} cannot be read ({exc.strerror or type(exc).__name__})") from None


def unlocked(key_file: str, passphrase: str, cache: KeyCache | None = None) -> bytes:
    """The key in OpenSSH's format without a passphrase: hand it to memory only (paramiko, a memfd)."""
    data = _read(key_file)
    if not passphrase:
        return data
    binding = _binding(data, passphrase)
    if cache is not None and (kept := cache.get(binding)) is not None:
        return kept
    key: object
    try:
        try:
            key = serialization.load_ssh_private_key(data, passphrase.encode())
        except ValueError:
            if b"OPENSSH PRIVATE KEY" in data:
                raise
            key = serialization.load_pem_private_key(data, passphrase.encode())  # legacy PEM keys
    except TypeError:  # the file has no passphrase after all: use it as it is, as ssh would
        return data
    except ValueError as exc:
        raise InputError(
            f"the SFTP key file cannot be opened (wrong passphrase or unsupported format: "
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
        ) from None
    if not isinstance(key, (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey, ec.EllipticCurvePrivateKey)):
        raise InputError(f"the SFTP key file holds a key type SFTP cannot use ({type(key).__name__})")
    opened = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    if cache is not None:
        cache.put(binding, opened)
    return opened


_LOADED: dict[tuple[str, str, int, int], paramiko.PKey] = {}  # retries and later sends in this process


def load(key_file: str, passphrase: str, cache: KeyCache | None = None) -> paramiko.PKey:
    """The key as paramiko wants it; opened once per process for each file version and passphrase."""
    try:
        st = os.stat(key_file)
    except FileNotFoundError:
        raise InputError(f"the SFTP key file {key_file} does not exist") from None
    known = (key_file, passphrase, st.st_mtime_ns, st.st_size)
    if known not in _LOADED:
        if len(_LOADED) >= 4:
            _LOADED.clear()
        _LOADED[known] = _paramiko_key(unlocked(key_file, passphrase, cache), key_file)
    return _LOADED[known]


def _paramiko_key(data: bytes, key_file: str) -> paramiko.PKey:
    text = data.decode("ascii", "replace")
    problem = "unknown key type"
    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            key = cls.from_private_key(io.StringIO(text))
            break
        except paramiko.PasswordRequiredException:
            raise InputError(
                "the SFTP key file needs its passphrase (set the SFTP key passphrase in FTP Config)"
            ) from None
        except (paramiko.SSHException, ValueError, TypeError) as exc:
            problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    else:
        raise InputError(f"the SFTP key file cannot be opened (unsupported format: {problem})")
    cert = Path(key_file + "-cert.pub")
    if cert.exists():  # as paramiko's own loader (and OpenSSH) do
        key.load_certificate(str(cert))
    return key


class MemoryKeyFile:
    """The opened key in an anonymous in-memory file for OpenSSH's client (`-i /proc/PID/fd/N`): no KDF in
    ssh and nothing on disk. 0600 (ssh refuses keys others may read), sealed against change. Linux only:
    `available()` says whether to use it or hand ssh the passphrase instead."""

    def __init__(self, pem: bytes):
        self.fd = os.memfd_create("sod-sftp-key", os.MFD_CLOEXEC | getattr(os, "MFD_ALLOW_SEALING", 0))
        try:
            os.fchmod(self.fd, 0o600)
            os.write(self.fd, pem)
            _seal(self.fd)
        except BaseException:
            os.close(self.fd)
            raise

    @staticmethod
    def available() -> bool:
        return hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd")

    @property
    def path(self) -> str:
        """Ours, seen from ssh (which closes every inherited descriptor): open until ssh has logged in."""
        return f"/proc/{os.getpid()}/fd/{self.fd}"

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _seal(fd: int) -> None:
    try:
        import fcntl

        seals = fcntl.F_SEAL_SEAL | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_WRITE
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
    except (ImportError, AttributeError, OSError):  # an older Python or kernel: the file is private anyway
        pass
