"""Long-term keys: an identity (one secret seed) gives an X25519 decryption key and an Ed25519 signing key.

Text forms, all Bech32 with a checksum:
  SOD-SECRET-KEY-1...  the secret seed (identity file)
  sod1...              the public X25519 recipient, shared with senders
  sodsig1...           the public Ed25519 signing key, shown to recipients as the sender
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sodformat import bech32
from sodformat.errors import SodError

SECRET_HRP = "sod-secret-key-"
RECIPIENT_HRP = "sod"
SIGNER_HRP = "sodsig"


def _derive(seed: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"sod-v1 identity " + label).derive(seed)


def _decode(text: str, hrp: str, what: str) -> bytes:
    try:
        got_hrp, data = bech32.decode(text.strip())
    except ValueError as exc:
        raise SodError(f"not a valid {what} ({exc})") from None
    if got_hrp != hrp or len(data) != 32:
        raise SodError(f"not a valid {what}")
    return data


@dataclass(frozen=True)
class X25519Recipient:
    """Someone a container can be encrypted to: their public key."""

    public: bytes

    def __str__(self) -> str:
        return bech32.encode(RECIPIENT_HRP, self.public)


def parse_recipient(text: str) -> X25519Recipient:
    """Parse a `sod1...` public recipient string."""
    return X25519Recipient(_decode(text, RECIPIENT_HRP, "recipient key (expected sod1...)"))


def signer_string(public: bytes) -> str:
    return bech32.encode(SIGNER_HRP, public)


def parse_signer(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_decode(text, SIGNER_HRP, "signing key (expected sodsig1...)"))


class Identity:
    """A private identity: decrypts containers sent to its recipient and signs containers it packs."""

    def __init__(self, seed: bytes):
        if len(seed) != 32:
            raise SodError("identity seed must be 32 bytes")
        self._seed = seed
        self.x25519 = X25519PrivateKey.from_private_bytes(_derive(seed, b"x25519"))
        self.ed25519 = Ed25519PrivateKey.from_private_bytes(_derive(seed, b"ed25519"))

    @property
    def recipient(self) -> X25519Recipient:
        return X25519Recipient(self.x25519.public_key().public_bytes_raw())

    @property
    def signing_public(self) -> str:
        return signer_string(self.ed25519.public_key().public_bytes_raw())

    def secret_string(self) -> str:
        return bech32.encode(SECRET_HRP, self._seed).upper()

    def save(self, path: Path) -> None:
        """Write the identity file with mode 0600; never overwrites an existing file."""
        created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        text = (
            f"# SOD identity, created {created}. Keep this file secret.\n"
            f"# recipient: {self.recipient}\n"
            f"# signer: {self.signing_public}\n"
            f"{self.secret_string()}\n"
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise SodError(f"{path} already exists; refusing to overwrite a key file") from None
        except OSError as exc:  # a missing folder, no permission...: one line, not a traceback
            raise SodError(f"cannot write {path}: {exc.strerror or exc}") from None
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(text)


def generate_identity() -> Identity:
    return Identity(os.urandom(32))


def load_identity(path: Path | str) -> Identity:
    """Read an identity file written by `sod keygen` (comment lines start with #)."""
    try:
        lines = Path(path).read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise SodError(f"cannot read identity file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    keys = [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    if len(keys) != 1:
        raise SodError(f"{path} is not a SOD identity file")
    return Identity(_decode(keys[0], SECRET_HRP, "identity (expected SOD-SECRET-KEY-1...)"))
