"""Keys held in the OS keyring (or a passphrase-sealed key file), and authenticated encryption of a
profile's small local files with them.

The settings, the outbox and the audit trail's HMAC key live next to each other: the keyring holds
256-bit random keys, the files on disk hold only AES-GCM ciphertext. A copied config folder is
useless without the user's keyring. Keys are named per profile (a hash of its config folder) so
portable, demo and test profiles never share or overwrite each other's keys.

Where the computer has no OS keyring, the same secrets live in the profile's key file (`key_file.py`),
sealed under the user's SOD Send passphrase. The choice is made on each use and is simple: a profile
with a key file uses it; otherwise the OS keyring; otherwise `KeyringUnavailable`, which says what to
install and offers the key file. Nothing here ever asks on a terminal: a locked key file raises
`KeyFileLocked`, unless the edge gave a `passphrase_source` (the command line's option, variable or prompt).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

import keyring
import keyring.errors
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sodclient.errors import SecureStoreError
from sodclient.files import atomic_write
from sodclient.key_file import SIGN_IN_FIRST, KeyFile, KeyFileLocked

SERVICE = "SODSend"
_MAGIC = b"SODVAULT1\n"
KEY_FILE_NAME = "keys.sealed"
# keyrings.alt's EncryptedKeyring asks for its own password with getpass: on a terminal that is not there
# (the app) that ends in a bare EOFError, so it never counts as a usable keyring.
_PROMPTING_BACKENDS = {"keyrings.alt.file.EncryptedKeyring"}
# Backends that keep secrets in clear in a file: keyring picks keyrings.alt's PlaintextKeyring by itself wherever
# that package is installed (test and CI machines). Used only when PYTHON_KEYRING_BACKEND names it outright.
_CLEARTEXT_BACKENDS = {"keyrings.alt.file.PlaintextKeyring"}


def keyring_help(platform: str = sys.platform) -> str:
    """What gives this platform an OS keyring, in one sentence."""
    if platform.startswith("win"):
        return (
            "Windows has one built in (Credential Manager): start SOD Send signed in to Windows as yourself, "
            "not from a service account"
        )
    if platform == "darwin":
        return "macOS has one built in (the Keychain): start SOD Send signed in to macOS as yourself, not over SSH"
    return (
        "on Linux install GNOME Keyring (the gnome-keyring and libsecret-1-0 packages) or KWallet, "
        "and start SOD Send from a desktop session"
    )


class KeyringUnavailable(SecureStoreError):
    """No usable OS key store and no key file: we refuse to keep secrets in clear."""

    def __init__(self, detail: str = ""):
        super().__init__(
            "this computer has no OS keyring to keep SOD Send's keys"
            + (f" ({detail})" if detail else "")
            + f"; {keyring_help()}; or keep the keys in a file protected by your SOD Send passphrase "
            "(the app offers it at start; on a server: sodclient identity key-file)"
        )


class VaultDamaged(SecureStoreError):
    """An encrypted file does not open with our key: altered, or the keyring entry was replaced."""


def _backend_usable() -> None:
    kr = keyring.get_keyring()
    backends = getattr(kr, "backends", [kr])  # a ChainerBackend wraps several
    if not backends or all(type(b).__module__ == "keyring.backends.fail" for b in backends):
        raise KeyringUnavailable()
    names = {f"{type(b).__module__}.{type(b).__name__}" for b in backends}
    if names & _PROMPTING_BACKENDS:
        raise KeyringUnavailable("the keyring chosen with PYTHON_KEYRING_BACKEND asks on a terminal")
    chosen = os.environ.get("PYTHON_KEYRING_BACKEND", "")
    if names <= _CLEARTEXT_BACKENDS and chosen not in names:
        raise KeyringUnavailable("the only keyring found keeps secrets in clear")


def os_keyring_usable() -> bool:
    try:
        _backend_usable()
    except KeyringUnavailable:
        return False
    return True


class Vault:
    """One profile's secrets: named keyring entries, and seal/unseal of small files under its keys.

    `local_store` (the demo's throw-away profiles only) keeps the entries in a 0600 file of that profile
    instead of the OS keyring: nothing is left in the user's keyring, no keyring unlock prompt, and the
    keys go when the demo folder is deleted. Real profiles never use it.
    """

    def __init__(self, config_dir: Path, local_store: Path | None = None):
        self.scope = hashlib.sha256(str(config_dir).encode()).hexdigest()[:16]
        self.local_store = local_store
        self.key_file = KeyFile(config_dir / KEY_FILE_NAME)
        # Set by the command line only: gives the passphrase when a locked key file is first needed.
        self.passphrase_source: Callable[[], str] | None = None

    def __repr__(self) -> str:
        return f"Vault(scope={self.scope})"

    def store(self) -> str:
        """Where this profile's secrets are: "local" (the demo's file), "key-file", "keyring", or
        "none" (no OS keyring and no key file yet)."""
        if self.local_store is not None:
            return "local"
        if self.key_file.exists():
            return "key-file"
        return "keyring" if os_keyring_usable() else "none"

    def create_key_file(self, passphrase: str) -> None:
        """Starts keeping this profile's secrets in a key file (only where there is no OS keyring)."""
        if self.store() != "none":
            raise SecureStoreError("this profile's keys are already kept (in the OS keyring or a key file)")
        self.key_file.create(passphrase)

    def _open_key_file(self) -> KeyFile:
        if not self.key_file.is_open:
            if self.passphrase_source is None:
                raise KeyFileLocked(SIGN_IN_FIRST)
            self.key_file.open(self.passphrase_source())
        return self.key_file

    def get_secret(self, name: str) -> str | None:
        store = self.store()
        if store == "local":
            assert self.local_store is not None
            return _read_local(self.local_store).get(f"{name}:{self.scope}")
        if store == "key-file":
            return self._open_key_file().get(name)
        if store == "none":
            _backend_usable()  # raises, saying why
            raise KeyringUnavailable()
        try:
            return keyring.get_password(SERVICE, f"{name}:{self.scope}")
        except (keyring.errors.KeyringError, EOFError) as exc:
            raise KeyringUnavailable(type(exc).__name__) from None

    def set_secret(self, name: str, value: str) -> None:
        store = self.store()
        if store == "local":
            assert self.local_store is not None
            entries = _read_local(self.local_store)
            entries[f"{name}:{self.scope}"] = value
            atomic_write(self.local_store, json.dumps(entries).encode())
            return
        if store == "key-file":
            self._open_key_file().set(name, value)
            return
        if store == "none":
            _backend_usable()  # raises, saying why
            raise KeyringUnavailable()
        try:
            keyring.set_password(SERVICE, f"{name}:{self.scope}", value)
        except (keyring.errors.KeyringError, EOFError) as exc:
            raise KeyringUnavailable(type(exc).__name__) from None

    # -- crossing to a worker process: the key file's derived key, never the passphrase ----------------
    def export_for_worker(self) -> tuple[bytes, bytes] | None:
        return self.key_file.export_for_worker()

    def adopt_from_parent(self, state: tuple[bytes, bytes] | None) -> None:
        self.key_file.adopt_from_parent(state)

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
