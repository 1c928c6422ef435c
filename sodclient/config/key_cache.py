"""The profile's opened SFTP client key, sealed under the settings key (why: transport/client_key.py).

It is a cache: anything wrong with it (missing, damaged, no keyring right now) just means the key is opened
from its file again. It is bound to the key file's bytes and the passphrase, and removed when FTP Config
changes either.
"""

from __future__ import annotations

import json
from pathlib import Path

from sodclient.errors import SecureStoreError
from sodclient.files import atomic_write
from sodclient.vault import Vault

_PURPOSE = "SFTP key"


class SealedKeyCache:
    def __init__(self, vault: Vault, path: Path):
        self.vault, self.path = vault, path

    def __repr__(self) -> str:
        return f"SealedKeyCache({self.path.name})"

    def __reduce__(self):
        """Settings sent to another process arrive without it (its vault holds locks and keys): there the key
        is opened from its file."""
        return (_absent, ())

    def get(self, binding: str) -> bytes | None:
        try:
            entry = json.loads(self.vault.unseal(self.path.read_bytes(), _PURPOSE))
        except (OSError, ValueError, SecureStoreError):
            return None
        if not isinstance(entry, dict) or entry.get("binding") != binding or not isinstance(entry.get("key"), str):
            return None
        return entry["key"].encode("ascii")

    def put(self, binding: str, unlocked: bytes) -> None:
        entry = json.dumps({"binding": binding, "key": unlocked.decode("ascii")}).encode()
        try:
            atomic_write(self.path, self.vault.seal(entry, _PURPOSE))
        except (OSError, SecureStoreError):  # only a cache: the next connection opens the key file again
            pass

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def _absent() -> None:
    return None
