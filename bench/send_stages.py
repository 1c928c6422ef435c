"""`sodclient send` in this process with a timestamp on every stage: where a send's fixed costs go.

    python3 bench/send_stages.py SEND-ARGS...     (run by bench_send.py --stages, with its environment)

The same `sodclient.cli.main(["send", ...])` a user runs; the stages are timed by wrapping the functions
that do them (nothing else changes). Prints one `STAGES {json}` line: stage -> [start s, end s] measured
from interpreter start (time.perf_counter at the top of this file, before any sodclient import).
"""

from __future__ import annotations

import json
import sys
import threading
import time

T0 = time.perf_counter()
STAGES: dict[str, list[float]] = {}
_lock = threading.Lock()


def _mark(name: str, start: float, end: float) -> None:
    with _lock:
        span = STAGES.setdefault(name, [start - T0, end - T0])
        span[0], span[1] = min(span[0], start - T0), max(span[1], end - T0)


def _timed(owner, attr: str, name: str, first_only: bool = False) -> None:
    inner = getattr(owner, attr)

    def wrapper(*args, **kwargs):
        if first_only and name in STAGES:
            return inner(*args, **kwargs)
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            _mark(name, start, time.perf_counter())

    setattr(owner, attr, wrapper)


def main() -> int:
    from sodclient import cli  # the CLI and the send command's own imports, as `sodclient send` pays them
    from sodclient.commands import send as send_command

    _mark("imports (interpreter start -> send module loaded)", T0, time.perf_counter())
    import paramiko

    from sodclient import profile as profile_module
    from sodclient.notify import smtp
    from sodclient.services import send as send_service
    from sodclient.transport import openssh_backend, session
    from sodformat import recipients

    upload_module = sys.modules["sodclient.transport.upload"]
    _timed(session.SftpSession, "_handshake", "SSH connect + key exchange + auth + SFTP start")
    _timed(session.SftpSession, "_authenticate", "  of which: authentication")
    _timed(openssh_backend, "connect", "OpenSSH engine: ssh start + key exchange + auth + SFTP start")
    _timed(recipients, "_argon2", "Argon2id (transfer passphrase)")
    _timed(profile_module.Profile, "from_environment", "profile (paths, vault)")
    _timed(send_command, "unlock_identity", "signing identity unlocked")
    _timed(send_command, "preflight", "preflight (settings, recipients)")
    _timed(send_service, "collect_sources", "inputs listed (collect_sources)")
    _timed(upload_module, "probe", "folder/permission probe (1 round trip)")
    _timed(send_service._TailedWriter, "write", "first container bytes written (spool)", first_only=True)
    _timed(send_service, "pack", "pack (whole container)")
    _timed(paramiko.SFTPFile, "write", "upload writes (first call -> last call)")
    _timed(openssh_backend.PipelinedWriter, "write_from", "upload writes, OpenSSH engine (first -> last call)")
    _timed(upload_module, "_verify", "verify (size + read-back, pipelined)")
    _timed(paramiko.SFTPClient, "posix_rename", "publish (posix-rename)")
    _timed(smtp, "send_message", "notification mail (SMTP STARTTLS)")
    try:
        code = cli.main(["send", *sys.argv[1:]])
    finally:
        _mark("whole send (interpreter start -> done)", T0, time.perf_counter())
        print("STAGES " + json.dumps(STAGES), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
