"""Keys held in the OS keyring and authenticated encryption of small local files with them.

The config, the outbox and the audit trail's HMAC key live next to each other: the keyring holds
256-bit random keys, the files on disk hold only AES-GCM ciphertext. A copied config folder is
useless without the user's keyring. Keys are named per SODCLIENT_HOME so portable and test homes
never share or overwrite each other's keys.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import tempfile
from pathlib import Path

import keyring
import keyring.errors
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sodclient.errors import UserError
from sodclient.transport.errors import Picklable
from sodclient.paths import app_paths

SERVICE = "SODSend"
_MAGIC = b"SODVAULT1\n"


class KeyringUnavailable(Picklable, UserError):
    """No usable OS key store: we refuse to keep secrets without one."""

    exit_code = 3

    def __init__(self, detail: str = ""):
        super().__init__(
            "no secure key store (keyring) is available on this computer, so settings cannot be kept "
            "encrypted. Fix: sign in to a desktop session with GNOME Keyring/KWallet (Linux), or use "
            "Windows Credential Manager/macOS Keychain; on a headless machine install keyrings.alt and set "
            "PYTHON_KEYRING_BACKEND=keyrings.alt.file.EncryptedKeyring" + (f" ({detail})" if detail else "")
        )


class VaultDamaged(UserError):
    """An encrypted file does not open with our key: altered, or the keyring entry was replaced."""

    exit_code = 3


def _scope() -> str:
    return hashlib.sha256(str(app_paths().config).encode()).hexdigest()[:16]


def _backend_usable() -> None:
    kr = keyring.get_keyring()
    backends = getattr(kr, "backends", [kr])  # a ChainerBackend wraps several
    if not backends or all(type(b).__module__ == "keyring.backends.fail" for b in backends):
        raise KeyringUnavailable()


def get_secret(name: str) -> str | None:
    _backend_usable()
    try:
        return keyring.get_password(SERVICE, f"{name}:{_scope()}")
    except keyring.errors.KeyringError as exc:
        raise KeyringUnavailable(type(exc).__name__) from None


def set_secret(name: str, value: str) -> None:
    _backend_usable()
    try:
        keyring.set_password(SERVICE, f"{name}:{_scope()}", value)
    except keyring.errors.KeyringError as exc:
        raise KeyringUnavailable(type(exc).__name__) from None


def get_key(name: str, create: bool = True) -> bytes | None:
    """A 256-bit key from the keyring, created on first use."""
    stored = get_secret(name)
    if stored:
        return base64.b64decode(stored)
    if not create:
        return None
    key = secrets.token_bytes(32)
    set_secret(name, base64.b64encode(key).decode())
    return key


def atomic_write(path: Path, data: bytes) -> None:
    """Temp file in the same folder, fsync, rename: readers see the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):
        dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def seal(plaintext: bytes, purpose: str, key_name: str = "config-key") -> bytes:
    key = get_key(key_name)
    nonce = secrets.token_bytes(12)
    return _MAGIC + nonce + AESGCM(key).encrypt(nonce, plaintext, purpose.encode())


def unseal(blob: bytes, purpose: str, key_name: str = "config-key") -> bytes:
    if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + 12 + 16:
        raise VaultDamaged(f"the encrypted {purpose} file is damaged")
    key = get_key(key_name, create=False)
    if key is None:
        raise VaultDamaged(f"the key of the encrypted {purpose} file is missing from the keyring; "
                           "re-enter the settings (the old file cannot be read)")
    nonce = blob[len(_MAGIC):len(_MAGIC) + 12]
    try:
        return AESGCM(key).decrypt(nonce, blob[len(_MAGIC) + 12:], purpose.encode())
    except InvalidTag:
        raise VaultDamaged(f"the encrypted {purpose} file was altered or belongs to another key") from None
