"""The SSH session on asyncssh, for servers paramiko cannot talk to (chacha20-poly1305-only, for one).

asyncssh is a maintained SSH library with chacha20-poly1305@openssh.com (through `cryptography`'s
ChaCha20 and Poly1305: nothing hand-rolled). It runs on its own event-loop thread; this module gives
the rest of the transport the same blocking calls it uses with paramiko (`sftp.stat`, `sftp.open`,
`batch`, `file`...), so host-key pinning, resume, the permission probe and every diagnosis stay in one
place. Host keys are checked by `SftpSession._check_host_key`, the same code as for paramiko, before
any credential is sent.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import errno
import functools
import os
import threading
from collections.abc import Callable

import asyncssh
import paramiko
from paramiko.sftp_attr import SFTPAttributes

from sodclient.transport.algorithms import Algorithms
from sodclient.transport.capabilities import Op

WRITE_WINDOW = 16 * 1024 * 1024  # bytes of writes in flight before `write` waits for acknowledgements


class AuthRejected(Exception):
    """The server refused the user name, password or key."""


def _os_error(exc: BaseException) -> BaseException:
    """asyncssh's SFTP errors as the OSError subclasses paramiko raises, so callers handle one kind."""
    if isinstance(exc, asyncssh.PermissionDenied):  # a DisconnectError: check it before the others
        return AuthRejected(str(exc))
    if isinstance(
        exc, (asyncssh.SFTPConnectionLost, asyncssh.SFTPNoConnection, asyncssh.DisconnectError, asyncssh.ConnectionLost)
    ):
        return ConnectionError(str(exc))
    if isinstance(exc, asyncssh.SFTPNoSuchFile):
        return FileNotFoundError(errno.ENOENT, exc.reason)
    if isinstance(exc, asyncssh.SFTPPermissionDenied):
        return PermissionError(errno.EACCES, exc.reason)
    if isinstance(exc, (asyncssh.SFTPNoSpaceOnFilesystem, asyncssh.SFTPQuotaExceeded)):
        return OSError(errno.ENOSPC, exc.reason)
    if isinstance(exc, asyncssh.SFTPEOFError):
        return EOFError(exc.reason)
    if isinstance(exc, asyncssh.SFTPError):
        return OSError(exc.reason)
    return exc


def _attrs(a: asyncssh.SFTPAttrs, filename: str = "") -> SFTPAttributes:
    out = SFTPAttributes()
    out.st_size, out.st_mode, out.st_mtime = a.size, a.permissions, a.mtime
    out.filename = filename
    return out


class _Loop:
    """A private asyncio loop on a daemon thread; `run` blocks the caller until a coroutine finishes."""

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self._run, daemon=True, name="sod-asyncssh").start()

    def _run(self) -> None:
        self.loop.run_forever()
        self.loop.close()

    def submit(self, awaitable) -> concurrent.futures.Future:
        return asyncio.run_coroutine_threadsafe(_await(awaitable), self.loop)

    def run(self, coro, timeout: float | None = None):
        return self.wait(self.submit(coro), timeout)

    def wait(self, future: concurrent.futures.Future, timeout: float | None = None):
        try:
            return future.result(timeout or self.timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError("no answer from the server") from None
        except BaseException as exc:
            raise _os_error(exc) from None

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


async def _await(awaitable):
    """asyncssh.connect() returns an awaitable context manager, not a coroutine."""
    return await awaitable


class RemoteFile:
    """Blocking file object over an asyncssh SFTP file, with writes kept in flight like paramiko's pipelining."""

    MAX_REQUEST_SIZE = 32 * 1024

    def __init__(self, loop: _Loop, f: asyncssh.SFTPClientFile):
        self._loop, self._f = loop, f
        self._pos = 0
        self._pending: list[tuple[concurrent.futures.Future, int, int]] = []  # (write, offset, length)
        self._failed_at: int | None = None

    def set_pipelined(self, on: bool = True) -> None:
        pass  # writes are always pipelined here

    def seek(self, offset: int) -> None:
        self._pos = offset

    def write(self, data: bytes) -> None:
        step = self.MAX_REQUEST_SIZE
        for i in range(0, len(data), step):
            piece = bytes(data[i : i + step])
            self._pending.append((self._loop.submit(self._f.write(piece, self._pos)), self._pos, len(piece)))
            self._pos += len(piece)
        while sum(n for _, _, n in self._pending) > WRITE_WINDOW:
            self._wait_oldest()

    def _wait_oldest(self) -> None:
        future, offset, _ = self._pending[0]
        try:
            self._loop.wait(future)
        except BaseException:
            self._failed_at = offset if self._failed_at is None else min(self._failed_at, offset)
            raise
        self._pending.pop(0)

    def safe_end(self) -> int:
        """Every byte below this offset was acknowledged written (upload.py resumes from at most here)."""
        return min(
            [
                self._pos,
                *(offset for _, offset, _ in self._pending),
                *([] if self._failed_at is None else [self._failed_at]),
            ]
        )

    def abandon(self) -> None:
        """After a failure: take in the answers already here, without waiting for more."""
        with contextlib.suppress(BaseException):
            while self._pending and self._pending[0][0].done():
                self._wait_oldest()

    def read(self, n: int) -> bytes:
        data = self._loop.run(self._f.read(n, self._pos))
        self._pos += len(data)
        return data

    def close(self) -> None:
        try:
            while self._pending:
                self._wait_oldest()
        finally:
            self._loop.run(self._f.close())

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class BlockingSftp:
    """The subset of paramiko.SFTPClient the app uses, over asyncssh."""

    def __init__(self, loop: _Loop, client: asyncssh.SFTPClient):
        self._loop, self._client = loop, client

    def stat(self, path: str) -> SFTPAttributes:
        return _attrs(self._loop.run(self._client.stat(path)))

    def remove(self, path: str) -> None:
        self._loop.run(self._client.remove(path))

    def rename(self, src: str, dst: str) -> None:
        self._loop.run(self._client.rename(src, dst))

    def posix_rename(self, src: str, dst: str) -> None:
        self._loop.run(self._client.posix_rename(src, dst))

    def listdir_attr(self, path: str) -> list[SFTPAttributes]:
        names = self._loop.run(self._client.readdir(path))
        return [_attrs(n.attrs, n.filename) for n in names if n.filename not in (".", "..")]

    def open(self, path: str, mode: str = "rb", bufsize: int = -1) -> RemoteFile:
        return RemoteFile(self._loop, self._loop.run(self._client.open(path, mode, encoding=None)))


@functools.lru_cache(maxsize=4)  # retries and later sends in the same process skip the passphrase KDF
def _client_key(path: str, passphrase: str, _mtime: int, _size: int) -> asyncssh.SSHKey:
    return asyncssh.read_private_key(path, passphrase or None)


class AsyncsshConnection:
    """One logged-in asyncssh connection with an SFTP client. `check_host_key(paramiko.PKey)` raises the
    app's host-key diagnoses; it runs before authentication."""

    def __init__(
        self,
        target,
        algorithms: Algorithms,
        check_host_key: Callable[[paramiko.PKey], None],
        key_loader,
        host_key_only: bool,
    ):
        self.target = target
        self._loop = _Loop(target.timeout)
        self._conn: asyncssh.SSHClientConnection | None = None
        self.sftp: BlockingSftp | None = None
        self.cipher = ""
        host_key_error: list[BaseException] = []
        checked = threading.Event()

        class Client(asyncssh.SSHClient):
            def validate_host_public_key(self, host, addr, port, key) -> bool:
                try:
                    check_host_key(paramiko.PKey.from_type_string(key.get_algorithm(), key.public_data))
                except BaseException as exc:  # handed to the caller once connect() gives up
                    host_key_error.append(exc)
                    return False
                checked.set()
                return not host_key_only

        t = target
        options = dict(
            known_hosts=lambda *_: ([], [], []),
            username=t.username,
            client_keys=None,
            password=None,
            agent_path=None,
            kbdint_auth=False,
            gss_auth=False,
            host_based_auth=False,
            encryption_algs=list(algorithms.ciphers),
            kex_algs=list(algorithms.kex),
            server_host_key_algs=list(algorithms.host_keys),
            login_timeout=t.timeout,
            connect_timeout=t.timeout,
            client_factory=Client,
            ignore_encrypted=True,
        )
        if not host_key_only:
            if key_loader is not None:
                key_loader.result()  # paramiko read it first: its errors are the app's key diagnoses
                st = os.stat(t.key_file)
                options["client_keys"] = [_client_key(t.key_file, t.key_passphrase, st.st_mtime_ns, st.st_size)]
            else:
                options.update(password=t.password, preferred_auth="password")
        try:
            self._conn = self._loop.run(asyncssh.connect(t.host, t.port, **options), t.timeout * 2)
        except BaseException:
            self.close()
            if host_key_error:
                raise host_key_error[0] from None
            if host_key_only and checked.is_set():
                return
            raise
        self.cipher = self._conn.get_extra_info("send_cipher") or ""
        if host_key_only:
            return
        self.sftp = BlockingSftp(self._loop, self._loop.run(self._conn.start_sftp_client()))

    def is_active(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    def file(self, handle, mode: str) -> RemoteFile:
        return handle

    def batch(self, ops: list[Op], wait: bool = True) -> list:
        """Run the requests in order (asyncssh pipelines each file's reads and writes, not requests across
        calls; this backend serves the rare server paramiko cannot, so clarity wins over round trips)."""
        future = self._loop.submit(self._batch(ops))
        return self._loop.wait(future) if wait else []

    async def _batch(self, ops: list[Op]) -> list:
        assert self.sftp is not None  # a batch runs on an open SFTP session
        client = self.sftp._client
        out: list = []
        for op in ops:
            try:
                out.append(await self._one(client, op))
            except (asyncssh.SFTPError, OSError) as exc:
                if isinstance(exc, (asyncssh.SFTPConnectionLost, asyncssh.SFTPNoConnection)):
                    raise
                out.append(_os_error(exc))
        return out

    async def _one(self, client: asyncssh.SFTPClient, op: Op):
        if op.kind in ("stat", "lstat"):
            return _attrs(await (client.stat if op.kind == "stat" else client.lstat)(op.path))
        if op.kind == "limits":
            return client.limits.max_write_len
        if op.kind == "statvfs":
            v = await client.statvfs(op.path)
            return v.frsize * v.bavail
        if op.kind == "opendir":
            await client._handler.close(await client._handler.opendir(op.path.encode()))
            return True
        if op.kind == "open":
            f = await client.open(op.path, op.arg, encoding=None)
            return RemoteFile(self._loop, f)
        if op.kind == "read":  # arg: (handle, offset, length); b"" at the end of the file
            handle, offset, length = op.arg
            return await handle._f.read(length, offset)
        if op.kind == "close":
            await op.arg._f.close()
            return True
        if op.kind == "posix-rename":
            await client.posix_rename(op.path, op.arg)
            return True
        if op.kind == "rename":
            await client.rename(op.path, op.arg)
            return True
        if op.kind == "remove":
            await client.remove(op.path)
            return True
        raise ValueError(op.kind)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            try:
                self._loop.run(self._conn.wait_closed(), 5)
            except BaseException:  # closing a dead connection must not hide the real error
                pass
        self._loop.stop()
