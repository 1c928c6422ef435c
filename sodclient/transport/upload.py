"""Resumable, verified SFTP upload that a recipient can never see half-done.

Bytes go to `.<name>.part` in the remote folder, then are renamed into place (posix-rename where
the server offers it). After a network fault we reconnect with backoff and continue from the
size the server already has. Verification is size + comparing the first and last 64 KiB read
back (cheap, catches misplaced resumes and truncation); end-to-end integrity of every byte is the
container's own AEAD authentication, which the recipient checks before importing anything.
OpenSSH's sftp-server offers no `check-file` hash extension, and reading GBs back would double
the transfer time, so we do not.
"""

from __future__ import annotations

import os
import secrets
import base64
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sodformat.errors import CancelledError, SodError

from sodclient.progress import CancelToken, ProgressSink, RateMeter, no_progress
from sodclient.transport.errors import ConnectionLost, DiskFull, TransferError, VerificationFailed
from sodclient.transport.session import ConfirmHostKey, SftpSession, SftpTarget, diagnose_io

WRITE_CHUNK = 1024 * 1024
RETRY_ATTEMPTS = 6          # connection attempts per upload before giving up
RETRY_BACKOFF_S = 1.0       # first wait; doubles each time, at most 30 s
CHECK_BYTES = 64 * 1024


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
        self._f = None

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

    def read_at(self, offset: int, n: int, cancel: CancelToken) -> bytes:
        with self._cond:
            while True:
                if self._error is not None:
                    raise self._error
                cancel.raise_if_cancelled()
                if self._available > offset or self._final is not None:
                    end = min(offset + n, self._available)
                    break
                self._cond.wait(0.2)
        if end <= offset:
            return b""
        if self._f is None:
            self._f = open(self.path, "rb")
        self._f.seek(offset)
        return self._f.read(end - offset)

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


def _one_attempt(session: SftpSession, source, remote_name: str, meter: RateMeter,
                 cancel: CancelToken, on_connected) -> int:
    sftp = session.sftp
    part, final = session.path(f".{remote_name}.part"), session.path(remote_name)
    pre = session.preflight(part)
    size = source.final_size()
    offset = pre.part_size or 0
    if size is not None and offset > size:
        offset = 0
    if size is not None and pre.free is not None and pre.free < size - offset:
        raise DiskFull(size - offset, pre.free)
    if on_connected is not None:
        on_connected()
    try:
        f = sftp.open(part, "r+b" if offset else "wb", bufsize=0)   # no extra copy: we write 1 MiB at a time
    except OSError as exc:
        raise diagnose_io(exc, session, size) from None
    try:
        f.MAX_REQUEST_SIZE = pre.max_write
        f.set_pipelined(True)
        f.seek(offset)
        meter.update(offset, "resuming" if offset else "", force=True)
        while True:
            cancel.raise_if_cancelled()
            data = source.read_at(offset, WRITE_CHUNK, cancel)
            if not data:
                break
            f.write(data)
            offset += len(data)
            meter.update(offset)
    finally:
        f.close()   # waits for every pipelined write to be acknowledged; raises if one failed
    size = source.final_size()
    _verify(session, part, source, size, cancel)
    session.rename_into_place(part, final)
    meter.update(size, force=True)
    return size


def _verify(session: SftpSession, part: str, source, size: int, cancel: CancelToken) -> None:
    """Size, then the first and last 64 KiB; a mismatch removes the part so the retry starts afresh."""
    problem = ""
    remote_size = session.sftp.stat(part).st_size
    if remote_size != size:
        problem = f"server has {remote_size} bytes, expected {size}"
    else:
        with session.sftp.open(part, "rb") as rf:
            for offset in sorted({0, max(0, size - CHECK_BYTES)}):
                rf.seek(offset)
                if rf.read(CHECK_BYTES) != source.read_at(offset, CHECK_BYTES, cancel):
                    problem = f"bytes at offset {offset} differ"
                    break
    if problem:
        session.sftp.remove(part)
        raise VerificationFailed(problem)


def upload(target: SftpTarget, source, remote_name: str, *, progress: ProgressSink = no_progress,
           cancel: CancelToken | None = None, confirm_host_key: ConfirmHostKey | None = None,
           max_attempts: int | None = None, backoff_s: float | None = None,
           on_connected: Callable[[], None] | None = None, connect_attempts: int | None = None) -> UploadResult:
    """Upload `source` (FileSource or GrowingFile) as `remote_name`; resumes after network faults.

    `on_connected` is called once, when the first connection is logged in and the remote folder
    checked: the send pipeline starts compressing then, so the CPU-heavy handshake does not compete
    with it, and nothing is packed for a server we cannot use. `connect_attempts` caps the attempts made
    before any connection worked (a dead server is diagnosed in seconds, not after every retry)."""
    cancel = cancel or CancelToken()
    max_attempts = RETRY_ATTEMPTS if max_attempts is None else max_attempts
    backoff_s = RETRY_BACKOFF_S if backoff_s is None else backoff_s
    if on_connected is not None:
        first_call = on_connected
        called = threading.Event()

        def on_connected() -> None:   # once, even if a later attempt reconnects
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
    t0 = time.monotonic()
    attempt, delay = 0, backoff_s
    cipher = ""
    while True:
        attempt += 1
        session = SftpSession(target, confirm_host_key)
        try:
            with session:
                cipher = session.cipher
                meter.total = source.final_size()
                size = _one_attempt(session, source, remote_name, meter, cancel, on_connected)
                return UploadResult(remote_name, session.path(remote_name), size, time.monotonic() - t0,
                                    attempt, cipher)
        except (CancelledError, KeyboardInterrupt):
            _discard_part(target, remote_name)
            raise
        except SodError:  # the source (the container being packed) failed: nothing to publish
            _discard_part(target, remote_name)
            raise
        except TransferError as exc:
            error = exc
        except Exception as exc:  # network and SFTP faults: classify, then maybe retry
            error = diagnose_io(exc, session, source.final_size())
        first_connection = connect_attempts is not None and not ever_connected.is_set()
        if not error.retryable or attempt >= max_attempts or (first_connection and attempt >= connect_attempts):
            raise error
        meter.update(meter._last_done, f"{error}; retrying in {delay:.0f} s (attempt {attempt + 1} of "
                     f"{connect_attempts if first_connection else max_attempts})", force=True)
        if cancel.wait(delay):
            _discard_part(target, remote_name)
            raise CancelledError("cancelled by the user")
        delay = min(delay * 2, 30.0)


def _discard_part(target: SftpTarget, remote_name: str) -> None:
    """After a cancel, remove the partial upload (best effort; purge-expired also sweeps stale parts)."""
    try:
        with SftpSession(target) as s:
            s.sftp.remove(s.path(f".{remote_name}.part"))
    except Exception:
        pass


__all__ = ["upload", "UploadResult", "FileSource", "GrowingFile", "new_remote_name", "ConnectionLost"]
