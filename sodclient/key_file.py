"""The vault's secrets in one file sealed under the user's SOD Send passphrase, for computers without an OS keyring.

Where no OS keyring exists (a Linux machine without GNOME Keyring or KWallet, a server), the profile's
named secrets (config-key, audit-key, audit-head...) live in `config/keys.sealed` instead: a versioned JSON
envelope (kind "sodsend-key-file", version 1) holding the Argon2id parameters and salt, a check value, a
nonce, and AES-256-GCM ciphertext of the secrets. Argon2id(NFC(passphrase), salt), with the container's
default cost (64 MiB, 3 passes, 4 lanes), gives 64 bytes: the first 32 are the key, the SHA-256 of the
other 32 is the check value, so a wrong passphrase and a damaged file are told apart (guessing costs
Argon2id either way). The header is the associated data, so its parameters cannot be changed unnoticed.
Nothing is ever written in clear.

Opening the file derives the key once and keeps it (not the passphrase) for this process; reads and
writes then decrypt and re-encrypt the small file each time, under a file lock, so the UI's worker process
and the command line see each other's changes (the audit head moves on every record).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from sodclient.errors import SecureStoreError
from sodclient.files import NewerFormat, atomic_write, locked, read_json, upgrade, versioned
from sodformat import limits
from sodformat.errors import SodError
from sodformat.recipients import normalize_passphrase

KIND = "sodsend-key-file"
FORMAT_VERSION = 1

_SALT_PREFIX = b"sodsend key file\0"  # keeps this key apart from a container's for the same passphrase and salt


SIGN_IN_FIRST = "SOD Send's keys are in a file protected by your SOD Send passphrase: sign in first"


class WrongPassphrase(SecureStoreError):
    """The passphrase given does not open the identity or the key file."""


class KeyFileLocked(SecureStoreError):
    """The key file exists but nobody has given the passphrase in this process."""


class KeyFileDamaged(SecureStoreError):
    """The key file cannot be read: cut short, altered in its header, or not ours."""


class KeyFile:
    """One profile's passphrase-sealed secrets file and, once opened, the key derived from the passphrase."""

    def __init__(self, path: Path):
        self.path = path
        self._key: bytes | None = None
        self._salt = b""  # the salt the held key was derived with: a re-wrap elsewhere changes it
        self._lock = threading.Lock()
        self._writer = threading.Lock()

    def __repr__(self) -> str:
        return f"KeyFile(open={self.is_open})"

    def exists(self) -> bool:
        return self.path.exists()

    @property
    def is_open(self) -> bool:
        return self._key is not None

    # -- creating, opening, re-wrapping --------------------------------------------------------------
    def create(self, passphrase: str) -> None:
        """An empty key file sealed under `passphrase`, held open. Refuses to replace an existing one."""
        with self._exclusive():
            if self.path.exists():
                raise SecureStoreError("there is already a key file; open it with your SOD Send passphrase")
            self._write_new(passphrase, {})

    def open(self, passphrase: str) -> None:
        """Derives the key and checks it opens the file; WrongPassphrase (one line) if it does not."""
        header, check, nonce, body = self._read()
        key, derived_check = _derive(passphrase, header)
        if not hmac.compare_digest(check, derived_check):
            raise WrongPassphrase("wrong passphrase (it does not open your key file)")
        _decrypt(key, header, nonce, body)
        with self._lock:
            self._key, self._salt = key, _b64(header["salt"])

    def close(self) -> None:
        with self._lock:
            self._key, self._salt = None, b""

    def rewrap(self, passphrase: str) -> None:
        """Seals the same secrets under a new passphrase (and a new salt); the file must be open."""
        with self._exclusive():
            _, _, entries = self._opened()
            self._write_new(passphrase, entries)

    # -- the secrets ---------------------------------------------------------------------------------
    def get(self, name: str) -> str | None:
        return self._opened()[2].get(name)

    def set(self, name: str, value: str) -> None:
        with self._exclusive():
            header, check, entries = self._opened()
            entries[name] = value
            self._write(self._held_key(), header, check, entries)

    # -- crossing to a worker process ----------------------------------------------------------------
    def export_for_worker(self) -> tuple[bytes, bytes] | None:
        return (self._key, self._salt) if self._key is not None else None

    def adopt_from_parent(self, state: tuple[bytes, bytes] | None) -> None:
        with self._lock:
            self._key, self._salt = state if state else (None, b"")

    # -- the file ------------------------------------------------------------------------------------
    def _exclusive(self) -> contextlib.AbstractContextManager[None]:
        """One writer at a time, across threads and processes, with a thread lock of its own: the audit trail
        writes its head here while it holds the process-wide one of `files.locked` for its own file."""
        return locked(self.path, self._writer)

    def _held_key(self) -> bytes:
        key = self._key
        if key is None:
            raise KeyFileLocked(SIGN_IN_FIRST)
        return key

    def _opened(self) -> tuple[dict, bytes, dict[str, str]]:
        """The file's header, check value and secrets, read once, with the held key."""
        key = self._held_key()
        header, check, nonce, body = self._read()
        if _b64(header["salt"]) != self._salt:
            self.close()
            raise KeyFileLocked("your key file was sealed under a new passphrase since you signed in: sign in again")
        try:
            entries = json.loads(_decrypt(key, header, nonce, body))
        except ValueError:
            raise KeyFileDamaged(f"your key file {self.path.name} is damaged") from None
        if not isinstance(entries, dict) or not all(isinstance(v, str) for v in entries.values()):
            raise KeyFileDamaged(f"your key file {self.path.name} is damaged")
        return header, check, entries

    def _read(self) -> tuple[dict, bytes, bytes, bytes]:
        damaged = KeyFileDamaged(f"your key file {self.path.name} is damaged (it cannot be read)")
        try:
            document = upgrade(read_json(self.path), KIND, FORMAT_VERSION, {})
        except FileNotFoundError:
            raise KeyFileLocked(f"there is no key file ({self.path.name}) in this profile") from None
        except NewerFormat as exc:
            raise SecureStoreError(str(exc)) from None
        except (OSError, ValueError, TypeError, AttributeError):
            raise damaged from None
        try:
            header = document["kdf"]
            m, t, p = int(header["m"]), int(header["t"]), int(header["p"])
            if header.get("name") != "argon2id" or len(_b64(header["salt"])) < 16:
                raise ValueError("not ours")
            if not (
                8 * p <= m <= limits.ARGON2_MAX_M and 1 <= t <= limits.ARGON2_MAX_T and 1 <= p <= limits.ARGON2_MAX_P
            ):
                raise ValueError("costs out of range")
            check, nonce, body = _b64(document["check"]), _b64(document["nonce"]), _b64(document["sealed"])
            if len(check) != 32 or len(nonce) != 12 or len(body) < 16:
                raise ValueError("cut short")
        except (KeyError, TypeError, ValueError):
            raise damaged from None
        return header, check, nonce, body

    def _write_new(self, passphrase: str, entries: dict[str, str]) -> None:
        header = {"name": "argon2id", "salt": _text(secrets.token_bytes(16)), **limits.ARGON2_DEFAULT}
        key, check = _derive(passphrase, header)
        self._write(key, header, check, entries)
        with self._lock:
            self._key, self._salt = key, _b64(header["salt"])

    def _write(self, key: bytes, header: dict, check: bytes, entries: dict[str, str]) -> None:
        nonce = secrets.token_bytes(12)
        body = AESGCM(key).encrypt(nonce, json.dumps(entries).encode("utf-8"), _aad(header))
        items = {"kdf": header, "check": _text(check), "nonce": _text(nonce), "sealed": _text(body)}
        document = versioned(KIND, FORMAT_VERSION, items)
        atomic_write(self.path, json.dumps(document, indent=1).encode("utf-8"))


def _derive(passphrase: str, header: dict) -> tuple[bytes, bytes]:
    """(the key, the check value) for this passphrase under the header's salt and costs."""
    try:
        secret = normalize_passphrase(passphrase)
    except SodError:
        raise WrongPassphrase("no passphrase given") from None
    kdf = Argon2id(
        salt=_SALT_PREFIX + _b64(header["salt"]),
        length=64,
        iterations=int(header["t"]),
        lanes=int(header["p"]),
        memory_cost=int(header["m"]),
    )
    derived = kdf.derive(secret)
    return derived[:32], hashlib.sha256(derived[32:]).digest()


def _decrypt(key: bytes, header: dict, nonce: bytes, body: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(nonce, body, _aad(header))
    except InvalidTag:
        raise KeyFileDamaged("your key file keys.sealed was altered or is damaged (it does not open)") from None


def _aad(header: dict) -> bytes:
    return f"{KIND} v{FORMAT_VERSION} ".encode() + json.dumps(header, sort_keys=True).encode("utf-8")


def _text(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64(value: object) -> bytes:
    if not isinstance(value, str):
        raise ValueError("not base64 text")
    return base64.b64decode(value, validate=True)  # binascii.Error is a ValueError
