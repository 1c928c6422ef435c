"""Packing: documents in, one encrypted .SOD container out, in constant memory."""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import BinaryIO

import zstandard

from sodformat import codecs, limits
from sodformat.buffers import BufferRing
from sodformat.errors import CancelledError, SodError
from sodformat.header import HeaderInfo, encode_header, hkdf, read_header
from sodformat.keys import Identity
from sodformat.manifest import (
    TAG_DIR,
    TAG_END,
    TAG_FILE,
    TAG_MANIFEST,
    TAG_SIGNATURE,
    Delivery,
    Entry,
    dumps,
    encode_manifest,
    file_meta,
    signature_message,
)
from sodformat.mediatypes import sniff
from sodformat.names import NameSet, check_name
from sodformat.recipients import b64encode, make_stanza
from sodformat.space import preallocate
from sodformat.stream import ChunkFiller, ChunkSealer, Writable
from sodformat.threads import InOrder, is_cancelled

ProgressFn = Callable[[int, int], None]
_RING_CHUNKS = 4  # plaintext chunks the hashing thread may lag behind the sealing one
_PROGRESS_STEP = 1024 * 1024  # report progress at most once per MiB of documents


@dataclass(frozen=True)
class Source:
    """One thing to pack: a file (path) or a folder (path may be None), and its name inside the container."""

    path: Path | None
    name: str
    is_dir: bool
    size: int = 0


@dataclass(frozen=True)
class PackResult:
    header: HeaderInfo
    entries: list[Entry]
    bytes_written: int


def _fail_unreadable(path: Path, exc: OSError) -> SodError:
    return SodError(f"cannot read {path}: {exc.strerror or exc}")


def collect_sources(paths: Sequence[Path | str]) -> list[Source]:
    """Files and folders (recursively) to pack; names keep each folder's own name as the top level.

    Symbolic links and special files are refused rather than silently skipped, so nothing goes missing.
    """
    sources: list[Source] = []
    names = NameSet()

    def add(src: Source) -> None:
        try:
            check_name(src.name)
            names.add(src.name, src.is_dir)
        except SodError as exc:
            raise SodError(f"cannot pack {src.path}: {exc}") from None
        sources.append(src)

    def add_path(path: Path, name: str) -> None:
        try:
            st = path.lstat()
        except OSError as exc:
            raise _fail_unreadable(path, exc) from None
        if path.is_symlink():
            raise SodError(f"cannot pack {path}: symbolic links are not supported; pack the target instead")
        if path.is_dir():
            add(Source(path, name, True))
            try:
                children = sorted(os.scandir(path), key=lambda d: d.name)
            except OSError as exc:
                raise _fail_unreadable(path, exc) from None
            for child in children:
                add_path(Path(child.path), f"{name}/{child.name}")
        elif path.is_file():
            add(Source(path, name, False, st.st_size))
        else:
            raise SodError(f"cannot pack {path}: not a regular file or folder")

    for p in paths:
        path = Path(p)
        add_path(path, path.name or path.resolve().name)
    return sources


class _Encoders:
    """The pool that reads and compresses small files and compresses blocks of large ones, on every
    core (zstd and file reads release the GIL); each worker keeps its own zstd context and buffer."""

    def __init__(self, level: int):
        self._local = threading.local()
        self._level = level
        self.pool = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 2), thread_name_prefix="sod-zstd")

    def compress(self, block: codecs.Buffer) -> bytes:
        zstd = getattr(self._local, "zstd", None)
        if zstd is None:
            zstd = self._local.zstd = zstandard.ZstdCompressor(level=self._level)
        return zstd.compress(block)

    def read_small(self, f) -> memoryview:
        """All of a file of at most one block, into this worker's own buffer (reused for its next
        file: allocating a fresh megabyte per DICOM slice cost page faults); EOFError if larger."""
        buf = getattr(self._local, "buf", None)
        if buf is None:
            buf = self._local.buf = bytearray(limits.BLOCK_INPUT + 1)
        view, n = memoryview(buf), 0
        while n < len(buf) and (got := f.readinto(view[n:])):
            n += got
        if n > limits.BLOCK_INPUT:
            raise EOFError
        return view[:n]


def _changed(path: Path) -> SodError:
    return SodError(f"cannot pack {path}: the file changed while it was being packed")


_U32 = struct.Struct(">I")


def _record(tag: bytes, body: bytes) -> bytes:
    return tag + _U32.pack(len(body)) + body


@dataclass(frozen=True)
class _HeldFile:
    """A file of at most one block, read, hashed and compressed by a pool worker."""

    meta: bytes
    data: codecs.Buffer  # the stored block (empty for an empty file)
    entry: Entry


def _small_file(src: Source, enc: _Encoders) -> _HeldFile:
    """Many small files (DICOM slices) are read, hashed and compressed in parallel this way."""
    assert src.path is not None  # folders carry no path and are never read
    try:
        with open(src.path, "rb", buffering=0) as f:
            block = enc.read_small(f)
    except EOFError:
        raise _changed(src.path) from None
    except OSError as exc:
        raise _fail_unreadable(src.path, exc) from None
    media_type = sniff(block, src.name)
    codec, data = codecs.choose(media_type, block, enc.compress)
    entry = Entry(src.name, False, len(block), hashlib.sha256(block).hexdigest(), media_type, codec)
    stored = bytes(data) if codec == "none" else data  # `block` is the worker's buffer, reused next
    return _HeldFile(file_meta(src.name, media_type, codec), stored, entry)


class _Framer:
    """Builds the payload plaintext (records, blocks, manifest, signature) into chunk buffers.
    Large documents are hashed in order by `hasher`, beside this thread; `advanced` counts source
    bytes framed so far, for progress."""

    def __init__(self, filler: ChunkFiller, level: int, hasher: InOrder, cancel):
        self._fill, self._hasher, self._cancel = filler, hasher, cancel
        self._enc = _Encoders(level)
        self._digests: dict[int, str] = {}  # index in entries -> SHA-256, set by the hasher
        self.entries: list[Entry] = []
        self.advanced = 0

    def _check_stop(self) -> None:
        if is_cancelled(self._cancel):
            raise CancelledError("cancelled")

    def _finish_digest(self, index: int, digest) -> None:
        self._digests[index] = digest.hexdigest()

    def documents(self, sources: list[Source]) -> None:
        """Every source in order; small files are prepared a few at a time in the pool."""
        ahead = 2 * (os.cpu_count() or 2)  # small files in flight: bounded by count x 1 MiB
        pending: deque = deque()  # folder names and futures of small files, in source order

        def settle(keep: int) -> None:
            while len(pending) > keep:
                item = pending.popleft()
                if isinstance(item, str):
                    self._fill.write(_record(TAG_DIR, dumps({"name": item})))
                    self.entries.append(Entry(item, True))
                else:
                    self._held_file(item.result())

        try:
            for src in sources:
                self._check_stop()
                if src.is_dir:
                    pending.append(src.name)
                elif src.size <= limits.BLOCK_INPUT:
                    pending.append(self._enc.pool.submit(_small_file, src, self._enc))
                else:
                    settle(keep=0)
                    self._large_file(src)
                settle(keep=ahead)
            settle(keep=0)
        finally:
            self._enc.pool.shutdown(wait=True, cancel_futures=True)

    def _held_file(self, held: _HeldFile) -> None:
        self._fill.write(_record(TAG_FILE, held.meta))
        if held.data:
            self._fill.write(_U32.pack(len(held.data)))
            self._fill.write(held.data)
        self._fill.write(_U32.pack(0))
        self.entries.append(held.entry)
        self.advanced += held.entry.size

    def _large_file(self, src: Source) -> None:
        assert src.path is not None
        try:
            with open(src.path, "rb", buffering=0) as f:
                size = os.fstat(f.fileno()).st_size
                first = f.read(limits.BLOCK_INPUT)
                media_type = sniff(first, src.name)
                codec, stored = codecs.choose(media_type, first, self._enc.compress)
                self._fill.write(_record(TAG_FILE, file_meta(src.name, media_type, codec)))
                if stored:  # a file emptied since it was listed has no blocks at all
                    self._fill.write(_U32.pack(len(stored)))
                    self._fill.write(stored)
                self.advanced += len(first)
                digest = hashlib.sha256()
                self._hasher.call(digest.update, first)
                if codec == "none":
                    size = self._raw_blocks(f, src.path, size - len(first), digest) + len(first)
                else:
                    size = self._encoded_blocks(f, codecs.encoder(codec, self._enc.compress), digest) + len(first)
                if f.read(1):
                    raise _changed(src.path)
        except OSError as exc:
            raise _fail_unreadable(src.path, exc) from None
        self._fill.write(_U32.pack(0))
        self._hasher.call(self._finish_digest, len(self.entries), digest)
        self.entries.append(Entry(src.name, False, size, "", media_type, codec))

    def _raw_blocks(self, f, path: Path, left: int, digest) -> int:
        """Stored as is: read straight into the chunk buffers (no copy) and hashed from there, the fast
        path for large incompressible documents. The size is fixed when the file is opened; a file that
        then shrinks or grows is refused rather than packed half-old, half-new."""
        if left < 0:  # it grew between the size check and the first read
            raise _changed(path)
        total = left
        hash_piece = partial(self._hasher.call, digest.update)
        while left > 0:
            self._check_stop()
            n = min(limits.BLOCK_INPUT, left)
            self._fill.write(_U32.pack(n))
            try:
                self._fill.read_from(f, n, hash_piece)
            except EOFError:
                raise _changed(path) from None
            left -= n
            self.advanced += n
        return total

    def _encoded_blocks(self, f, encode: Callable[[codecs.Buffer], codecs.Buffer], digest) -> int:
        """Compressed: a few blocks compress ahead in the pool while earlier ones are framed."""
        pending: deque[tuple[Future, int]] = deque()
        size = 0

        def settle(keep: int) -> None:
            while len(pending) > keep:
                future, raw_len = pending.popleft()
                data = future.result()
                self._fill.write(_U32.pack(len(data)))
                self._fill.write(data)
                self.advanced += raw_len

        while block := f.read(limits.BLOCK_INPUT):
            self._check_stop()
            self._hasher.call(digest.update, block)
            size += len(block)
            pending.append((self._enc.pool.submit(encode, block), len(block)))
            settle(keep=4)
        settle(keep=0)
        return size

    def trailer(self, header: bytes, signer: Identity | None, delivery: Delivery | None = None) -> None:
        """Manifest (with the delivery, if any), signature (over header and manifest) and end record."""
        self._hasher.drain()
        for index, sha256 in self._digests.items():
            self.entries[index] = replace(self.entries[index], sha256=sha256)
        manifest = encode_manifest(self.entries, delivery)
        self._fill.write(_record(TAG_MANIFEST, manifest))
        if signer is not None:
            self._fill.write(TAG_SIGNATURE + signer.ed25519.sign(signature_message(header, manifest)))
        self._fill.write(TAG_END)
        self._fill.close()


def _check_expiry(days: float) -> None:
    if not 0 < days <= limits.MAX_EXPIRY_DAYS:
        raise SodError(f"expiry must be more than 0 and at most {limits.MAX_EXPIRY_DAYS} days")


def write_container(
    out: Writable,
    sources: list[Source],
    recipients: list,
    *,
    expires_in_days: float,
    signer: Identity | None,
    progress: ProgressFn | None,
    cancel,
    created: float | None,
    aead: str,
    chunk: int,
    level: int,
    delivery: Delivery | None = None,
) -> PackResult:
    """Write the whole container sequentially to `out` (a file, a pipe, or an uploader's spool file).

    This thread reads documents straight into chunk buffers, then seals and writes each chunk while
    its bytes are still in the CPU cache (the AEAD is fastest on cached data, and holds the GIL). A
    second thread hashes the same buffers in order (hashlib releases the GIL); a pool reads and
    compresses small files. A buffer is reused only once hashed: a ring of four bounds memory."""
    if not recipients:
        raise SodError("at least one recipient (passphrase or public key) is required")
    _check_expiry(expires_in_days)
    now = int(created if created is not None else time.time())
    file_key, nonce = secrets.token_bytes(limits.FILE_KEY_BYTES), secrets.token_bytes(limits.PAYLOAD_NONCE_BYTES)
    fields = {
        "sod": limits.FORMAT_VERSION,
        "created": now,
        "expires": now + max(1, int(expires_in_days * 86400)),
        "aead": aead,
        "chunk": chunk,
        "nonce": b64encode(nonce),
        "recipients": [make_stanza(r, file_key) for r in recipients],
    }
    if signer is not None:
        fields["signer"] = signer.signing_public
    header = encode_header(fields, file_key)
    out.write(header)
    sealer = ChunkSealer(out, hkdf(file_key, b"sod-v1 payload", salt=nonce), aead, chunk)
    ring = BufferRing(_RING_CHUNKS, chunk)
    hasher = InOrder(name="sod-hash")
    total, reported = sum(s.size for s in sources), -1

    def seal(buf: bytearray, n: int, last: bool) -> None:
        nonlocal reported
        with memoryview(buf) as view:
            sealer.seal(view[:n], last)
        hasher.call(ring.release, buf)  # reused once the hasher is past this chunk's pieces
        if progress and (last or framer.advanced - reported >= _PROGRESS_STEP):
            progress(framer.advanced, total)
            reported = framer.advanced

    try:
        framer = _Framer(ChunkFiller(chunk, ring.acquire, seal), level, hasher, cancel)
        framer.documents(sources)
        framer.trailer(header, signer, delivery)
    finally:
        hasher.close()
    info = read_header(io.BytesIO(header)).info
    return PackResult(info, framer.entries, len(header) + sealer.bytes_written)


def _size_bound(sources: list[Source], chunk: int) -> int:
    """About the largest the container can be: blocks are never stored larger than the document
    (a codec is used only if it shrinks the data), plus records, manifest and per-chunk tags."""
    payload = (
        sum(s.size + 4 * (s.size // limits.BLOCK_INPUT + 2) + 2 * len(s.name.encode()) + 400 for s in sources) + 1024
    )
    return limits.MAX_HEADER_BYTES + payload + limits.TAG_BYTES * (payload // chunk + 1)


def pack(
    out: Writable | BinaryIO | Path | str,
    sources: list[Source],
    recipients: list,
    *,
    expires_in_days: float = limits.DEFAULT_EXPIRY_DAYS,
    signer: Identity | None = None,
    progress: ProgressFn | None = None,
    cancel=None,
    created: float | None = None,
    aead: str = "aes-256-gcm",
    chunk: int = limits.DEFAULT_CHUNK,
    level: int = 1,
    delivery: Delivery | None = None,
) -> PackResult:
    """Pack `sources` for `recipients`. A path output appears only when complete (temp file + rename).
    `delivery` (id, in-reply-to, message) goes into the manifest: encrypted, authenticated and signed."""
    kwargs = dict(
        expires_in_days=expires_in_days,
        signer=signer,
        progress=progress,
        cancel=cancel,
        created=created,
        aead=aead,
        chunk=chunk,
        level=level,
        delivery=delivery,
    )
    if not isinstance(out, (str, Path)):
        return write_container(out, sources, recipients, **kwargs)
    out = Path(out)
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(6)}.partial")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise SodError(f"cannot write {out}: {exc.strerror or exc}") from None
    try:
        # No fsync: the rename only makes a finished container visible; after a power cut the sender
        # still has every source and simply packs again, so durability would cost time for nothing.
        preallocate(fd, _size_bound(sources, chunk))
        with os.fdopen(fd, "wb") as f:
            result = write_container(f, sources, recipients, **kwargs)
            f.truncate()  # give back what the reservation over-estimated
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise SodError(f"cannot write {out}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return result
