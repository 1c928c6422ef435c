"""The container header: plaintext JSON (so `sod inspect` works without a key) authenticated by an HMAC
keyed from the file key, so nothing in it can be altered by anyone who cannot open the file."""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sodformat import limits
from sodformat.errors import FormatError
from sodformat.recipients import b64decode, parse_stanza

AEADS = ("aes-256-gcm", "chacha20-poly1305")
_REQUIRED = {"sod", "created", "expires", "aead", "chunk", "nonce", "recipients"}
_OPTIONAL = {"signer"}


def hkdf(key: bytes, info: bytes, salt: bytes | None = None) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(key)


@dataclass(frozen=True)
class HeaderInfo:
    """What a header says; everything here is visible without a key (and authenticated once a key opens it)."""

    version: int
    created: datetime
    expires: datetime
    aead: str
    chunk: int
    recipients: list[str]  # stanza types, e.g. ["x25519", "argon2id"]
    signer: str | None  # the sender's claimed signing key; verified only after decryption
    header_bytes: int

    def expired(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) >= self.expires


@dataclass
class RawHeader:
    """A parsed header with the exact bytes the MAC and signature cover."""

    info: HeaderInfo
    nonce: bytes
    stanzas: list[dict]
    prefix: bytes  # magic || length || JSON: what the MAC covers
    mac: bytes

    @property
    def full_bytes(self) -> bytes:
        return self.prefix + self.mac

    def check_mac(self, file_key: bytes) -> bool:
        expected = hmac.new(hkdf(file_key, b"sod-v1 header"), self.prefix, hashlib.sha256).digest()
        return hmac.compare_digest(expected, self.mac)


def encode_header(fields: dict, file_key: bytes) -> bytes:
    """Serialise the header JSON and append its MAC; returns the bytes that start the file."""
    body = json.dumps(fields, separators=(",", ":"), sort_keys=True, ensure_ascii=True).encode("ascii")
    if len(body) > limits.MAX_HEADER_BYTES:
        raise FormatError("too many recipients: the header would exceed its size limit")
    prefix = limits.MAGIC + struct.pack(">I", len(body)) + body
    return prefix + hmac.new(hkdf(file_key, b"sod-v1 header"), prefix, hashlib.sha256).digest()


def _reject_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise FormatError("the header repeats a field")
    return dict(pairs)


def _read_exact(f: BinaryIO, n: int, what: str) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise FormatError(f"the file is truncated (in the {what})")
    return data


def _timestamp(value: object, what: str) -> datetime:
    if type(value) is not int or not 0 <= value < 2**40:
        raise FormatError(f"header field {what} is not a valid time")
    return datetime.fromtimestamp(value, UTC)


def read_header(f: BinaryIO) -> RawHeader:
    """Parse and bound-check the header at the start of `f` (which is left at the payload)."""
    magic = f.read(len(limits.MAGIC))
    if magic != limits.MAGIC:
        if len(magic) < len(limits.MAGIC) and limits.MAGIC.startswith(magic):
            raise FormatError("the file is truncated (in the header)")
        raise FormatError("not a .SOD container (bad signature bytes)")
    raw_len = _read_exact(f, 4, "header")
    (length,) = struct.unpack(">I", raw_len)
    if not 2 <= length <= limits.MAX_HEADER_BYTES:
        raise FormatError(f"header size {length} is outside the allowed range")
    body = _read_exact(f, length, "header")
    mac = _read_exact(f, 32, "header")
    try:
        fields = json.loads(body.decode("utf-8"), object_pairs_hook=_reject_duplicates)
    except (UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, FormatError):
            raise
        raise FormatError("the header is damaged (not valid JSON)") from None
    if not isinstance(fields, dict) or not _REQUIRED <= set(fields) <= _REQUIRED | _OPTIONAL:
        raise FormatError("the header is damaged (unexpected fields)")
    if fields["sod"] != limits.FORMAT_VERSION or type(fields["sod"]) is not int:
        raise FormatError(f"unsupported container version {fields['sod']!r}; this reader supports version 1")
    if fields["aead"] not in AEADS:
        raise FormatError("the header names an unknown cipher")
    chunk = fields["chunk"]
    if type(chunk) is not int or not limits.MIN_CHUNK <= chunk <= limits.MAX_CHUNK or chunk & (chunk - 1):
        raise FormatError("the header gives an invalid chunk size")
    created, expires = _timestamp(fields["created"], "created"), _timestamp(fields["expires"], "expires")
    if expires <= created:
        raise FormatError("the header's expiry is before its creation time")
    stanzas_raw = fields["recipients"]
    if not isinstance(stanzas_raw, list) or not 1 <= len(stanzas_raw) <= limits.MAX_STANZAS:
        raise FormatError("the header has no recipients or too many")
    stanzas = [parse_stanza(s) for s in stanzas_raw]
    signer = fields.get("signer")
    if signer is not None and not (isinstance(signer, str) and signer.startswith("sodsig1") and len(signer) < 100):
        raise FormatError("the header's signer field is malformed")
    info = HeaderInfo(
        version=1,
        created=created,
        expires=expires,
        aead=fields["aead"],
        chunk=chunk,
        recipients=[s["type"] for s in stanzas],
        signer=signer,
        header_bytes=len(limits.MAGIC) + 4 + length + 32,
    )
    nonce = b64decode(fields["nonce"], limits.PAYLOAD_NONCE_BYTES, "nonce")
    return RawHeader(info, nonce, stanzas, limits.MAGIC + raw_len + body, mac)
