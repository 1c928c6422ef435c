"""The payload's STREAM encryption (as in age): fixed-size chunks, each sealed with a nonce made of a
big-endian chunk counter and a last-chunk flag. Reordered, dropped, spliced or appended chunks and
truncation all fail authentication."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

from sodformat.buffers import BufferRing
from sodformat.errors import AuthenticationError, FormatError
from sodformat.limits import TAG_BYTES

_AEADS: dict[str, type[AESGCM] | type[ChaCha20Poly1305]] = {
    "aes-256-gcm": AESGCM,
    "chacha20-poly1305": ChaCha20Poly1305,
}


class Writable(Protocol):
    """Where a container can be written besides a path: a binary file, or a writer that tails it."""

    def write(self, data: bytes | memoryview, /) -> int | None: ...


class ReadInto(Protocol):
    """A binary file read into caller-owned buffers (what `open(..., "rb")` returns)."""

    def readinto(self, buffer: bytearray | memoryview, /) -> int | None: ...


def chunk_nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class ChunkFiller:
    """Lays the payload plaintext into chunk-sized buffers taken from `acquire()`. A full buffer is handed
    to `emit(buffer, length, last)` only once more data arrives, so the final one, emitted by close(), is
    the one flagged last. Documents can be read straight into the buffers (read_from): no extra copy."""

    def __init__(self, chunk: int, acquire: Callable[[], bytearray], emit: Callable[[bytearray, int, bool], None]):
        self._chunk, self._acquire, self._emit = chunk, acquire, emit
        self._buf = acquire()
        self._fill = 0

    def _room(self) -> int:
        if self._fill == self._chunk:  # full, and more is coming: certainly not the last chunk
            self._emit(self._buf, self._chunk, False)
            self._buf, self._fill = self._acquire(), 0
        return self._chunk - self._fill

    def write(self, data) -> None:
        view = memoryview(data).cast("B")
        while view:
            take = min(self._room(), len(view))
            self._buf[self._fill : self._fill + take] = view[:take]
            self._fill += take
            view = view[take:]

    def read_from(self, f: ReadInto, n: int, on_read: Callable[[memoryview], None]) -> None:
        """Exactly `n` bytes of `f` straight into the chunks, each piece also given to `on_read` (for
        hashing; the piece stays valid until its buffer is released); EOFError if `f` ends first."""
        while n:
            take = min(self._room(), n)
            view = memoryview(self._buf)[self._fill : self._fill + take]
            got = f.readinto(view)
            if not got:
                raise EOFError
            on_read(view[:got])
            self._fill += got
            n -= got

    def close(self) -> None:
        """Emit what is left as the last chunk (never empty: the payload always ends with a record)."""
        if not self._fill:
            raise ValueError("the last chunk must not be empty")
        self._emit(self._buf, self._fill, True)
        self._fill = 0


class ChunkSealer:
    """Seals successive plaintext chunks, each with its counter nonce, and writes them out."""

    def __init__(self, out: Writable, key: bytes, aead: str, chunk: int):
        self._out = out
        self._aead = _AEADS[aead](key)
        self._sealed = bytearray(chunk + TAG_BYTES)
        self._counter = 0
        self.bytes_written = 0

    def seal(self, plain, last: bool) -> None:
        out = memoryview(self._sealed)[: len(plain) + TAG_BYTES]  # encrypt_into wants the exact size
        self._aead.encrypt_into(chunk_nonce(self._counter, last), plain, None, out)
        self._out.write(out)
        self.bytes_written += len(out)
        self._counter += 1


def decrypt_chunks(f: ReadInto, key: bytes, aead: str, chunk: int, ring: BufferRing) -> Iterator[tuple]:
    """Yield (plaintext view, buffer) per authenticated chunk; the consumer hands each buffer back to
    `ring` when done with it. The last chunk is yielded only once it is known to be last (one chunk of
    read-ahead)."""
    cipher = _AEADS[aead](key)
    sealed_size = chunk + TAG_BYTES
    current, following = bytearray(sealed_size), bytearray(sealed_size)
    n_current = f.readinto(current) or 0
    counter = 0
    while True:
        if n_current == sealed_size:
            n_following = f.readinto(following) or 0
            last = n_following == 0
        else:
            n_following, last = 0, True
        if last and n_current <= TAG_BYTES:
            raise FormatError("the file is truncated (the encrypted payload is missing or cut short)")
        plain = ring.acquire()
        try:
            n = cipher.decrypt_into(
                chunk_nonce(counter, last),
                memoryview(current)[:n_current],
                None,
                memoryview(plain)[: n_current - TAG_BYTES],
            )
        except InvalidTag:
            ring.release(plain)
            raise AuthenticationError(
                f"the file is damaged, truncated or altered (payload chunk {counter} failed authentication)"
            ) from None
        yield memoryview(plain)[:n], plain
        if last:
            return
        counter += 1
        current, following, n_current = following, current, n_following
