"""Keys held in the OS keyring, and authenticated encryption of a profile's small local files with them.

The settings, the outbox and the audit trail's HMAC key live next to each other: the keyring holds
256-bit random keys, the files on disk hold only AES-GCM ciphertext. A copied config folder is
useless without the user's keyring. Keys are named per profile (a hash of its config folder) so
portable, demo and test profiles never share or overwrite each other's keys.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from pathlib import Path

import keyring
import keyring.errors
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sodclient.errors import SecureStoreError
from sodclient.files import atomic_write

SERVICE = "SODSend"
_MAGIC = b"SODVAULT1\n"


class KeyringUnavailable(SecureStoreError):
    """No usable OS key store: we refuse to keep secrets without one."""

    def __init__(self, detail: str = ""):
        super().__init__(
            "no secure key store (keyring) is available on this computer, so settings cannot be kept "
            "encrypted. Fix: sign in to a desktop session with GNOME Keyring/KWallet (Linux), or use "
            "Windows Credential Manager/macOS Keychain; on a headless machine install keyrings.alt and set "
            "PYTHON_KEYRING_BACKEND=keyrings.alt.file.EncryptedKeyring" + (f" ({detail})" if detail else "")
        )


class VaultDamaged(SecureStoreError):
    """An encrypted file does not open with our key: altered, or the keyring entry was replaced."""


def _backend_usable() -> None:
    kr = keyring.get_keyring()
    backends = getattr(kr, "backends", [kr])  # a ChainerBackend wraps several
    if not backends or all(type(b).__module__ == "keyring.backends.fail" for b in backends):
        raise KeyringUnavailable()


class Vault:
    """One profile's secrets: named keyring entries, and seal/unseal of small files under its keys.

    `local_store` (the demo's throw-away profiles only) keeps the entries in a 0600 file of that profile
    instead of the OS keyring: nothing is left in the user's keyring, no keyring unlock prompt, and the
    keys go when the demo folder is deleted. Real profiles never use it.
    """

    def __init__(self, config_dir: Path, local_store: Path | None = None):
        self.scope = hashlib.sha256(str(config_dir).encode()).hexdigest()[:16]
        self.local_store = local_store

    def __repr__(self) -> str:
        return f"Vault(scope={self.scope})"

    def get_secret(self, name: str) -> str | None:
        if self.local_store is not None:
            return _read_local(self.local_store).get(f"{name}:{self.scope}")
        _backend_usable()
        try:
            return keyring.get_password(SERVICE, f"{name}:{self.scope}")
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(type(exc).__name__) from None

    def set_secret(self, name: str, value: str) -> None:
        if self.local_store is not None:
            entries = _read_local(self.local_store)
            entries[f"{name}:{self.scope}"] = value
            atomic_write(self.local_store, json.dumps(entries).encode())
            return
        _backend_usable()
        try:
            keyring.set_password(SERVICE, f"{name}:{self.scope}", value)
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(type(exc).__name__) from None

    def get_key(self, name: str, create: bool = True) -> bytes | None:
        """A 256-bit key from the keyring, created on first use."""
        stored = self.get_secret(name)
        if stored:
            return base64.b64decode(stored)
        if not create:
            return None
        key = secrets.token_bytes(32)
        self.set_secret(name, base64.b64encode(key).decode())
        return key

    def seal(self, plaintext: bytes, purpose: str, key_name: str = "config-key") -> bytes:
        key = self.get_key(key_name)
        assert key is not None
        nonce = secrets.token_bytes(12)
        return _MAGIC + nonce + AESGCM(key).encrypt(nonce, plaintext, purpose.encode())

    def unseal(self, blob: bytes, purpose: str, key_name: str = "config-key") -> bytes:
        if not blob.startswith(_MAGIC) or len(blob) < len(_MAGIC) + 12 + 16:
            raise VaultDamaged(f"the encrypted {purpose} file is damaged")
        key = self.get_key(key_name, create=False)
        if key is None:
            raise VaultDamaged(
                f"the key of the encrypted {purpose} file is missing from the keyring; "
                "re-enter the settings (the old file cannot be read)"
            )
        nonce = blob[len(_MAGIC) : len(_MAGIC) + 12]
        try:
            return AESGCM(key).decrypt(nonce, blob[len(_MAGIC) + 12 :], purpose.encode())
        except InvalidTag:
            raise VaultDamaged(f"the encrypted {purpose} file was altered or belongs to another key") from None


def _read_local(path: Path) -> dict[str, str]:
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except ValueError:
        raise VaultDamaged("the demo profile's key file is damaged") from None
