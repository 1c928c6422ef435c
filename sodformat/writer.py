"""Packing: documents in, one encrypted .SOD container out, in constant memory.

A reader thread reads, hashes and compresses blocks (hashlib, zstd and file I/O release the GIL)
while the calling thread frames, encrypts and writes them, so two cores share the work.
"""

from __future__ import annotations

import hashlib
import io
import os
import queue
import secrets
import struct
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

import zstandard

from sodformat import codecs, limits
from sodformat.buffers import BufferRing
from sodformat.errors import CancelledError, SodError
from sodformat.header import HeaderInfo, encode_header, hkdf, read_header
from sodformat.keys import Identity
from sodformat.manifest import (TAG_DIR, TAG_END, TAG_FILE, TAG_MANIFEST, TAG_SIGNATURE, Entry, encode_manifest,
                                file_meta, dumps, signature_message)
from sodformat.mediatypes import sniff
from sodformat.names import NameSet, check_name
from sodformat.recipients import b64encode, make_stanza
from sodformat.stream import StreamWriter

ProgressFn = Callable[[int, int], None]
_RING_BUFFERS = 6  # blocks in flight between the reading thread and the encrypting thread


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


def collect_sources(paths: list[Path | str]) -> list[Source]:
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


class _Prefetch:
    """Runs a generator in a thread, a few items ahead of the consumer (bounded: constant memory)."""

    _DONE = object()

    def __init__(self, make: Callable[[threading.Event], Iterator], depth: int = 4):
        self._queue: queue.Queue = queue.Queue(depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(make,), daemon=True, name="sod-prefetch")
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, make) -> None:
        try:
            for item in make(self._stop):
                if not self._put(item):
                    return
            self._put(self._DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            self._put(exc)

    def __iter__(self):
        while True:
            item = self._queue.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


class _Encoders:
    """Compression on every core (zstd releases the GIL); each worker thread keeps its own context."""

    def __init__(self, level: int):
        self._local = threading.local()
        self._level = level
        self.pool = ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 2), thread_name_prefix="sod-zstd")

    def compress(self, block: bytes) -> bytes:
        zstd = getattr(self._local, "zstd", None)
        if zstd is None:
            zstd = self._local.zstd = zstandard.ZstdCompressor(level=self._level)
        return zstd.compress(block)


def _small_file(src: Source, enc: _Encoders) -> list[tuple]:
    """All events of a file of at most one block, made in a worker so many small files (DICOM slices)
    are read, hashed and compressed in parallel."""
    try:
        with open(src.path, "rb") as f:
            block = f.read(limits.BLOCK_INPUT)
            if f.read(1):
                raise SodError(f"cannot pack {src.path}: the file changed while it was being packed")
    except OSError as exc:
        raise _fail_unreadable(src.path, exc) from None
    media_type = sniff(block, src.name)
    codec, data = codecs.choose(media_type, block, enc.compress)
    events = [("file", file_meta(src.name, media_type, codec))]
    if block:
        events.append(("block", data, len(block), None))
    events.append(("end", Entry(src.name, False, len(block), hashlib.sha256(block).hexdigest(), media_type, codec)))
    return events


def _large_file(src: Source, enc: _Encoders, ring: BufferRing, stop: threading.Event) -> Iterator[tuple]:
    """Events of a multi-block file, streamed through recycled buffers; with a codec, a few blocks
    compress ahead in the pool. Uncompressed blocks carry their buffer, which the consumer releases."""
    in_flight = 4
    try:
        with open(src.path, "rb", buffering=0) as f:
            first_block = f.read(limits.BLOCK_INPUT)
            media_type = sniff(first_block, src.name)
            codec, first = codecs.choose(media_type, first_block, enc.compress)
            encode = codecs.encoder(codec, enc.compress)
            yield ("file", file_meta(src.name, media_type, codec))
            digest, size = hashlib.sha256(first_block), len(first_block)
            if codec == "none":
                yield ("block", first_block, len(first_block), None)
                while (buf := ring.acquire(stop)) is not None:
                    n = f.readinto(buf)
                    if not n:
                        ring.release(buf)
                        break
                    view = memoryview(buf)[:n]
                    digest.update(view)
                    size += n
                    yield ("block", view, n, partial(ring.release, buf))
            else:
                pending: deque = deque([(first, len(first_block))])
                while block := f.read(limits.BLOCK_INPUT):
                    digest.update(block)
                    size += len(block)
                    pending.append((enc.pool.submit(encode, block), len(block)))
                    while len(pending) > in_flight or not isinstance(pending[0][0], Future):
                        data, raw_len = pending.popleft()
                        yield ("block", data.result() if isinstance(data, Future) else data, raw_len, None)
                    if stop.is_set():
                        return
                for data, raw_len in pending:
                    yield ("block", data.result() if isinstance(data, Future) else data, raw_len, None)
            if stop.is_set():
                return
    except OSError as exc:
        raise _fail_unreadable(src.path, exc) from None
    yield ("end", Entry(src.name, False, size, digest.hexdigest(), media_type, codec))


def _read_blocks(sources: list[Source], level: int, stop: threading.Event) -> Iterator[tuple]:
    """Events for the consumer, in source order: ("dir", name), ("file", meta),
    ("block", data, raw_len, release callback or None), ("end", Entry)."""
    enc = _Encoders(level)
    ring = BufferRing(_RING_BUFFERS, limits.BLOCK_INPUT)
    small_ahead = 2 * (os.cpu_count() or 2)  # small files in flight: bounded by count x 1 MiB
    pending: deque = deque()
    try:
        for src in sources:
            if stop.is_set():
                return
            if src.is_dir:
                pending.append([("dir", src.name)])
            elif src.size <= limits.BLOCK_INPUT:
                pending.append(enc.pool.submit(_small_file, src, enc))
            else:
                while pending:
                    item = pending.popleft()
                    yield from item.result() if isinstance(item, Future) else item
                yield from _large_file(src, enc, ring, stop)
            while len(pending) > small_ahead:
                item = pending.popleft()
                yield from item.result() if isinstance(item, Future) else item
        while pending:
            item = pending.popleft()
            yield from item.result() if isinstance(item, Future) else item
    finally:
        enc.pool.shutdown(wait=True, cancel_futures=True)


def _cancelled(cancel) -> bool:
    if cancel is None:
        return False
    return cancel.is_set() if hasattr(cancel, "is_set") else bool(cancel.cancelled)


def _record(tag: bytes, body: bytes) -> bytes:
    return tag + struct.pack(">I", len(body)) + body


def _check_expiry(days: float) -> None:
    if not 0 < days <= limits.MAX_EXPIRY_DAYS:
        raise SodError(f"expiry must be more than 0 and at most {limits.MAX_EXPIRY_DAYS} days")


def write_container(out: BinaryIO, sources: list[Source], recipients: list, *, expires_in_days: float,
                    signer: Identity | None, progress: ProgressFn | None, cancel, created: float | None,
                    aead: str, chunk: int, level: int) -> PackResult:
    """Write the whole container sequentially to `out` (a file, a pipe, or an uploader's spool file)."""
    if not recipients:
        raise SodError("at least one recipient (passphrase or public key) is required")
    _check_expiry(expires_in_days)
    now = int(created if created is not None else time.time())
    file_key, nonce = secrets.token_bytes(limits.FILE_KEY_BYTES), secrets.token_bytes(limits.PAYLOAD_NONCE_BYTES)
    fields = {
        "sod": limits.FORMAT_VERSION, "created": now, "expires": now + max(1, int(expires_in_days * 86400)),
        "aead": aead, "chunk": chunk, "nonce": b64encode(nonce),
        "recipients": [make_stanza(r, file_key) for r in recipients],
    }
    if signer is not None:
        fields["signer"] = signer.signing_public
    header = encode_header(fields, file_key)
    out.write(header)
    stream = StreamWriter(out, hkdf(file_key, b"sod-v1 payload", salt=nonce), aead, chunk)
    total = sum(s.size for s in sources)
    done = 0
    entries: list[Entry] = []
    prefetch = _Prefetch(lambda stop: _read_blocks(sources, level, stop))
    try:
        for event in prefetch:
            if _cancelled(cancel):
                raise CancelledError("cancelled")
            kind = event[0]
            if kind == "block":
                stream.write(struct.pack(">I", len(event[1])))
                stream.write(event[1])
                if event[3] is not None:
                    event[3]()  # hand the block's buffer back to the reading thread
                done += event[2]
                if progress:
                    progress(done, total)
            elif kind == "file":
                stream.write(_record(TAG_FILE, event[1]))
            elif kind == "end":
                stream.write(b"\x00\x00\x00\x00")
                entries.append(event[1])
            else:  # a folder
                stream.write(_record(TAG_DIR, dumps({"name": event[1]})))
                entries.append(Entry(event[1], True))
    finally:
        prefetch.close()
    manifest = encode_manifest(entries)
    stream.write(_record(TAG_MANIFEST, manifest))
    if signer is not None:
        stream.write(TAG_SIGNATURE + signer.ed25519.sign(signature_message(header, manifest)))
    stream.write(TAG_END)
    stream.close()
    info = read_header(io.BytesIO(header)).info
    return PackResult(info, entries, len(header) + stream.bytes_written)


def pack(out: BinaryIO | Path | str, sources: list[Source], recipients: list, *,
         expires_in_days: float = limits.DEFAULT_EXPIRY_DAYS, signer: Identity | None = None,
         progress: ProgressFn | None = None, cancel=None, created: float | None = None,
         aead: str = "aes-256-gcm", chunk: int = limits.DEFAULT_CHUNK, level: int = 1) -> PackResult:
    """Pack `sources` for `recipients`. A path output appears only when complete (temp file + rename)."""
    kwargs = dict(expires_in_days=expires_in_days, signer=signer, progress=progress, cancel=cancel,
                  created=created, aead=aead, chunk=chunk, level=level)
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
        with os.fdopen(fd, "wb") as f:
            result = write_container(f, sources, recipients, **kwargs)
        os.replace(tmp, out)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise SodError(f"cannot write {out}: {exc.strerror or exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return result
