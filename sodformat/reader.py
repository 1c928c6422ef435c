"""Opening a container: find a key that opens it, authenticate the header, then stream, check and
(for unpack) write every entry into a private temporary folder that becomes the output folder only
after everything, hashes and signature included, has verified."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import shutil
import struct
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import BinaryIO

import zstandard
from cryptography.exceptions import InvalidSignature

from sodformat import limits
from sodformat.buffers import BufferRing
from sodformat.codecs import unshuffle2
from sodformat.errors import (
    AuthenticationError,
    CancelledError,
    ExpiredError,
    FormatError,
    LimitError,
    NoMatchingIdentityError,
    SodError,
)
from sodformat.header import HeaderInfo, RawHeader, hkdf, read_header
from sodformat.keys import parse_signer
from sodformat.manifest import (
    TAG_DIR,
    TAG_END,
    TAG_FILE,
    TAG_MANIFEST,
    TAG_SIGNATURE,
    Delivery,
    Entry,
    parse_delivery,
    parse_dir_meta,
    parse_file_meta,
    parse_manifest,
    signature_message,
)
from sodformat.names import NameSet
from sodformat.recipients import PassphraseIdentity, unwrap_with
from sodformat.stream import decrypt_chunks
from sodformat.threads import InOrder, is_cancelled

ProgressFn = Callable[[int, int], None]
_RING_BUFFERS = 4  # decrypted chunks the hashing thread may lag behind this one


@dataclass(frozen=True)
class Contents:
    header: HeaderInfo
    entries: list[Entry]
    signer: str | None  # the sender's signing key, present only if the signature verified
    delivery: Delivery | None = None  # id, in-reply-to and message (containers since the delivery field)


def _open_file(path: Path | str) -> io.BufferedReader:
    try:
        return open(path, "rb")
    except OSError as exc:
        raise SodError(f"cannot read {path}: {exc.strerror or exc}") from None


def inspect(path: Path | str) -> HeaderInfo:
    """What the header says, without a key (not yet authenticated: a key is needed for that)."""
    with _open_file(path) as f:
        return read_header(f).info


def _unlock(raw: RawHeader, identities: list) -> bytes:
    """The file key, from the first identity that opens a stanza; the header MAC is then checked."""
    # Public-key identities are tried first: they cost microseconds, a passphrase costs Argon2id.
    ordered = sorted(identities, key=lambda i: isinstance(i, PassphraseIdentity))
    for identity in ordered:
        for stanza in raw.stanzas:
            file_key = unwrap_with(identity, stanza)
            if file_key is None:
                continue
            if not raw.check_mac(file_key):
                raise AuthenticationError("the container's header was altered or damaged (authentication failed)")
            return file_key
    kinds = set(raw.info.recipients)
    if identities and all(isinstance(i, PassphraseIdentity) for i in identities) and "argon2id" not in kinds:
        raise NoMatchingIdentityError("this container is not passphrase-protected; open it with your key (--identity)")
    if identities and not any(isinstance(i, PassphraseIdentity) for i in identities) and "x25519" not in kinds:
        raise NoMatchingIdentityError("this container is passphrase-protected; give the passphrase")
    raise NoMatchingIdentityError("wrong passphrase or key: none of those given opens this container")


class _Plaintext:
    """Exact-length reads across the decrypted chunks, handing each chunk's buffer to `release` once
    consumed (unpack releases through the hashing thread, so views still queued for hashing stay valid)."""

    def __init__(self, chunks: Iterator[tuple], release: Callable[[bytearray], None]):
        self._chunks, self._release = chunks, release
        self._view: memoryview = memoryview(b"")
        self._buf: bytearray | None = None
        self._pos = 0

    def _advance(self) -> None:
        if self._buf is not None:
            self._view.release()
            self._release(self._buf)
            self._buf = None
        try:
            self._view, self._buf = next(self._chunks)
        except StopIteration:
            raise FormatError("the container ends in the middle of a record") from None
        self._pos = 0

    def pieces(self, n: int) -> Iterator[memoryview]:
        """The next `n` bytes as views into the chunk buffers, valid until the next call."""
        while n:
            if self._pos == len(self._view):
                self._advance()
            take = min(n, len(self._view) - self._pos)
            yield self._view[self._pos : self._pos + take]
            self._pos += take
            n -= take

    def read(self, n: int) -> bytes:
        if self._pos + n <= len(self._view):  # the common case: within the current chunk
            data = bytes(self._view[self._pos : self._pos + n])
            self._pos += n
            return data
        return b"".join(bytes(p) for p in self.pieces(n))

    def u32(self) -> int:
        return struct.unpack(">I", self.read(4))[0]

    def at_end(self) -> bool:
        if self._pos < len(self._view):
            return False
        for view, buf in self._chunks:
            self._release(buf)
            if len(view):
                return False
        return True


class _NullWriter:
    def write(self, data) -> None: ...
    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None: ...


class _Sink:
    """Where verified bytes go: nowhere (verify) or a folder (unpack). Files may be written from
    several threads at once, one file per thread."""

    def begin_dir(self, name: str) -> None: ...

    def open_file(self, name: str):
        return _NullWriter()


class _FileWriter:
    """One output file; every 64 MiB it checks that the disk keeps a reserve (decompression bombs)."""

    _FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)

    def __init__(self, path: Path):
        self._file = os.fdopen(os.open(path, self._FLAGS, 0o600), "wb")
        self._root = path.parent
        self._since_check = 0

    def write(self, data) -> None:
        self._since_check += len(data)
        if self._since_check >= 64 * 1024 * 1024:
            self._since_check = 0
            if shutil.disk_usage(self._root).free < limits.DISK_RESERVE_BYTES + len(data):
                raise SodError("not enough disk space to unpack this container")
        self._file.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._file.close()


class _FolderSink(_Sink):
    """Creates entries under a fresh private folder; nothing outside it is ever touched."""

    def __init__(self, root: Path):
        self._root = root

    def begin_dir(self, name: str) -> None:
        (self._root / name).mkdir(mode=0o700, parents=True, exist_ok=True)

    def open_file(self, name: str) -> _FileWriter:
        path = self._root / name
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return _FileWriter(path)


_per_thread = threading.local()  # a zstd context and a scratch buffer each: no allocations per block


def _decompress(data: bytes) -> bytes:
    size = zstandard.frame_content_size(data) if len(data) >= 4 else -1
    if not 0 <= size <= limits.MAX_BLOCK_BYTES:
        raise LimitError("a compressed block is larger than this reader allows (possible decompression bomb)")
    zstd = getattr(_per_thread, "zstd", None)
    if zstd is None:
        zstd = _per_thread.zstd = zstandard.ZstdDecompressor()
    try:
        out = zstd.decompress(data, allow_extra_data=False)  # exactly one frame, nothing after it
    except zstandard.ZstdError:
        raise FormatError("a compressed block is damaged") from None
    if len(out) != size:
        raise FormatError("a compressed block is damaged")
    return out


def _decode(data: bytes, compression: str) -> bytes | memoryview:
    """A stored block's bytes; a shuffled block comes back in this thread's scratch buffer, valid
    until this thread decodes the next block (callers hash and write it before that)."""
    data = _decompress(data)
    if compression != "zstd+shuffle2":
        return data
    scratch = getattr(_per_thread, "scratch", None)
    if scratch is None or len(scratch) < len(data):
        scratch = _per_thread.scratch = bytearray(max(len(data), limits.BLOCK_INPUT))
    return unshuffle2(data, into=scratch)


def _write_held_file(sink: _Sink, name: str, compression: str, blocks: list[bytes]) -> tuple[int, str]:
    """Decode, hash and write a small file whose blocks are all in hand (in a worker thread)."""
    digest, size = hashlib.sha256(), 0
    with sink.open_file(name) as out:
        for block in blocks:
            data = _decode(block, compression)
            digest.update(data)
            size += len(data)
            out.write(data)
    return size, digest.hexdigest()


_HELD_BLOCKS = 2  # compressed files of up to this many blocks are decoded in the pool, several at once


def _walk(plain: _Plaintext, raw: RawHeader, sink: _Sink, cancel, hasher: InOrder) -> Contents:
    """Read every record in order, feeding the sink; check the manifest, the signature and the end.

    Small compressed files (a DICOM series is thousands of them) are decompressed, hashed and written
    by a pool, a few at a time, so a series unpacks on every core; larger files stream in order, their
    bytes written here and hashed in order by `hasher`, beside this thread."""
    names = NameSet()
    entries: list[Entry] = []
    workers = min(4, os.cpu_count() or 2)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sod-unpack")
    in_flight: deque = deque()  # (index in entries, future)
    digests: dict[int, str] = {}  # index in entries -> SHA-256 of a streamed file, set by the hasher

    def finish(index: int, digest) -> None:
        digests[index] = digest.hexdigest()

    def settle(keep: int) -> None:
        while len(in_flight) > keep:
            index, future = in_flight.popleft()
            size, digest = future.result()
            entries[index] = replace(entries[index], size=size, sha256=digest)

    try:
        while True:
            if is_cancelled(cancel):
                raise CancelledError("cancelled")
            tag = plain.read(1)
            if tag not in (TAG_FILE, TAG_DIR):
                break
            if len(entries) >= limits.MAX_ENTRIES:
                raise LimitError("the container holds more entries than this reader allows")
            length = plain.u32()
            if length > limits.MAX_META_BYTES:
                raise LimitError("an entry record is larger than this reader allows")
            meta = plain.read(length)
            if tag == TAG_DIR:
                name = parse_dir_meta(meta)
                names.add(name, True)
                sink.begin_dir(name)
                entries.append(Entry(name, True))
                continue
            name, media_type, compression = parse_file_meta(meta)
            names.add(name, False)
            entry = Entry(name, False, 0, "", media_type, compression)
            held: list[bytes] = []
            n = plain.u32()
            while compression != "none" and 0 < n <= limits.MAX_BLOCK_BYTES and len(held) < _HELD_BLOCKS:
                held.append(plain.read(n))
                n = plain.u32()
            if n == 0 and held:
                entries.append(entry)
                in_flight.append((len(entries) - 1, pool.submit(_write_held_file, sink, name, compression, held)))
                settle(keep=2 * workers)  # bounded: a few small files in memory at a time
                continue
            digest, size = hashlib.sha256(), 0
            with sink.open_file(name) as out:
                for block in held:  # a file too large to hand to the pool: go on in order
                    data = _decode(block, compression)
                    digest.update(data)  # here, not by the hasher: `data` is reused by the next block
                    size += len(data)
                    out.write(data)
                while n:
                    if is_cancelled(cancel):  # a single document can be many gigabytes
                        raise CancelledError("cancelled")
                    if n > limits.MAX_BLOCK_BYTES:
                        raise LimitError("a data block is larger than this reader allows")
                    if compression == "none":  # stream the views: no copy between decryption and disk
                        for piece in plain.pieces(n):
                            hasher.call(digest.update, piece)
                            out.write(piece)
                        size += n
                    else:
                        data = _decode(plain.read(n), compression)
                        digest.update(data)
                        size += len(data)
                        out.write(data)
                    n = plain.u32()
            hasher.call(finish, len(entries), digest)
            entries.append(replace(entry, size=size))
        settle(keep=0)
        hasher.drain()
        for index, sha256 in digests.items():
            entries[index] = replace(entries[index], sha256=sha256)
    finally:
        # Workers must be finished before the caller removes a failed unpack's folder.
        pool.shutdown(wait=True, cancel_futures=True)
    if tag != TAG_MANIFEST:
        raise FormatError("the container's payload is malformed (unexpected record)")
    length = plain.u32()
    if length > limits.MAX_MANIFEST_BYTES:
        raise LimitError("the manifest is larger than this reader allows")
    manifest_bytes = plain.read(length)
    if parse_manifest(manifest_bytes) != entries:
        raise AuthenticationError("the manifest does not match the contents (hash or size mismatch)")
    delivery = parse_delivery(manifest_bytes)
    signer = None
    tag = plain.read(1)
    if raw.info.signer is not None:
        if tag != TAG_SIGNATURE:
            raise AuthenticationError("the header names a signer but the signature is missing")
        signature = plain.read(64)
        try:
            parse_signer(raw.info.signer).verify(signature, signature_message(raw.full_bytes, manifest_bytes))
        except (InvalidSignature, SodError, ValueError):
            raise AuthenticationError("the sender's signature does not verify") from None
        signer = raw.info.signer
        tag = plain.read(1)
    if tag != TAG_END or not plain.at_end():
        raise FormatError("the container's payload is malformed (data after the end)")
    return Contents(raw.info, entries, signer, delivery)


def _process(
    path: Path | str,
    identities: list,
    sink: _Sink,
    *,
    allow_expired: bool,
    progress: ProgressFn | None,
    cancel,
    now: datetime | None,
) -> Contents:
    if not identities:
        raise SodError("a passphrase or identity is needed to open the container")
    with _open_file(path) as f:
        total = os.fstat(f.fileno()).st_size
        raw = read_header(f)
        file_key = _unlock(raw, identities)
        if raw.info.expired(now) and not allow_expired:
            when = raw.info.expires.strftime("%Y-%m-%d %H:%M UTC")
            raise ExpiredError(
                f"this delivery expired on {when} and can no longer be opened; ask the sender to send it again"
            )
        key = hkdf(file_key, b"sod-v1 payload", salt=raw.nonce)
        # This thread reads, decrypts, parses and writes, each chunk while it is in the CPU cache (the
        # AEAD holds the GIL); a second thread hashes the decrypted buffers in order (hashlib releases
        # it). A buffer returns to the ring only once hashed: memory stays bounded.
        ring = BufferRing(_RING_BUFFERS, raw.info.chunk)
        hasher = InOrder(name="sod-hash")
        try:
            chunks = decrypt_chunks(f, key, raw.info.aead, raw.info.chunk, ring)
            stream = _reporting(chunks, f, total, progress) if progress else chunks
            return _walk(_Plaintext(stream, partial(hasher.call, ring.release)), raw, sink, cancel, hasher)
        finally:
            hasher.close()


def _reporting(chunks: Iterator[tuple], f: BinaryIO, total: int, progress: ProgressFn) -> Iterator[tuple]:
    for chunk in chunks:
        progress(f.tell(), total)
        yield chunk


def verify(
    path: Path | str,
    identities: list,
    *,
    allow_expired: bool = False,
    progress: ProgressFn | None = None,
    cancel=None,
    now: datetime | None = None,
) -> Contents:
    """Decrypt and check everything (hashes, manifest, signature) without writing anything."""
    return _process(path, identities, _Sink(), allow_expired=allow_expired, progress=progress, cancel=cancel, now=now)


def unpack(
    path: Path | str,
    out_dir: Path | str,
    identities: list,
    *,
    allow_expired: bool = False,
    progress: ProgressFn | None = None,
    cancel=None,
    now: datetime | None = None,
) -> Contents:
    """Unpack into `out_dir` (absent or empty) all-or-nothing: on any failure nothing is left behind."""
    out_dir = Path(out_dir)
    if out_dir.is_symlink() or (out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir()))):
        raise SodError(f"{out_dir} already exists and is not an empty folder")
    created_parents = [p for p in reversed(out_dir.absolute().parents) if not p.exists()]
    tmp = out_dir.absolute().parent / f".{out_dir.name}.{secrets.token_hex(6)}.partial"
    try:
        out_dir.absolute().parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir(mode=0o700)
    except OSError as exc:
        _remove_created(created_parents)
        raise SodError(f"cannot create {out_dir}: {exc.strerror or exc}") from None
    try:
        contents = _process(
            path, identities, _FolderSink(tmp), allow_expired=allow_expired, progress=progress, cancel=cancel, now=now
        )
        if out_dir.exists():
            out_dir.rmdir()
        os.rename(tmp, out_dir)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_created(created_parents)
        if isinstance(exc, OSError):
            raise SodError(f"cannot write into {out_dir}: {exc.strerror or exc}") from None
        raise
    return contents


def _remove_created(parents: list[Path]) -> None:
    for p in reversed(parents):
        try:
            p.rmdir()
        except OSError:
            pass
