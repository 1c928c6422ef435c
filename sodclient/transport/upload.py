"""Resumable, verified SFTP upload that a recipient can never see half-done, on whatever the account may do.

Before writing, one pipelined probe (`capabilities.probe`) finds out what the account may do in the
folder. Bytes go to `.<name>.part`, then are renamed into place: posix-rename where allowed, else
plain rename; where renaming is not allowed at all (some drop-boxes) they are written under the final
name (the link is mailed only once the upload is complete, and the name is unguessable). After a
network fault we reconnect with backoff and continue from the size the server already has, where
stat is allowed, but never past the first write of ours that was not acknowledged (a refused write, or
one a dropped link cut on a server that runs writes in parallel, leaves a hole below that size);
otherwise the upload restarts. Verification is the size plus the first and last
64 KiB read back (cheap, catches misplaced resumes and truncation) when reading is allowed, the size
alone when only stat is, and otherwise the container's own AEAD authentication, which the recipient
checks before importing anything (it always covers every byte). OpenSSH's sftp-server offers no
`check-file` hash extension, and reading GBs back would double the transfer time, so we do not.
"""

from __future__ import annotations

import base64
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sodclient.errors import InputError
from sodclient.progress import CancelToken, ProgressSink, RateMeter, no_progress
from sodclient.transport.capabilities import (
    FLAG_READ,
    FLAG_TRUNC,
    FLAG_WRITE,
    Op,
    denied,
    open_ops,
    opened,
    probe,
    start_afresh,
)
from sodclient.transport.errors import ConnectionLost, DiskFull, TransferError, VerificationFailed
from sodclient.transport.session import ConfirmHostKey, SftpSession, SftpTarget, diagnose_io
from sodformat.errors import CancelledError, SodError

WRITE_CHUNK = 1024 * 1024
RETRY_ATTEMPTS = 6  # connection attempts per upload before giving up
RETRY_BACKOFF_S = 1.0  # first wait; doubles each time, at most 30 s
CHECK_BYTES = 64 * 1024
# From this size on, engine "auto" uploads through the system's OpenSSH client: it moves bytes with less CPU
# (loopback 1.14-1.19x of OpenSSH sftp against paramiko's 0.7x) but its login costs more: starting ssh, and one
# more round trip (ssh asks whether the key is acceptable before signing). Over 1 Gbit/s x 40 ms, connect to
# SFTP ready took 0.44 s with it and 0.35 s with paramiko (BENCHMARKS.md, `--stages`), and the small study's
# whole send (21 MB) 1.55 s with it against 1.33 s with paramiko (`bench_send.py --engine openssh`). At ~40 MB/s
# a 5 % faster stream repays 0.2 s after ~160 MB, and the large study (405 MB) rides it at 0.92x of `sftp put`.
OPENSSH_MIN_BYTES = 256 * 1024 * 1024


def new_remote_name() -> str:
    """Unguessable, PHI-free: 160 random bits, lowercase base32 (safe in URLs and on every filesystem)."""
    return base64.b32encode(secrets.token_bytes(20)).decode().lower() + ".sod"


class FileSource:
    """A finished local file."""

    def __init__(self, path: Path):
        self.path = path
        self._f = open(path, "rb")
        self._size = os.fstat(self._f.fileno()).st_size

    def final_size(self) -> int | None:
        return self._size

    def region_at(self, offset: int, n: int, cancel: CancelToken) -> tuple[BinaryIO, int]:
        """The open file and how many of the `n` bytes from `offset` it holds (0: the end)."""
        return self._f, max(0, min(n, self._size - offset))

    def read_at(self, offset: int, n: int, cancel: CancelToken) -> bytes:
        self._f.seek(offset)
        return self._f.read(n)

    def close(self) -> None:
        self._f.close()


class GrowingFile:
    """A file another thread is still writing (the container being packed): read what exists, wait for more.

    The writer calls `written(n)` as bytes land, then `finish(total)` or `fail(exc)`.
    """

    def __init__(self, path: Path):
        self.path = path
        self._cond = threading.Condition()
        self._available = 0
        self._final: int | None = None
        self._error: BaseException | None = None
        self._f: BinaryIO | None = None

    def written(self, n: int) -> None:
        with self._cond:
            self._available = n
            self._cond.notify_all()

    def finish(self, total: int) -> None:
        with self._cond:
            self._available = self._final = total
            self._cond.notify_all()

    def fail(self, exc: BaseException) -> None:
        with self._cond:
            self._error = exc
            self._cond.notify_all()

    def final_size(self) -> int | None:
        with self._cond:
            return self._final

    def region_at(self, offset: int, n: int, cancel: CancelToken) -> tuple[BinaryIO, int]:
        """The file and how many of the `n` bytes from `offset` are written (waits for at least one; 0: the end)."""
        with self._cond:
            while True:
                if self._error is not None:
                    raise self._error
                cancel.raise_if_cancelled()
                if self._available > offset or self._final is not None:
                    end = min(offset + n, self._available)
                    break
                self._cond.wait(0.2)
        if self._f is None:
            self._f = open(self.path, "rb")
        return self._f, max(0, end - offset)

    def read_at(self, offset: int, n: int, cancel: CancelToken) -> bytes:
        f, count = self.region_at(offset, n, cancel)
        if not count:
            return b""
        f.seek(offset)
        return f.read(count)

    def close(self) -> None:
        if self._f is not None:
            self._f.close()


@dataclass(frozen=True)
class UploadResult:
    remote_name: str
    remote_path: str
    size: int
    seconds: float
    attempts: int
    cipher: str
    published_by: str = "posix-rename"  # "posix-rename", "rename" or "final name" (no rename allowed)
    verified_by: str = "read-back"  # "read-back", "size" or "AEAD only"
    library: str = "paramiko"  # what carried the SSH layer: "openssh" (the system's client), "paramiko" or "asyncssh"


@dataclass(frozen=True)
class _Done:
    size: int
    published_by: str
    verified_by: str


def _ok(reply) -> bool:
    return not isinstance(reply, BaseException)


def _open_target(session: SftpSession, pre, part: str, final: str):
    """Where the bytes go (the part, or the final name when renaming is denied), its open handle, the size
    already there (None: unknown or nothing) and whether the file is new."""
    if pre.caps.rename is not None:
        return part, pre.handle, pre.part_size, pre.fresh
    probes = [Op("close", arg=h) for h in (pre.handle, pre.reader) if h is not None]
    session.batch([*probes, Op("remove", part)], wait=False)  # the probe's empty part
    existing, created, reopened = session.batch([Op(pre.stat_kind or "stat", final), *open_ops(final)])
    handle, fresh = opened(session, final, created, reopened)
    return final, handle, existing.st_size if _ok(existing) and not fresh else None, fresh


class _Resume:
    """Where a retry may go on from at most. The server's size is not enough: a refused write leaves a hole
    below it, and a server that runs writes in parallel (pkg/sftp) may have finished later ones than one a
    dropped connection cut. Every byte below `below` was acknowledged written."""

    def __init__(self, below: int | None = None) -> None:
        self.below = below

    def limit(self, offset: int) -> None:
        self.below = offset if self.below is None else min(self.below, offset)


def _one_attempt(
    session: SftpSession,
    source,
    remote_name: str,
    meter: RateMeter,
    cancel: CancelToken,
    on_connected,
    resume: _Resume,
) -> _Done:
    part, final = session.path(f".{remote_name}.part"), session.path(remote_name)
    pre = probe(session, part)
    path, handle, existing, fresh = _open_target(session, pre, part, final)
    reader = pre.reader if path == part else None  # _open_target closed it otherwise
    size = source.final_size()
    offset = (existing or 0) if pre.caps.resume else 0
    if resume.below is not None:  # after an attempt of ours: a hole may lie below the size the server has
        offset = min(offset, resume.below)
    if size is not None and offset > size:
        offset = 0
    if offset == 0 and not fresh:  # old bytes are there: start from an empty file
        handle = start_afresh(session, handle, path)
        if reader is not None:  # start_afresh may have made another file of that name
            session.batch([Op("close", arg=reader)], wait=False)
            reader = None
    if size is not None and pre.free is not None and pre.free < size - offset:
        raise DiskFull(size - offset, pre.free)
    if on_connected is not None:
        on_connected()
    f = session.file(handle, "r+b")
    try:
        f.MAX_REQUEST_SIZE = pre.max_write
        f.set_pipelined(True)
        f.seek(offset)
        meter.update(offset, "resuming" if offset else "", force=True)
        zero_copy = hasattr(f, "write_from")  # the OpenSSH engine: the kernel copies file to pipe (sendfile)
        while True:
            cancel.raise_if_cancelled()
            if zero_copy:
                local, count = source.region_at(offset, WRITE_CHUNK, cancel)
                if not count:
                    break
                f.write_from(local, offset, count)
            else:
                data = source.read_at(offset, WRITE_CHUNK, cancel)
                if not data:
                    break
                f.write(data)
                count = len(data)
            offset += count
            meter.update(offset)
        handle_open = session.end_writes(f)  # the last writes may still be on their way: see _verify
        size = source.final_size()
        verified_by = _verify(session, path, source, size, pre, cancel, f, handle if handle_open else None, reader)
    except BaseException:
        f.abandon()
        resume.limit(f.safe_end())
        raise
    if pre.caps.rename == "posix-rename":
        session.sftp.posix_rename(part, final)
    elif pre.caps.rename == "rename":
        session.sftp.rename(part, final)
    meter.update(size, force=True)
    return _Done(size, pre.caps.publish_how, verified_by)


def _verify(session: SftpSession, path: str, source, size: int, pre, cancel: CancelToken, f, close, reader) -> str:
    """Check what the account may check; a mismatch empties the file so the retry starts afresh.
    Returns how the upload was verified.

    One round trip, sent right behind the last write without waiting for the writes' answers: the written
    handle's CLOSE (`close`), the stat, and the read-back on the handle the probe opened for reading (`reader`).
    The CLOSE goes first: servers that run writes in parallel (pkg/sftp, behind SFTPGo) finish every write
    before they take a CLOSE, and OpenSSH's sftp-server answers requests one by one, in order. Where that
    early read-back differs (ProFTPD's mod_sftp answers it with bytes from before the writes, in the tests)
    or there is no reader, the file is opened afresh and read in two more round trips: only that answer can
    fail the upload."""
    how, problem, caps = "AEAD only", "", pre.caps
    head = [Op("close", arg=close)] if close is not None else []
    head += [Op(pre.stat_kind, path)] if pre.stat_kind else []
    reads = _end_reads(source, size, cancel) if caps.read else []
    if reader is not None:
        tail = _read_ops(reader, reads, size)
    else:
        tail = [Op("open", path, FLAG_READ)] if caps.read else []
    replies = session.batch(head + tail)
    session.writes_ok(f)  # a refused write first: its answer arrived before these
    if close is not None:
        closed, *replies = replies
        if isinstance(closed, BaseException):  # the server could not finish writing the file
            raise closed
    if pre.stat_kind:
        attrs, *replies = replies
        if isinstance(attrs, BaseException):
            raise attrs
        how = "size"
        if attrs.st_size != size:
            problem = f"server has {attrs.st_size} bytes, expected {size}"
    if problem and reader is not None:
        session.batch([Op("close", arg=reader)], wait=False)
    if caps.read and not problem:
        outcome = _read_back(session, reader, size, reads, replies) if reader is not None else "not read"
        if outcome:
            (handle,) = replies if reader is None else session.batch([Op("open", path, FLAG_READ)])
            if isinstance(handle, OSError) and not denied(handle):
                raise handle
            outcome = None
            if not isinstance(handle, BaseException):
                outcome = _read_back(session, handle, size, reads, session.batch(_read_ops(handle, reads, size)))
        if outcome is not None:
            how, problem = "read-back", outcome
    if problem:
        try:
            session.sftp.remove(path)
        except OSError:  # a drop-box may forbid deleting: empty it instead
            (emptied,) = session.batch([Op("open", path, FLAG_WRITE | FLAG_TRUNC)])
            if _ok(emptied):
                session.batch([Op("close", arg=emptied)])
        raise VerificationFailed(problem)
    return how


def _end_reads(source, size: int, cancel: CancelToken) -> list[tuple[int, bytes]]:
    """The first and last 64 KiB of what was sent: (offset, bytes) to compare with the server's."""
    offsets = sorted({0, max(0, size - CHECK_BYTES)})
    return [(offset, source.read_at(offset, CHECK_BYTES, cancel)) for offset in offsets]


def _read_ops(handle, reads: list[tuple[int, bytes]], size: int) -> list[Op]:
    """Reads of the `reads` regions and of one byte past the end."""
    return [Op("read", arg=(handle, offset, len(want))) for offset, want in reads] + [Op("read", arg=(handle, size, 1))]


def _read_back(session: SftpSession, handle, size: int, reads: list[tuple[int, bytes]], replies: list) -> str | None:
    """The server's answers to `_read_ops` against what was sent: "" the same, else what differs; None if the
    account may open but not read (internal-sftp -P READ). A server may answer a read with fewer bytes than
    asked: the rest is then read on. Closes `handle`."""
    *answers, beyond = replies
    try:
        for (offset, want), got in zip(reads, answers, strict=True):
            if _read_on(session, handle, offset, len(want), got) != want:
                return f"bytes at offset {offset} differ"
        if _read_on(session, handle, size, 1, beyond):
            return f"the server has more than the {size} bytes sent"
        return ""
    except OSError as exc:
        if not denied(exc):
            raise
        return None
    finally:
        session.batch([Op("close", arg=handle)], wait=False)  # its answer is read with the next one


def _read_on(session: SftpSession, handle, offset: int, n: int, got) -> bytes:
    """Complete a read answered short, until `n` bytes or the end of the file."""
    data = b""
    while True:
        if isinstance(got, EOFError):
            return data
        if isinstance(got, BaseException):
            raise got
        data += got
        if not got or len(data) >= n:
            return data
        (got,) = session.batch([Op("read", arg=(handle, offset + len(data), n - len(data)))])


def upload(
    target: SftpTarget,
    source,
    remote_name: str,
    *,
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
    confirm_host_key: ConfirmHostKey | None = None,
    max_attempts: int | None = None,
    backoff_s: float | None = None,
    on_connected: Callable[[], None] | None = None,
    connect_attempts: int | None = None,
    expected_size: int | None = None,
    resume_below: int | None = None,
) -> UploadResult:
    """Upload `source` (FileSource or GrowingFile) as `remote_name`; resumes after network faults.

    `on_connected` is called once, when the first connection is logged in and the remote folder
    checked: from then on a failure keeps the container for a later retry (the server was usable).
    `connect_attempts` caps the attempts made before any connection worked (a dead server is diagnosed in
    seconds, not after every retry). `expected_size` (a container still being packed) helps choose the engine.
    `resume_below`: from an earlier failed upload of the same name (its error's `resume_below`, kept with the
    container in the outbox); a TransferError raised here carries this upload's own."""
    cancel = cancel or CancelToken()
    max_attempts = RETRY_ATTEMPTS if max_attempts is None else max_attempts
    backoff_s = RETRY_BACKOFF_S if backoff_s is None else backoff_s
    if on_connected is not None:
        first_call = on_connected
        called = threading.Event()

        def on_connected() -> None:  # once, even if a later attempt reconnects
            if not called.is_set():
                called.set()
                first_call()

    meter = RateMeter("upload", source.final_size(), progress)
    ever_connected = threading.Event()
    if on_connected is not None:
        notify_connected = on_connected

        def on_connected() -> None:
            ever_connected.set()
            notify_connected()

    bulk_hint = source.final_size() or expected_size
    t0 = time.monotonic()
    attempt, delay = 0, backoff_s
    resume = _Resume(resume_below)
    cipher = ""
    while True:
        attempt += 1
        session = SftpSession(target, confirm_host_key, bulk=_wants_openssh(target, bulk_hint))
        try:
            with session:
                cipher = session.cipher
                meter.total = source.final_size()
                done = _one_attempt(session, source, remote_name, meter, cancel, on_connected, resume)
                return UploadResult(
                    remote_name,
                    session.path(remote_name),
                    done.size,
                    time.monotonic() - t0,
                    attempt,
                    cipher,
                    done.published_by,
                    done.verified_by,
                    session.library,
                )
        except (CancelledError, KeyboardInterrupt):
            _discard_part(target, remote_name)
            raise
        except SodError:  # the source (the container being packed) failed: nothing to publish
            _discard_part(target, remote_name)
            raise
        except TransferError as exc:
            error = exc
        except InputError:  # the settings themselves (a key file that does not open): retrying cannot help
            raise
        except Exception as exc:  # network and SFTP faults: classify, then maybe retry
            error = diagnose_io(exc, session, source.final_size())
        # before any connection worked, `connect_attempts` caps the tries (a dead server is diagnosed in seconds)
        first_connection = connect_attempts is not None and not ever_connected.is_set()
        capped = first_connection and connect_attempts is not None and attempt >= connect_attempts
        if not error.retryable or attempt >= max_attempts or capped:
            error.resume_below = resume.below
            raise error
        meter.update(
            meter._last_done,
            f"{error}; retrying in {delay:.0f} s (attempt {attempt + 1} of "
            f"{connect_attempts if first_connection else max_attempts})",
            force=True,
        )
        if cancel.wait(delay):
            _discard_part(target, remote_name)
            raise CancelledError("cancelled by the user")
        delay = min(delay * 2, 30.0)


def _wants_openssh(target: SftpTarget, size: int | None) -> bool:
    """Whether this upload should ride the system's OpenSSH client (FTP Config → Upload engine)."""
    if target.engine == "openssh":
        return True
    return target.engine == "auto" and size is not None and size >= OPENSSH_MIN_BYTES


def _discard_part(target: SftpTarget, remote_name: str) -> None:
    """After a cancel, remove the partial upload, under either name (a server that forbids renaming has it
    under the final one); best effort, purge-expired also sweeps stale parts."""
    try:
        with SftpSession(target) as s:
            s.batch([Op("remove", s.path(f".{remote_name}.part")), Op("remove", s.path(remote_name))])
    except Exception:
        pass


__all__ = ["upload", "UploadResult", "FileSource", "GrowingFile", "new_remote_name", "ConnectionLost"]
