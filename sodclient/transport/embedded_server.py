"""A small SFTP server inside the app's process, on loopback, for the demo and the tests (asyncssh).

No system sshd needed, so it also runs on Windows and macOS. One folder, one account (password and/or
public key), a host key of its own. `deny` switches off requests the way hardened hospital servers do
("read", "list", "stat", "rename"), so the app's permission probe can be tried on a second SFTP
implementation. Never listens on anything but the address it is given (the caller passes loopback).
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh

_DENIABLE = {"read", "list", "stat", "rename"}


@dataclass
class EmbeddedSftpServer:
    root: Path  # the folder clients see as "/"
    username: str
    password: str = ""  # empty: no password login
    authorized_keys: str = ""  # OpenSSH authorized_keys text; empty: no key login
    host_key: asyncssh.SSHKey | None = None
    deny: frozenset[str] = frozenset()
    encryption_algs: tuple[str, ...] = ()  # empty: asyncssh's defaults
    host: str = "127.0.0.1"
    port: int = 0  # 0: a free port, read it after start()
    _loop: asyncio.AbstractEventLoop | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)
    _acceptor: Any = field(default=None, repr=False)  # asyncssh's SSHAcceptor

    def __post_init__(self) -> None:
        unknown = set(self.deny) - _DENIABLE
        if unknown:
            raise ValueError(f"cannot deny {sorted(unknown)}; choose from {sorted(_DENIABLE)}")
        if self.host_key is None:
            self.host_key = asyncssh.generate_private_key("ssh-ed25519")

    @property
    def host_key_line(self) -> str:
        """The public host key as one OpenSSH line (for fingerprints and known_hosts)."""
        assert self.host_key is not None  # made in __post_init__
        return self.host_key.export_public_key().decode().strip()

    def host_fingerprint(self) -> str:
        """OpenSSH style "SHA256:...", what the app asks a user to confirm on a first connection."""
        assert self.host_key is not None
        return self.host_key.get_fingerprint("sha256")

    def start(self) -> EmbeddedSftpServer:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        ready = threading.Event()
        errors: list[BaseException] = []
        loop = self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                self._acceptor = loop.run_until_complete(self._listen())
                self.port = self._acceptor.get_port()
            except BaseException as exc:  # reported to start()'s caller
                errors.append(exc)
            ready.set()
            if not errors:
                loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True, name="sod-embedded-sftp")
        self._thread.start()
        ready.wait(30)
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        loop, acceptor = self._loop, self._acceptor
        if loop is None:
            return

        async def shut() -> None:
            if acceptor is not None:
                acceptor.close()
                await acceptor.wait_closed()

        if loop.is_running():
            asyncio.run_coroutine_threadsafe(shut(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        loop.close()
        self._loop = None

    def _listen(self):
        server = self
        keys = asyncssh.import_authorized_keys(self.authorized_keys) if self.authorized_keys else None

        class Auth(asyncssh.SSHServer):
            def begin_auth(self, username: str) -> bool:
                return True

            def password_auth_supported(self) -> bool:
                return bool(server.password)

            def validate_password(self, username: str, password: str) -> bool:
                return (
                    bool(server.password)
                    and secrets.compare_digest(username, server.username)
                    and secrets.compare_digest(password, server.password)
                )

            def public_key_auth_supported(self) -> bool:
                return keys is not None

            def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
                return (
                    keys is not None
                    and username == server.username
                    and bool(keys.validate(key, "127.0.0.1", "127.0.0.1"))
                )

        deny = self.deny

        def sftp_factory(chan):
            return _Restricted(chan, chroot=str(self.root).encode(), deny=deny)

        options = {"encryption_algs": list(self.encryption_algs)} if self.encryption_algs else {}
        return asyncssh.listen(
            self.host,
            self.port,
            server_host_keys=[self.host_key],
            server_factory=Auth,
            sftp_factory=sftp_factory,
            allow_scp=False,
            process_factory=None,
            **options,
        )


class _Restricted(asyncssh.SFTPServer):
    """asyncssh's SFTP server, chrooted, with some requests answered "permission denied"."""

    def __init__(self, chan, chroot: bytes, deny: frozenset[str]):
        super().__init__(chan, chroot=chroot)
        self._deny = deny

    def _refuse(self, what: str) -> None:
        if what in self._deny:
            raise asyncssh.SFTPPermissionDenied(f"{what} not allowed")

    def read(self, file_obj, offset, size):
        self._refuse("read")
        return super().read(file_obj, offset, size)

    def scandir(self, path):
        self._refuse("list")
        return super().scandir(path)

    def stat(self, path):
        self._refuse("stat")
        return super().stat(path)

    def lstat(self, path):
        self._refuse("stat")
        return super().lstat(path)

    def fstat(self, file_obj):
        self._refuse("stat")
        return super().fstat(file_obj)

    def rename(self, oldpath, newpath):
        self._refuse("rename")
        return super().rename(oldpath, newpath)

    def posix_rename(self, oldpath, newpath):
        self._refuse("rename")
        return super().posix_rename(oldpath, newpath)
