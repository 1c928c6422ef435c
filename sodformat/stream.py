"""The payload's STREAM encryption (as in age): fixed-size chunks, each sealed with a nonce made of a
big-endian chunk counter and a last-chunk flag. Reordered, dropped, spliced or appended chunks and
truncation all fail authentication."""

from __future__ import annotations

from typing import BinaryIO, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from sodformat.errors import AuthenticationError, FormatError
from sodformat.limits import TAG_BYTES

_AEADS = {"aes-256-gcm": AESGCM, "chacha20-poly1305": ChaCha20Poly1305}


def chunk_nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class StreamWriter:
    """Buffers plaintext and writes sealed chunks; the final chunk is held back until close()."""

    def __init__(self, out: BinaryIO, key: bytes, aead: str, chunk: int):
        self._out, self._chunk = out, chunk
        self._aead = _AEADS[aead](key)
        self._buf = bytearray()
        self._sealed = bytearray(chunk + TAG_BYTES)
        self._counter = 0
        self.bytes_written = 0

    def write(self, data) -> None:
        self._buf += data
        chunk = self._chunk
        if len(self._buf) <= chunk:
            return
        start = 0
        with memoryview(self._buf) as view:
            # Strictly more than one chunk buffered: what is sealed here is certainly not the last chunk.
            while len(self._buf) - start > chunk:
                self._seal(view[start : start + chunk], last=False)
                start += chunk
        del self._buf[:start]

    def _seal(self, plain, last: bool) -> None:
        n = self._aead.encrypt_into(chunk_nonce(self._counter, last), plain, None, self._sealed)
        self._out.write(memoryview(self._sealed)[:n])
        self.bytes_written += n
        self._counter += 1

    def close(self) -> None:
        """Seal what is left as the last chunk (never empty: the payload always ends with a record)."""
        if not self._buf:
            raise ValueError("the last chunk must not be empty")
        self._sealed = bytearray(len(self._buf) + TAG_BYTES)
        self._seal(self._buf, last=True)
        self._buf = bytearray()


def decrypt_chunks(f: BinaryIO, key: bytes, aead: str, chunk: int, stop=None) -> Iterator[bytes]:
    """Yield authenticated plaintext chunks; the last one is yielded only once it is known to be last.
    `stop` (a threading.Event) ends the generator early when the consumer gives up."""
    cipher = _AEADS[aead](key)
    sealed_size = chunk + TAG_BYTES
    counter = 0
    current = f.read(sealed_size)
    while True:
        if len(current) == sealed_size:
            following = f.read(sealed_size)
            last = not following
        else:
            following, last = b"", True
        if last and len(current) <= TAG_BYTES:
            raise FormatError("the file is truncated (the encrypted payload is missing or cut short)")
        try:
            plain = cipher.decrypt(chunk_nonce(counter, last), current, None)
        except InvalidTag:
            raise AuthenticationError(
                f"the file is damaged, truncated or altered (payload chunk {counter} failed authentication)"
            ) from None
        yield plain
        if last or (stop is not None and stop.is_set()):
            return
        counter += 1
        current = following
