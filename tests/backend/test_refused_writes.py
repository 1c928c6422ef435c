"""A write the server refuses in the middle of an upload is caught, and the retry writes that region again.

Before, paramiko's pipelined writes' answers went to no one: a refused write among the last hundred left a
hole of zeros that the size check and the first-and-last 64 KiB read-back both miss, and a resume from the
server's size skipped it too. The server here is a real asyncssh SFTP server on loopback that refuses one
write, once, in the middle of the file; both upload engines must publish exactly the bytes sent.
"""

from __future__ import annotations

import asyncio
import os
import threading

import asyncssh
import pytest

from sodclient.transport import FileSource, new_remote_name, upload
from tests.backend.helpers import configure, trust
from tests.profiles import current
from tests.sftp_servers import PASSWORD, PasswordServer

REFUSE_FROM = 3 * 1024 * 1024  # the first write at or after this offset is refused, once


class _RefusesOneWrite(asyncssh.SFTPServer):
    refused: list[int] = []

    def write(self, file_obj, offset, data):
        if offset >= REFUSE_FROM and not self.refused:
            self.refused.append(offset)
            raise asyncssh.SFTPFailure("simulated I/O error")
        return super().write(file_obj, offset, data)


@pytest.fixture(scope="module")
def flaky_server(tmp_path_factory):
    root = tmp_path_factory.mktemp("flaky-root")
    (root / "in").mkdir()
    host_key = asyncssh.generate_private_key("ssh-ed25519")
    loop = asyncio.new_event_loop()

    class Auth(asyncssh.SSHServer):
        def begin_auth(self, username: str) -> bool:
            return True

        def password_auth_supported(self) -> bool:
            return True

        def validate_password(self, username: str, password: str) -> bool:
            return username == "uploader" and password == PASSWORD

    acceptor = loop.run_until_complete(
        asyncssh.listen(
            "127.0.0.1",
            0,
            server_host_keys=[host_key],
            server_factory=Auth,
            sftp_factory=lambda chan: _RefusesOneWrite(chan, chroot=str(root).encode()),
        )
    )
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield PasswordServer(acceptor.get_port(), root / "in", "/in", host_key.export_public_key().decode().strip())
    loop.call_soon_threadsafe(acceptor.close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.mark.parametrize("engine", ["builtin", "openssh"])
def test_a_refused_write_is_written_again_not_published_as_a_hole(flaky_server, engine, tmp_path):
    _RefusesOneWrite.refused.clear()
    configure(flaky_server, **{"sftp.engine": engine})
    trust(flaky_server, tmp_path)
    src = tmp_path / "payload.bin"
    src.write_bytes(os.urandom(8 * 1024 * 1024))
    name = new_remote_name()
    result = upload(current().settings().sftp(), FileSource(src), name, backoff_s=0.01)
    assert _RefusesOneWrite.refused, "the server never refused a write: the test proves nothing"
    assert result.attempts == 2 and result.library == ("openssh" if engine == "openssh" else "paramiko")
    assert (flaky_server.upload_dir / name).read_bytes() == src.read_bytes()


def test_a_later_retry_resumes_below_the_hole_too(flaky_server, tmp_path):
    """The upload gives up (one attempt allowed); its error says how far the file is surely written, and the
    outbox's retry (another process, maybe days later) passes that back: the hole is written again."""
    from sodclient.errors import TransferError

    _RefusesOneWrite.refused.clear()
    configure(flaky_server, **{"sftp.engine": "builtin"})
    trust(flaky_server, tmp_path)
    src = tmp_path / "payload.bin"
    src.write_bytes(os.urandom(8 * 1024 * 1024))
    name = new_remote_name()
    with pytest.raises(TransferError) as failed:
        upload(current().settings().sftp(), FileSource(src), name, max_attempts=1)
    refused_at = _RefusesOneWrite.refused[0]
    below = failed.value.resume_below
    assert below is not None and below <= refused_at
    part = flaky_server.upload_dir / f".{name}.part"
    assert part.stat().st_size > refused_at  # the server's size is past the hole
    result = upload(current().settings().sftp(), FileSource(src), name, resume_below=below)
    assert (flaky_server.upload_dir / name).read_bytes() == src.read_bytes()
    assert result.attempts == 1
