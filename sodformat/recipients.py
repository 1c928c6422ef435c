"""Recipient stanzas: each wraps the file key for one passphrase or one X25519 public key (as in age).

A stanza is a JSON object in the header. Wrapping is ChaCha20-Poly1305 with an all-zero nonce under a
key used exactly once (fresh salt or fresh ephemeral key), so the zero nonce is safe.
"""

from __future__ import annotations

import base64
import binascii
import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sodformat import limits
from sodformat.errors import FormatError, LimitError, SodError
from sodformat.keys import Identity, X25519Recipient

_ZERO_NONCE = bytes(12)
ARGON2_SALT_PREFIX = b"sod-v1 argon2id\x00"
X25519_INFO = b"sod-v1 x25519"


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(text: object, length: int, what: str) -> bytes:
    """Strict, canonical standard base64 of an exact length."""
    if not isinstance(text, str):
        raise FormatError(f"header field {what} is not a string")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise FormatError(f"header field {what} is not valid base64") from None
    if len(data) != length or b64encode(data) != text:
        raise FormatError(f"header field {what} has the wrong length or encoding")
    return data


def _wrap(key: bytes, file_key: bytes) -> str:
    return b64encode(ChaCha20Poly1305(key).encrypt(_ZERO_NONCE, file_key, None))


def _unwrap(key: bytes, body: bytes) -> bytes | None:
    try:
        return ChaCha20Poly1305(key).decrypt(_ZERO_NONCE, body, None)
    except InvalidTag:
        return None


def normalize_passphrase(passphrase: str) -> bytes:
    """NFC so the same passphrase typed on macOS (NFD) and Windows (NFC) gives the same key."""
    if not passphrase:
        raise SodError("the passphrase is empty")
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def _argon2(passphrase: bytes, salt: bytes, m: int, t: int, p: int) -> bytes:
    return Argon2id(salt=ARGON2_SALT_PREFIX + salt, length=32, iterations=t, lanes=p, memory_cost=m).derive(passphrase)


@dataclass
class PassphraseRecipient:
    """Encrypt to a passphrase; Argon2id parameters are stored in the stanza."""

    passphrase: str
    params: dict = field(default_factory=lambda: dict(limits.ARGON2_DEFAULT))

    def stanza(self, file_key: bytes) -> dict:
        salt = os.urandom(16)
        m, t, p = self.params["m"], self.params["t"], self.params["p"]
        key = _argon2(normalize_passphrase(self.passphrase), salt, m, t, p)
        return {"type": "argon2id", "salt": b64encode(salt), "m": m, "t": t, "p": p, "body": _wrap(key, file_key)}


@dataclass
class PassphraseIdentity:
    """Decrypt with a passphrase."""

    passphrase: str

    def unwrap(self, stanza: dict) -> bytes | None:
        if stanza["type"] != "argon2id":
            return None
        m, t, p = stanza["m"], stanza["t"], stanza["p"]
        if m > limits.ARGON2_MAX_M or t > limits.ARGON2_MAX_T or p > limits.ARGON2_MAX_P:
            raise LimitError("the container asks for a passphrase key derivation costlier than this reader allows")
        key = _argon2(normalize_passphrase(self.passphrase), stanza["salt"], m, t, p)
        return _unwrap(key, stanza["body"])


def x25519_stanza(recipient: X25519Recipient, file_key: bytes) -> dict:
    ephemeral = X25519PrivateKey.generate()
    share = ephemeral.public_key().public_bytes_raw()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient.public))
    key = HKDF(hashes.SHA256(), 32, salt=share + recipient.public, info=X25519_INFO).derive(shared)
    return {"type": "x25519", "share": b64encode(share), "body": _wrap(key, file_key)}


def x25519_unwrap(identity: Identity, stanza: dict) -> bytes | None:
    if stanza["type"] != "x25519":
        return None
    try:
        shared = identity.x25519.exchange(X25519PublicKey.from_public_bytes(stanza["share"]))
    except ValueError:  # low-order point: all-zero shared secret
        return None
    ours = identity.recipient.public
    key = HKDF(hashes.SHA256(), 32, salt=stanza["share"] + ours, info=X25519_INFO).derive(shared)
    return _unwrap(key, stanza["body"])


def make_stanza(recipient, file_key: bytes) -> dict:
    if isinstance(recipient, PassphraseRecipient):
        return recipient.stanza(file_key)
    if isinstance(recipient, X25519Recipient):
        return x25519_stanza(recipient, file_key)
    raise TypeError(f"unsupported recipient {type(recipient).__name__}")


def unwrap_with(identity, stanza: dict) -> bytes | None:
    """The file key if this identity opens this (parsed) stanza, else None."""
    if isinstance(identity, PassphraseIdentity):
        return identity.unwrap(stanza)
    if isinstance(identity, Identity):
        return x25519_unwrap(identity, stanza)
    raise TypeError(f"unsupported identity {type(identity).__name__}")


def parse_stanza(raw: object) -> dict:
    """Validate a stanza from the header and decode its binary fields (strict: unknown fields are refused)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise FormatError("malformed recipient stanza")
    kind = raw["type"]
    body_len = limits.FILE_KEY_BYTES + limits.TAG_BYTES
    if kind == "x25519":
        if set(raw) != {"type", "share", "body"}:
            raise FormatError("malformed x25519 stanza")
        return {
            "type": kind,
            "share": b64decode(raw["share"], 32, "share"),
            "body": b64decode(raw["body"], body_len, "body"),
        }
    if kind == "argon2id":
        if set(raw) != {"type", "salt", "m", "t", "p", "body"}:
            raise FormatError("malformed argon2id stanza")
        m, t, p = raw["m"], raw["t"], raw["p"]
        for v in (m, t, p):
            if type(v) is not int or v < 1:
                raise FormatError("malformed argon2id parameters")
        if m < 8 * p:
            raise FormatError("malformed argon2id parameters")
        return {
            "type": kind,
            "salt": b64decode(raw["salt"], 16, "salt"),
            "m": m,
            "t": t,
            "p": p,
            "body": b64decode(raw["body"], body_len, "body"),
        }
    # Unknown stanza types are skipped (a newer writer may add recipient kinds), as in age.
    return {"type": kind}


def read_passphrase_file(path: str | os.PathLike[str]) -> str:
    """The file's text without its trailing newline (what `echo pass > f` writes). Every command that
    takes --passphrase-file reads it this way, so one file gives the same passphrase everywhere."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SodError(f"cannot read passphrase file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    text = text[:-1] if text.endswith("\n") else text
    text = text[:-1] if text.endswith("\r") else text
    if not text:
        raise SodError(f"passphrase file {path} is empty")
    return text
