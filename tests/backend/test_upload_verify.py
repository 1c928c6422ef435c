"""The upload's pipelined read-back (issue 14): first and last 64 KiB and "nothing after the end", against
a real OpenSSH sshd, in one round trip."""

from __future__ import annotations

import os
import sys

from sodclient.progress import CancelToken
from sodclient.transport import FileSource, new_remote_name, upload
from sodclient.transport.capabilities import FLAG_READ, Op
from sodclient.transport.session import SftpSession
from tests.backend.helpers import configure, trust
from tests.profiles import current

upload_module = sys.modules["sodclient.transport.upload"]


def _target():
    return current().settings().sftp()


def _compare(name: str, src) -> str:
    with SftpSession(_target()) as s:
        (handle,) = s.batch([Op("open", s.path(name), FLAG_READ)])
        size = src.stat().st_size
        reads = upload_module._end_reads(FileSource(src), size, CancelToken())
        return upload_module._read_back(s, handle, size, reads, s.batch(upload_module._read_ops(handle, reads, size)))


def test_read_back_catches_changed_ends_and_extra_bytes(sshd, tmp_path):
    configure(sshd)
    trust(sshd, tmp_path)
    src = tmp_path / "payload.bin"
    src.write_bytes(os.urandom(200_000))
    name = new_remote_name()
    assert upload(_target(), FileSource(src), name).verified_by == "read-back"
    remote = sshd.upload_dir / name
    assert _compare(name, src) == ""
    with open(remote, "ab") as f:  # one byte too many
        f.write(b"x")
    assert "more than the 200000 bytes" in _compare(name, src)
    data = bytearray(src.read_bytes())
    data[-5] ^= 1  # the last 64 KiB differ
    remote.write_bytes(bytes(data))
    assert "differ" in _compare(name, src)


def test_short_files_compare_whole(sshd, tmp_path):
    configure(sshd)
    trust(sshd, tmp_path)
    src = tmp_path / "small.bin"
    src.write_bytes(b"tiny")
    name = new_remote_name()
    upload(_target(), FileSource(src), name)
    assert _compare(name, src) == ""
    (sshd.upload_dir / name).write_bytes(b"tin")
    assert "differ" in _compare(name, src)
