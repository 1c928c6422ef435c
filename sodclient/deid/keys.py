"""Per-send secrets: keyed pseudonyms for UIDs, patients and date offsets.

Why HMAC with a random key: the replacement for a UID (or patient) must be the same everywhere in one send,
so studies stay studies and references resolve, but nothing about the original may be recoverable, not even
by someone who guesses candidate originals and hashes them. A 256-bit key drawn per send and never stored
gives exactly that: consistent within the send, unlinkable across sends.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

# 2.25.<decimal of a 128-bit integer> is the ISO/ITU-T UUID arc: a valid UID needing no registered root.
_UID_ROOT = "2.25."
_MIN_SHIFT_DAYS = 365
_SHIFT_SPAN_DAYS = 3650


class SendKeys:
    """Derives every replacement value of one Peer Review run from a secret that lives only in memory."""

    def __init__(self, secret: bytes | None = None):
        self._secret = secret if secret is not None else os.urandom(32)
        self._uid_cache: dict[str, str] = {}

    def __reduce__(self):
        # Worker processes receive the key through the pool's pipe (in memory), never through a file.
        return (SendKeys, (self._secret,))

    def _mac(self, purpose: str, value: str) -> bytes:
        msg = purpose.encode("ascii") + b"\x00" + value.encode("utf-8", "surrogateescape")
        return hmac.new(self._secret, msg, hashlib.sha256).digest()

    def uid(self, original: str) -> str:
        """The replacement UID: 2.25.<first 128 bits of HMAC-SHA256(key, original)>, at most 44 characters."""
        original = original.strip("\x00 ")
        cached = self._uid_cache.get(original)
        if cached is None:
            cached = _UID_ROOT + str(int.from_bytes(self._mac("uid", original)[:16], "big"))
            self._uid_cache[original] = cached
        return cached

    def patient_code(self, patient_key: str) -> str:
        """A short neutral code for one patient of this send, e.g. 'K3X9QF2A'."""
        return base64.b32encode(self._mac("patient", patient_key)[:5]).decode("ascii")

    def date_offset_days(self, patient_key: str) -> int:
        """One negative offset per patient, between 1 and 11 years, applied to all of that patient's dates."""
        n = int.from_bytes(self._mac("date", patient_key)[:4], "big")
        return -(_MIN_SHIFT_DAYS + n % _SHIFT_SPAN_DAYS)
