"""The user's own identity (X25519 decryption key + Ed25519 signing key), kept encrypted on disk.

Two protections, chosen by the site (`site.identity_protection` in site defaults) when the identity is
created or migrated, and recorded in the file:

- `passphrase` (the default): the 32-byte seed is wrapped exactly like a container's file key for a
  passphrase (sodformat's `argon2id` stanza: Argon2id from `cryptography`, then ChaCha20-Poly1305), under
  the user's app passphrase (the transfer-passphrase policy). Signing in unwraps it; locking drops it.
- `keyring`: the seed is sealed (AES-GCM) under a random key held in the OS keyring, like the settings;
  no passphrase is typed (the OS session protects it). The demo's throw-away profiles and tests use it.

The file (`config/identity.sealed`, mode 0600) also holds the public keys, so the app can show who the
user is while locked. Release 0.1.0 kept the seed in clear in `config/identity.key`; `migrate()` seals it
and removes the clear file. While the clear file is still there (before the first start of this release)
it keeps working, so nothing breaks between installing and starting the app.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from sodclient import passphrase_policy
from sodclient.errors import InputError, SecureStoreError
from sodclient.files import atomic_write, locked, read_json, upgrade, versioned
from sodclient.key_file import WrongPassphrase as WrongPassphrase  # one class for both
from sodclient.paths import AppPaths
from sodclient.vault import Vault
from sodformat import Identity, load_identity
from sodformat.errors import FormatError, SodError
from sodformat.recipients import PassphraseIdentity, PassphraseRecipient, parse_stanza

log = logging.getLogger("sodclient.identity")

KIND = "sodsend-identity"
FORMAT_VERSION = 1
PASSPHRASE, KEYRING = "passphrase", "keyring"
PROTECTIONS = (PASSPHRASE, KEYRING)
_KEY_NAME = "identity-key"
_PURPOSE = "identity"


class SignInRequired(SecureStoreError):
    """The identity is protected by the app passphrase and nobody has signed in (or the app locked)."""


@dataclass(frozen=True)
class IdentityStatus:
    """What the app needs to know at start: `state` is one of
    "none" (first start: create), "plain" (release 0.1.0 file: migrate), "passphrase", "keyring"."""

    state: str
    unlocked: bool
    recipient: str = ""  # sod1... (public, readable while locked)
    signer: str = ""  # sodsig1...

    @property
    def needs_passphrase(self) -> bool:
        return self.state == PASSPHRASE and not self.unlocked


class IdentityStore:
    """One profile's identity file and, while signed in, the decrypted identity (in this process only)."""

    def __init__(self, paths: AppPaths, vault: Vault):
        self.paths, self.vault = paths, vault
        self._identity: Identity | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"IdentityStore(unlocked={self._identity is not None})"

    @property
    def sealed_file(self) -> Path:
        return self.paths.config / "identity.sealed"

    @property
    def plain_file(self) -> Path:
        return self.paths.identity_file

    # -- state ---------------------------------------------------------------------------------------
    def _read(self) -> dict | None:
        if not self.sealed_file.exists():
            return None
        try:
            data = upgrade(read_json(self.sealed_file), KIND, FORMAT_VERSION, {})
            if data.get("protection") not in PROTECTIONS or not isinstance(data.get("sealed"), (dict, str)):
                raise ValueError("unknown protection")
            return data
        except (OSError, ValueError, TypeError, AttributeError) as exc:
            raise SecureStoreError(f"your key file {self.sealed_file.name} cannot be read ({exc})") from None

    def status(self) -> IdentityStatus:
        data = self._read()
        if data is not None:
            return IdentityStatus(
                data["protection"], self._identity is not None, data.get("recipient", ""), data.get("signer", "")
            )
        if self.plain_file.exists():
            return IdentityStatus("plain", False)
        return IdentityStatus("none", False)

    def exists(self) -> bool:
        return self.sealed_file.exists() or self.plain_file.exists()

    @property
    def is_unlocked(self) -> bool:
        return self._identity is not None

    # -- creating and migrating ----------------------------------------------------------------------
    def create(self, protection: str, passphrase: str | None = None) -> Identity:
        """First start: a new identity, sealed at once and held unlocked."""
        if self.exists():
            raise InputError("you already have a key; sign in instead of creating a new one")
        from sodformat import generate_identity

        identity = generate_identity()
        self._seal(identity, protection, passphrase, exclusive=True)
        self._identity = identity
        return identity

    def migrate(self, protection: str, passphrase: str | None = None) -> Identity:
        """Seals release 0.1.0's clear identity file under the chosen protection, then removes the clear file."""
        if self.sealed_file.exists():
            raise InputError("your key is already protected")
        try:
            identity = load_identity(self.plain_file)
        except SodError as exc:
            raise SecureStoreError(f"your old key file cannot be read: {exc}") from None
        self._seal(identity, protection, passphrase, exclusive=True)
        _remove_clear_file(self.plain_file)
        self._identity = identity
        log.info("identity migrated to %s protection", protection)
        return identity

    def _seal(self, identity: Identity, protection: str, passphrase: str | None, exclusive: bool) -> None:
        if protection not in PROTECTIONS:
            raise InputError(f"unknown key protection {protection!r}; choose {' or '.join(PROTECTIONS)}")
        seed = identity._seed
        if protection == PASSPHRASE:
            check_passphrase(passphrase)
            sealed: dict | str = PassphraseRecipient(passphrase).stanza(seed)  # type: ignore[arg-type]
        else:
            sealed = base64.b64encode(self.vault.seal(seed, _PURPOSE, key_name=_KEY_NAME)).decode("ascii")
        document = versioned(
            KIND,
            FORMAT_VERSION,
            {
                "protection": protection,
                "recipient": str(identity.recipient),
                "signer": identity.signing_public,
                "sealed": sealed,
            },
        )
        with locked(self.sealed_file):
            if exclusive and self.sealed_file.exists():
                raise InputError("another SOD Send created your key first; sign in with it")
            atomic_write(self.sealed_file, json.dumps(document, indent=1).encode("utf-8"))

    # -- signing in and out --------------------------------------------------------------------------
    def unlock(self, passphrase: str | None = None) -> Identity:
        """Opens the identity and holds it; WrongPassphrase if the passphrase does not open it."""
        data = self._read()
        if data is None:
            if self.plain_file.exists():  # not migrated yet: the clear file still works
                return self._hold(self._load_plain())
            raise SecureStoreError("you have no key yet; start the app once to create it")
        if data["protection"] == PASSPHRASE:
            if not passphrase:
                raise SignInRequired("your key is protected by your SOD Send passphrase: sign in first")
            seed = _unwrap_passphrase(data["sealed"], passphrase)
        else:
            try:
                blob = base64.b64decode(str(data["sealed"]), validate=True)
            except ValueError:
                raise SecureStoreError("your key file is damaged") from None
            seed = self.vault.unseal(blob, _PURPOSE, key_name=_KEY_NAME)
        identity = Identity(seed)
        if str(identity.recipient) != data.get("recipient") or identity.signing_public != data.get("signer"):
            raise SecureStoreError("your key file was altered: its public keys do not match the sealed key")
        return self._hold(identity)

    def _hold(self, identity: Identity) -> Identity:
        with self._lock:
            self._identity = identity
        return identity

    def _load_plain(self) -> Identity:
        try:
            return load_identity(self.plain_file)
        except SodError as exc:
            raise SecureStoreError(f"your key file cannot be read: {exc}") from None

    def lock(self) -> None:
        """Drops the decrypted identity from this process (the Identity and its key objects)."""
        with self._lock:
            self._identity = None

    def current(self, required: bool = False) -> Identity | None:
        """The signed-in identity. Keyring-protected (and not yet migrated) identities open without asking;
        a passphrase-protected one that is locked raises SignInRequired. None when the user has no key
        (or, with `required`, InputError)."""
        if self._identity is not None:
            return self._identity
        state = self.status().state
        if state == "none":
            if required:
                raise InputError("you have no key of your own yet (System → My Key and Contacts creates it)")
            return None
        if state == PASSPHRASE:
            raise SignInRequired("your key is protected by your SOD Send passphrase: sign in first")
        return self.unlock()

    def change_passphrase(self, old: str, new: str) -> None:
        """Re-wraps the same identity under a new passphrase (or, from keyring protection, sets one)."""
        data = self._read()
        if data is None:
            raise SecureStoreError("you have no protected key yet")
        check_passphrase(new)
        if data["protection"] == PASSPHRASE:
            identity = Identity(_unwrap_passphrase(data["sealed"], old))
        else:
            identity = self.unlock()
        self._seal(identity, PASSPHRASE, new, exclusive=False)
        self._hold(identity)

    # -- crossing to a worker process (the UI's send runs in a child process) -------------------------
    def export_for_worker(self) -> bytes | None:
        return self._identity._seed if self._identity is not None else None

    def adopt_from_parent(self, seed: bytes | None) -> None:
        self._identity = Identity(seed) if seed else None


def check_passphrase(passphrase: str | None) -> None:
    problems = passphrase_policy.check(passphrase or "")
    if problems:
        raise InputError("choose a stronger passphrase: " + "; ".join(problems))


def _unwrap_passphrase(sealed: object, passphrase: str) -> bytes:
    try:
        stanza = parse_stanza(sealed)
    except FormatError:
        raise SecureStoreError("your key file is damaged") from None
    if stanza.get("type") != "argon2id":
        raise SecureStoreError("your key file is damaged")
    try:
        seed = PassphraseIdentity(passphrase).unwrap(stanza)
    except SodError as exc:
        raise SecureStoreError(f"your key file cannot be opened ({exc})") from None
    if seed is None:
        raise WrongPassphrase("wrong passphrase")
    return seed


def _remove_clear_file(path: Path) -> None:
    """Overwrites, then removes, the clear key file. (On SSDs and copy-on-write file systems the old
    blocks may survive an overwrite; the user's disk encryption is what covers those.)"""
    try:
        size = path.stat().st_size
        with open(path, "r+b") as f:
            f.write(b"\0" * size)
            f.flush()
            os.fsync(f.fileno())
    except OSError:
        pass
    path.unlink(missing_ok=True)
