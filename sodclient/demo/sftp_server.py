"""An embedded SFTP server (asyncssh) for the demo: no system sshd needed, so the demo runs the same on
Linux, Windows and macOS.

It listens on 127.0.0.1 on a free port, accepts one generated account (password login), and serves one
folder as the root of the SFTP tree (chroot), so `remote_dir` is "/". asyncssh answers the OpenSSH
extensions the uploader uses (limits, statvfs, posix-rename), so the real upload path runs unchanged.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh

log = logging.getLogger("sodclient.demo")


@dataclass
class SftpServer:
    root: Path  # the folder SFTP clients see as "/"
    host_key_file: Path  # generated on first start (OpenSSH private key, 0600)
    username: str = "demo"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18), repr=False)
    host: str = "127.0.0.1"
    port: int = 0  # set by start()
    _loop: asyncio.AbstractEventLoop | None = field(default=None, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)
    _acceptor: Any = field(default=None, init=False, repr=False)  # asyncssh's SSHAcceptor

    def host_public_key(self) -> str:
        """The host key in OpenSSH public form ("ssh-ed25519 AAAA..."), for the client's known_hosts."""
        return asyncssh.read_private_key(str(self.host_key_file)).export_public_key().decode().strip()

    def host_fingerprint(self) -> str:
        """OpenSSH style "SHA256:...", what the app asks a user to confirm on a first connection."""
        return asyncssh.read_private_key(str(self.host_key_file)).get_fingerprint("sha256")

    def start(self) -> SftpServer:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self.host_key_file.exists():
            key = asyncssh.generate_private_key("ssh-ed25519")
            self.host_key_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            key.write_private_key(str(self.host_key_file))
            self.host_key_file.chmod(0o600)
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = self._loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                self._acceptor = loop.run_until_complete(self._listen())
                self.port = self._acceptor.get_port()
            except BaseException as exc:  # handed to start()'s caller
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()

        self._thread = threading.Thread(target=run, name="demo-sftp", daemon=True)
        self._thread.start()
        ready.wait(30)
        if failure:
            raise failure[0]
        log.info("demo SFTP server listening on loopback")
        return self

    async def _listen(self):
        root = str(self.root).encode()
        username, password = self.username, self.password

        class Server(asyncssh.SSHServer):
            def begin_auth(self, user: str) -> bool:
                return True

            def password_auth_supported(self) -> bool:
                return True

            def validate_password(self, user: str, pw: str) -> bool:
                return secrets.compare_digest(user, username) and secrets.compare_digest(pw, password)

        return await asyncssh.listen(
            self.host,
            self.port,
            server_factory=Server,
            server_host_keys=[str(self.host_key_file)],
            sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=root),
            allow_scp=False,
            process_factory=None,
            encryption_algs=[
                "aes256-gcm@openssh.com",
                "aes128-gcm@openssh.com",
                "chacha20-poly1305@openssh.com",
                "aes256-ctr",
            ],
        )

    def stop(self) -> None:
        loop, acceptor = self._loop, self._acceptor
        if loop is None:
            return

        async def close() -> None:
            if acceptor is not None:
                acceptor.close()
                await acceptor.wait_closed()

        if loop.is_running():
            asyncio.run_coroutine_threadsafe(close(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        loop.close()
        self._loop = None
        log.info("demo SFTP server stopped")
