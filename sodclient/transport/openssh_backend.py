"""Uploads carried by the system's OpenSSH client (`ssh -s sftp`), with the SFTP protocol still spoken here.

Why: paramiko frames and seals every 32 KiB SSH packet in Python, which caps an upload at about 0.6x of
OpenSSH `sftp` on a fast link (BENCHMARKS.md, issue 14); OpenSSH's client does the SSH layer in C. The SFTP
layer stays ours: paramiko's SFTPClient over the client's stdin/stdout for the few metadata requests (so the
probe, publish, resume and verification are the very code the paramiko path runs) and a zero-copy pipelined
writer for the bytes, with requests as large as the server allows (OpenSSH `sftp` sends 32 KiB ones).

Only for a server whose host key the app already trusts: that key is handed to ssh in a private known_hosts
under a fixed alias with StrictHostKeyChecking=yes, so a changed key is refused by ssh too. First contact (the
fingerprint confirmation) and the diagnosis of anything that goes wrong while connecting stay on paramiko: the
session falls back to it, which names the fault exactly. Secrets reach ssh through SSH_ASKPASS from a FIFO in
a 0700 folder, never through its arguments, environment or a file; a passphrase-protected key is opened here
instead (client_key.py) and handed over in an anonymous in-memory file where Linux has them, so ssh runs no KDF.
The user's ~/.ssh/config is not read.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
import select
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import paramiko
from paramiko.sftp import CMD_CLOSE, CMD_WRITE

from sodclient.transport import client_key, hostkeys
from sodclient.transport.errors import DnsFailure, PortClosed, Timeout
from sodclient.transport.session import DEPTH, WriteAnswers

log = logging.getLogger(__name__)

MIN_VERSION = (8, 4)  # SSH_ASKPASS_REQUIRE=force
ALIAS = "sod-pinned-server"
# Put first (`^`: ahead of the client's own defaults, which hold no CBC and no SHA-1 key exchange since 7.x):
# AES-GCM (AES-NI: the fewest cycles per byte, and what the built-in engine negotiates), and curve25519 as the
# built-in engine (OpenSSH 9's default, the post-quantum sntrup761x25519 hybrid, costs ~0.1 s of CPU per
# connection here; the container inside is end-to-end encrypted already, and the hybrid stays in the list).
CIPHERS = "^aes256-gcm@openssh.com,aes128-gcm@openssh.com"
KEX = "^curve25519-sha256,curve25519-sha256@libssh.org"
PIPE_BUFFER = 4 * 1024 * 1024  # our end of ssh's stdin: the kernel caps it at net.core.wmem_max
_STDERR_KEEP = 200  # lines of ssh's -v output kept (in memory only) for the cipher and the diagnosis


class NotCarried(Exception):
    """ssh could not set the session up for a reason paramiko should diagnose (auth, host key, protocol)."""


@functools.lru_cache(maxsize=1)
def client() -> str | None:
    """The OpenSSH client to use, or None (not POSIX, not installed, or older than 8.4)."""
    if os.name != "posix":
        return None
    path = shutil.which("ssh")
    if not path:
        return None
    try:
        banner = subprocess.run([path, "-V"], capture_output=True, text=True, timeout=10, env=_child_env()).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"OpenSSH_(\d+)\.(\d+)", banner)
    if not m or (int(m[1]), int(m[2])) < MIN_VERSION:
        return None
    return path


def _child_env() -> dict[str, str]:
    """Our environment for a system program: without the bundle's library path (PyInstaller sets one that
    would load its own OpenSSL into ssh), without an agent."""
    env = dict(os.environ)
    if getattr(sys, "frozen", False):
        original = env.pop("LD_LIBRARY_PATH_ORIG", None)
        env.pop("LD_LIBRARY_PATH", None)
        if original:
            env["LD_LIBRARY_PATH"] = original
    env.pop("SSH_AUTH_SOCK", None)
    env["LC_ALL"] = "C"  # ssh's messages in English: they are parsed below
    return env


def pinned_keys(target) -> list[paramiko.PKey]:
    entry = hostkeys.load(target.known_hosts).lookup(hostkeys.host_id(target.host, target.port))
    return list(entry.values()) if entry else []


class _Secrets:
    """A private folder holding the pinned host keys and a one-answer SSH_ASKPASS: a FIFO with the secret in
    it (written before ssh starts, never to disk) and a two-line script that reads one line of it."""

    def __init__(self, keys: list[paramiko.PKey], secret: str):
        self.dir = Path(tempfile.mkdtemp(prefix="sod-ssh-"))  # 0700
        self.known_hosts = self.dir / "known_hosts"
        self.known_hosts.write_text("".join(f"{ALIAS} {k.get_name()} {k.get_base64()}\n" for k in keys))
        self.askpass = self.dir / "askpass"
        self._fd: int | None = None
        if secret:
            fifo = self.dir / "answer"
            os.mkfifo(fifo, 0o600)
            self._fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)  # read-write: opening never blocks
            os.write(self._fd, secret.encode() + b"\n")
            self.askpass.write_text(f"#!/bin/sh\nexec head -n 1 {shlex.quote(str(fifo))}\n")
            self.askpass.chmod(0o700)

    def env(self) -> dict[str, str]:
        env = _child_env()
        if self._fd is not None:
            env.update(SSH_ASKPASS=str(self.askpass), SSH_ASKPASS_REQUIRE="force")
        else:
            env["SSH_ASKPASS_REQUIRE"] = "never"
        return env

    def answered(self) -> None:
        """Once logged in (or failed): the secret goes; a second prompt would read end-of-file, never it."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        for name in ("answer", "askpass"):
            (self.dir / name).unlink(missing_ok=True)

    def close(self) -> None:
        """With the connection: the trusted key stays readable until then (a rekey may look at it again)."""
        self.answered()
        shutil.rmtree(self.dir, ignore_errors=True)


def _host_key_algorithms(keys: list[paramiko.PKey]) -> str:
    names: list[str] = []
    for key in keys:
        names += ["rsa-sha2-512", "rsa-sha2-256"] if key.get_name() == "ssh-rsa" else [key.get_name()]
    return ",".join(dict.fromkeys(names))


def command(ssh: str, target, known_hosts: Path, keys: list[paramiko.PKey], identity: str = "") -> list[str]:
    """ssh's arguments: everything set here, nothing from ~/.ssh/config; no secret among them. `identity`: where
    ssh reads the key (default: the key file)."""
    opts = {
        "UserKnownHostsFile": str(known_hosts),
        "GlobalKnownHostsFile": "/dev/null",
        "HostKeyAlias": ALIAS,
        "StrictHostKeyChecking": "yes",
        "CheckHostIP": "no",
        "UpdateHostKeys": "no",
        "HostKeyAlgorithms": _host_key_algorithms(keys),
        "Ciphers": CIPHERS,
        "KexAlgorithms": KEX,
        "Compression": "no",  # containers are compressed and encrypted already
        "ConnectTimeout": str(max(1, int(target.timeout))),
        "ServerAliveInterval": str(max(1, int(target.timeout))),
        "ServerAliveCountMax": "2",
        "BatchMode": "no",  # would forbid the askpass answer
        "NumberOfPasswordPrompts": "1",
        "IdentityAgent": "none",
        "IdentitiesOnly": "yes",
        "ControlMaster": "no",
        "ControlPath": "none",
        "ProxyCommand": "none",
        "ProxyJump": "none",
        "ForwardAgent": "no",
        "ForwardX11": "no",
        "ClearAllForwardings": "yes",
        "PermitLocalCommand": "no",
        "RequestTTY": "no",
        "LogLevel": "DEBUG1",  # the negotiated cipher and the server key's fingerprint, parsed, never logged
    }
    if target.key_file:
        opts.update(PubkeyAuthentication="yes", PasswordAuthentication="no", KbdInteractiveAuthentication="no")
        identity_args = ["-i", identity or target.key_file]
    else:
        opts.update(
            PubkeyAuthentication="no",
            PasswordAuthentication="yes",
            KbdInteractiveAuthentication="no",
            PreferredAuthentications="password",
        )
        identity_args = []
    args = [ssh, "-F", "/dev/null", "-T", "-x", "-a", "-s", "-p", str(target.port), "-l", target.username]
    for name, value in opts.items():
        args += ["-o", f"{name}={value}"]
    return [*args, *identity_args, "--", target.host, "sftp"]


class _Pipe:
    """Our end of ssh's stdin/stdout, as paramiko's SFTPClient wants a channel (send/recv/recv_ready)."""

    def __init__(self, sock: socket.socket):
        self.sock = sock

    def get_name(self) -> str:
        return "openssh"

    def send(self, data) -> int:
        return self.sock.send(data)

    def recv(self, n: int) -> bytes:
        return self.sock.recv(n)

    def recv_ready(self) -> bool:
        return bool(select.select([self.sock], [], [], 0)[0])

    def settimeout(self, seconds: float | None) -> None:
        self.sock.settimeout(seconds)

    def close(self) -> None:
        self.sock.close()


class OpensshConnection:
    """One `ssh -s sftp` process and the SFTP client over it: `.sftp` (paramiko's SFTPClient), `.file()`
    for writing, `.cipher`, `.kex`, `.fingerprint`, `.key_type` as ssh reported them."""

    def __init__(self, ssh: str, target, keys: list[paramiko.PKey]):
        self.target = target
        self.cipher = self.kex = self.fingerprint = self.key_type = ""
        self._lines: list[str] = []
        secret = target.key_passphrase if target.key_file else target.password
        memory_key = None
        if target.key_file and target.key_passphrase and client_key.MemoryKeyFile.available():
            # the key opened here (once per key: client_key), so ssh runs no passphrase KDF and needs no askpass
            memory_key = client_key.MemoryKeyFile(
                client_key.unlocked(target.key_file, target.key_passphrase, target.key_cache)
            )
            secret = ""
        self._secrets = secrets_dir = _Secrets(keys, secret)
        ours, theirs = socket.socketpair()
        with contextlib.suppress(OSError):  # a whole 255 KiB write request fits (the default is 208 KiB): fewer
            ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, PIPE_BUFFER)  # wake-ups for ssh and for us
        try:
            self.proc = subprocess.Popen(
                command(ssh, target, secrets_dir.known_hosts, keys, memory_key.path if memory_key else ""),
                stdin=theirs.fileno(),
                stdout=theirs.fileno(),
                stderr=subprocess.PIPE,
                env=secrets_dir.env(),
                close_fds=True,
                start_new_session=True,  # no terminal: ssh can never prompt on one
            )
        except OSError:
            secrets_dir.close()
            ours.close()
            if memory_key is not None:
                memory_key.close()
            raise NotCarried("ssh did not start") from None
        finally:
            theirs.close()
        self._stderr = threading.Thread(target=self._read_stderr, daemon=True, name="sod-ssh-stderr")
        self._stderr.start()
        self.sock = ours
        ours.settimeout(target.timeout)
        try:
            self.sftp = paramiko.SFTPClient(_Pipe(ours))  # the version exchange: waits for login
        except (OSError, EOFError, paramiko.SSHException) as exc:
            self.close()
            raise self._failure(timed_out=isinstance(exc, TimeoutError)) from None
        finally:
            secrets_dir.answered()
            if memory_key is not None:  # ssh has read it by now (it logs in with it)
                memory_key.close()
        self._parse()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self._lines.append(raw.decode("utf-8", "replace").rstrip())
            del self._lines[:-_STDERR_KEEP]

    def _parse(self) -> None:
        """The cipher, key exchange and server key from ssh's -v lines (printed before login; the reader
        thread may lag a moment behind)."""
        for _ in range(50):
            if any("Server host key:" in line for line in self._lines) or not self._stderr.is_alive():
                break
            time.sleep(0.01)
        for line in list(self._lines):
            if m := re.search(r"kex: client->server cipher: (\S+)", line):
                self.cipher = m[1]
            elif m := re.search(r"kex: algorithm: (\S+)", line):
                self.kex = m[1]
            elif m := re.search(r"Server host key: (\S+) (SHA256:\S+)", line):
                self.key_type, self.fingerprint = m[1], m[2]

    def _failure(self, timed_out: bool = False) -> Exception:
        """What stopped ssh: network faults are named here (asking again through paramiko would wait out the
        same timeout twice); anything else is left to paramiko's diagnosis."""
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self._stderr.join(timeout=2)
        text = "\n".join(self._lines)
        t = self.target
        if "Could not resolve hostname" in text:
            return DnsFailure(t.host)
        if "Connection refused" in text:
            return PortClosed(t.host, t.port)
        if "Network is unreachable" in text or "No route to host" in text:
            return Timeout(t.host, t.port, "connecting (network unreachable)")
        if re.search(r"connect to host .* (timed out|Operation timed out)", text):
            return Timeout(t.host, t.port)
        if "timed out during banner exchange" in text or "Connection timed out" in text:
            return Timeout(t.host, t.port, "waiting for the SSH greeting (is it an SFTP port?)")
        if timed_out:  # our own wait for login ran out first
            return Timeout(t.host, t.port, "greeting the server")
        return NotCarried(_last_error(self._lines))

    def is_active(self) -> bool:
        return self.proc.poll() is None

    def file(self, handle: bytes, mode: str = "r+b") -> PipelinedWriter:
        return PipelinedWriter(self.sftp, self.sock, handle)

    def close(self) -> None:
        try:
            self.sock.close()  # ssh reads end-of-file, closes the channel and exits
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._secrets.close()


# ssh's complaints that name a cause an admin can fix, in words for Test Connection and the support log.
_CAUSES = (
    ("are too open", "it refuses the SFTP key file because other users may read it (chmod 600 fixes that)"),
    ("bad permissions", "it refuses the SFTP key file because other users may read it (chmod 600 fixes that)"),
    ("invalid format", "it cannot read the SFTP key file's format"),
    ("Host key verification failed", "the server's key differs from the trusted one"),
    ("no matching", "it shares no algorithm with the server"),
)


def _last_error(lines: list[str]) -> str:
    """ssh's own complaint (not its debug chatter), for Test Connection and the support log: no secrets."""
    for needle, words in _CAUSES:
        if any(needle in line for line in lines):
            return words
    errors = [line for line in lines if not line.startswith("debug")]
    return errors[-1][:200] if errors else "ssh ended during login"


def connect(target) -> OpensshConnection | None:
    """An SFTP session through OpenSSH for a trusted server, or None when it cannot carry this one (no
    client, host key not trusted yet, or a login paramiko should diagnose). Network faults raise."""
    ssh = client()
    keys = pinned_keys(target)
    attempt = _attempt_id(target, keys)
    if ssh is None or not keys or attempt in _CANNOT:
        return None
    try:
        return OpensshConnection(ssh, target, keys)
    except NotCarried as exc:
        _CANNOT.add(attempt)  # later uploads with the same settings go straight to paramiko
        log.info("OpenSSH client could not log in (%s); using the built-in SSH engine", exc)
        return None


def try_login(target) -> str:
    """For Test Connection: log in through ssh now (whatever earlier attempts found) and return the cipher it
    negotiated; raises NotCarried with ssh's own complaint, or the network diagnosis."""
    ssh = client()
    if ssh is None:
        raise NotCarried(f"no OpenSSH client {MIN_VERSION[0]}.{MIN_VERSION[1]} or newer on this computer")
    keys = pinned_keys(target)
    if not keys:
        raise NotCarried("the server's key is not trusted yet")
    attempt = _attempt_id(target, keys)
    try:
        conn = OpensshConnection(ssh, target, keys)
    except NotCarried:
        _CANNOT.add(attempt)
        raise
    _CANNOT.discard(attempt)
    try:
        return conn.cipher
    finally:
        conn.sftp.close()
        conn.close()


def _attempt_id(target, keys: list[paramiko.PKey]) -> int:
    """Settings and trusted keys of one login, as an in-memory number: a changed setting or key tries ssh again."""
    secret = target.key_passphrase if target.key_file else target.password
    return hash((target.host, target.port, target.username, target.key_file, secret, *(k.get_base64() for k in keys)))


# Logins ssh could not make in this process (an unsupported key format, a key file ssh finds too open...).
_CANNOT: set[int] = set()


class PipelinedWriter:
    """Writes one open handle, up to DEPTH requests in flight: each request's header leaves by sendmsg, its
    data with it from the caller's buffer (write) or straight from a local file by sendfile (write_from);
    answers are read as the window fills, and flush() or close() waits for every one. A failed write raises
    on the next call, or there."""

    MAX_REQUEST_SIZE = 32 * 1024  # the caller sets the server's limit (capabilities.probe)

    def __init__(self, sftp: paramiko.SFTPClient, sock: socket.socket, handle: bytes):
        self.sftp, self.sock, self.handle = sftp, sock, handle
        self.offset = 0
        self.answers = WriteAnswers()
        self._closed = False

    @property
    def in_flight(self) -> int:
        return len(self.answers.pending)

    def safe_end(self) -> int:
        return self.answers.safe_end(self.offset)

    def set_pipelined(self, on: bool = True) -> None:
        """Always pipelined (paramiko's SFTPFile API, kept for the uploader)."""

    def seek(self, offset: int) -> None:
        self.offset = offset

    def write(self, data) -> None:
        view = memoryview(data)
        step = self.MAX_REQUEST_SIZE
        for start in range(0, len(view), step):
            while self.in_flight >= DEPTH:
                self._read_one()
            self._raise_if_failed()
            self._send(view[start : start + step])

    def write_from(self, local, offset: int, count: int) -> None:
        """Like write(), from `count` bytes of an open local file at `offset`: the kernel copies them from the
        page cache to ssh's input (sendfile), with no copy through Python."""
        step = self.MAX_REQUEST_SIZE
        for start in range(offset, offset + count, step):
            while self.in_flight >= DEPTH:
                self._read_one()
            self._raise_if_failed()
            n = min(step, offset + count - start)
            _sendmsg_all(self.sock, [self._header(n)])
            _sendfile_all(self.sock, local.fileno(), start, n)
            self._sent(n)

    def _send(self, chunk: memoryview) -> None:
        _sendmsg_all(self.sock, [self._header(len(chunk)), chunk])
        self._sent(len(chunk))

    def _header(self, n: int) -> bytes:
        """A WRITE request's header for `n` bytes at the current offset, registered for its answer."""
        sftp = self.sftp
        with sftp._lock:
            num = sftp.request_number
            sftp.request_number += 1
            sftp._expecting[num] = self
        self.answers.sent(num, self.offset)
        h = self.handle
        return (
            struct.pack(">IBII", 1 + 4 + 4 + len(h) + 8 + 4 + n, CMD_WRITE, num, len(h))
            + h
            + struct.pack(">QI", self.offset, n)
        )

    def _sent(self, n: int) -> None:
        self.offset += n

    def _read_one(self) -> None:
        self.sftp._read_response()  # reads one answer and hands it to its owner (ours: _async_response)

    def _async_response(self, t: int, msg: paramiko.Message, num: int) -> None:
        """paramiko's SFTPClient calls this with the answer to one of our requests."""
        self.answers.take(self.sftp, t, msg, num)

    def _raise_if_failed(self) -> None:
        self.answers.raise_refusal()

    def flush(self) -> None:
        while self.in_flight:
            self._read_one()
        self._raise_if_failed()

    def abandon(self) -> None:
        """After a failure: take in the answers already here (they tell how far the file is surely written)
        without waiting for more, and send nothing (the connection is closed next)."""
        self.answers.take_arrived(self.sftp, _Pipe(self.sock).recv_ready)
        self._closed = True

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.flush()
        except BaseException:
            try:  # best effort: the connection may be gone, and the first error is the one to report
                self.sftp._request(CMD_CLOSE, self.handle)
            except Exception:
                pass
            raise
        self.sftp._request(CMD_CLOSE, self.handle)

    def __enter__(self) -> PipelinedWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _sendfile_all(sock: socket.socket, fd: int, offset: int, count: int) -> None:
    """os.sendfile until `count` bytes are out, waiting (up to the socket's timeout) only when ssh's input is full
    (socket.sendfile would poll before every call)."""
    while count:
        try:
            n = os.sendfile(sock.fileno(), fd, offset, count)
        except BlockingIOError:
            if not select.select([], [sock], [], sock.gettimeout())[1]:
                raise TimeoutError("ssh took no data") from None
            continue
        if n == 0:
            raise OSError("the local file became shorter during the upload")
        offset += n
        count -= n


def _sendmsg_all(sock: socket.socket, parts: list) -> None:
    """sendmsg until every byte of `parts` is out (a socket with a timeout may take part of them)."""
    views = [memoryview(p).cast("B") for p in parts]
    while views:
        sent = sock.sendmsg(views)
        if sent <= 0:
            raise EOFError("ssh closed its input")
        while views and sent >= len(views[0]):
            sent -= len(views[0])
            views.pop(0)
        if views and sent:
            views[0] = views[0][sent:]


__all__ = ["connect", "client", "try_login", "NotCarried", "OpensshConnection", "PipelinedWriter"]
