"""One authenticated SFTP connection, with host-key policy and fault diagnosis.

Why not paramiko.SSHClient: we need the server's key *before* deciding (to offer the SHA-256
fingerprint to the user), our own known_hosts, AES-GCM first, and large windows for throughput.
When paramiko shares no cipher, key exchange or host-key type with the server (chacha20-poly1305-only
servers) but asyncssh does, the same session runs on asyncssh (`asyncssh_backend`); the server's
offer is recorded either way, so a mismatch is diagnosed by name.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import errno
import functools
import logging
import socket
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paramiko
from paramiko.sftp import (
    CMD_ATTRS,
    CMD_CLOSE,
    CMD_DATA,
    CMD_EXTENDED,
    CMD_EXTENDED_REPLY,
    CMD_HANDLE,
    CMD_LSTAT,
    CMD_OPEN,
    CMD_OPENDIR,
    CMD_READ,
    CMD_REMOVE,
    CMD_RENAME,
    CMD_STAT,
    CMD_STATUS,
    CMD_WRITE,
    int64,
)
from paramiko.sftp_attr import SFTPAttributes

from sodclient.transport import algorithms, client_key, hostkeys
from sodclient.transport.capabilities import Op
from sodclient.transport.errors import (
    AuthFailed,
    ConnectionLost,
    DnsFailure,
    HostKeyChanged,
    PermissionDenied,
    PortClosed,
    ProtocolFailure,
    RemoteFolderMissing,
    Timeout,
    TransferError,
    UnknownHostKey,
)

# paramiko logs tracebacks at ERROR for failures this module diagnoses itself (a cipher mismatch, a dropped
# link); with no logging configured Python would print them on stderr beside the one-line diagnosis.
for _name in ("paramiko", "asyncssh"):
    logging.getLogger(_name).addHandler(logging.NullHandler())

# (host, fingerprint, key type) -> True to trust this key from now on
ConfirmHostKey = Callable[[str, str, str], bool]

WINDOW_SIZE = 16 * 1024 * 1024
MAX_PACKET = 32 * 1024
# Write requests in flight, on either engine: 64 x 255 KiB covers a 1 Gbit/s x 120 ms path. Their answers are
# tracked one by one (WriteAnswers): a retry resumes from the first byte not acknowledged written.
DEPTH = 64


@dataclass(frozen=True)
class SftpTarget:
    host: str
    port: int
    username: str
    remote_dir: str
    password: str = ""
    key_file: str = ""
    key_passphrase: str = ""
    timeout: float = 20.0
    known_hosts: Path = Path("known_hosts")  # the profile's own trust store (config.Settings.sftp() sets it)
    engine: str = "auto"  # uploads on the system's OpenSSH client: "auto" large ones, "openssh" all, "builtin" none
    key_cache: client_key.KeyCache | None = field(default=None, compare=False)  # the profile's opened keys

    def __repr__(self) -> str:
        return f"SftpTarget({self.username}@{self.host}:{self.port}{self.remote_dir})"


def _open_socket(target: SftpTarget) -> socket.socket:
    """TCP_NODELAY: requests that follow one another (a CLOSE, then the publish) must not wait a round trip
    for Nagle's algorithm; write requests still leave in full segments (TCP_CORK, below)."""
    try:
        sock = socket.create_connection((target.host, target.port), timeout=target.timeout)
    except socket.gaierror:
        raise DnsFailure(target.host) from None
    except ConnectionRefusedError:
        raise PortClosed(target.host, target.port) from None
    except TimeoutError:
        raise Timeout(target.host, target.port) from None
    except OSError as exc:
        if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            raise Timeout(target.host, target.port, "connecting (network unreachable)") from None
        raise ConnectionLost(target.host) from None
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _load_key(target: SftpTarget) -> paramiko.PKey:
    return client_key.load(target.key_file, target.key_passphrase, target.key_cache)


def _in_background(fn, *args) -> concurrent.futures.Future:
    future: concurrent.futures.Future = concurrent.futures.Future()

    def run() -> None:
        try:
            future.set_result(fn(*args))
        except BaseException as exc:  # handed to whoever calls future.result()
            future.set_exception(exc)

    threading.Thread(target=run, daemon=True, name="sod-key-load").start()
    return future


_CORK: int | None = getattr(socket, "TCP_CORK", None)  # Linux


def _send_request_corked(channel: paramiko.Channel, sock: socket.socket, out: bytes) -> None:
    """paramiko's `BaseSFTP._write_all` for one SFTP request, with the TCP socket corked meanwhile.

    A 255 KiB write request leaves as eight SSH packets (the server's channels take 32 KiB each), each its
    own send(2); corked, the kernel sends them as full-sized segments when the request is complete: fewer
    segments and wake-ups for every hop to the server. A memoryview replaces paramiko's `out = out[n:]`,
    which copied the rest of the request after every packet."""
    view = memoryview(out)
    corked = False
    try:
        if _CORK is not None:
            sock.setsockopt(socket.IPPROTO_TCP, _CORK, 1)
            corked = True
    except OSError:
        pass
    try:
        while view:
            n = channel.send(view)
            if n <= 0:
                raise EOFError()
            view = view[n:]
    finally:
        if corked and _CORK is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, _CORK, 0)
            except OSError:
                pass


def _trusted_types_first(t: SftpTarget, key_types) -> list[str]:
    """Ask for the key type we already trust, so a change is a real change."""
    known = hostkeys.load(t.known_hosts).lookup(hostkeys.host_id(t.host, t.port)) or {}
    return [k for k in key_types if k in known.keys()] + [k for k in key_types if k not in known.keys()]


# Servers paramiko could not negotiate with in this process, with their offer: retries and later sends go
# straight to asyncssh (one TCP connection and handshake less each time).
_PARAMIKO_CANNOT: dict[tuple[str, int], algorithms.ServerOffer] = {}


def forget_negotiation(host: str, port: int) -> None:
    """Try paramiko first again for this server (its configuration changed, or the port now serves another)."""
    _PARAMIKO_CANNOT.pop((host, port), None)


class _OfferRecordingTransport(paramiko.Transport):
    """paramiko's Transport, keeping the server's algorithm lists: a failed negotiation can then say what
    the server offers, and the session can switch to asyncssh when that one has a match."""

    server_offer: algorithms.ServerOffer | None = None

    def _parse_kex_init(self, m):
        try:
            raw = m.asbytes()[m.packet.tell() :]
            self.server_offer = algorithms.ServerOffer.from_kexinit(self._really_parse_kex_init(paramiko.Message(raw)))
        except Exception:  # a paramiko without this parser: the diagnoses just know less, the handshake goes on
            self.server_offer = None
        return super()._parse_kex_init(m)


class SftpSession:
    """Context manager: `with SftpSession(target, confirm) as s: s.sftp.stat(...)`.

    `s.sftp` is a paramiko SFTPClient, or the same calls over asyncssh; `s.batch` sends pipelined
    requests (see capabilities.Op) and `s.file` wraps an opened handle as a file object."""

    def __init__(
        self,
        target: SftpTarget,
        confirm_host_key: ConfirmHostKey | None = None,
        accept_fingerprint: str | None = None,
        host_key_only: bool = False,
        bulk: bool = False,
    ):
        self.target = target
        self.host_key_only = host_key_only  # trust-host: check/record the key, no login needed
        self.bulk = bulk  # an upload worth carrying over OpenSSH's client (openssh_backend), where it can
        self.confirm_host_key = confirm_host_key
        self.accept_fingerprint = accept_fingerprint
        self.transport: paramiko.Transport | None = None
        self.alt: Any = None  # the asyncssh or OpenSSH connection, when paramiko does not carry the session
        self.sftp: Any = None  # paramiko's SFTPClient (over paramiko or OpenSSH), or the same calls over asyncssh
        self.server_fingerprint = ""
        self.server_key_type = ""
        self.cipher = ""
        self.kex = ""
        self.library = "paramiko"

    # connection -----------------------------------------------------------------------------
    def __enter__(self) -> SftpSession:
        try:
            self._connect()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        for thing in (self.sftp, self.transport, self.alt):
            try:
                if thing is not None:
                    thing.close()
            except Exception:  # closing a dead connection must not hide the real error
                pass

    def is_active(self) -> bool:
        if self.alt is not None:
            return self.alt.is_active()
        return self.transport is not None and self.transport.is_active()

    def _connect(self) -> None:
        t = self.target
        if self.bulk and not self.host_key_only and self._connect_openssh(t):
            return
        key_loader = None
        if t.key_file:  # the key's KDF costs ~0.2-0.5 s of CPU: do it while the handshake waits on the network
            key_loader = _in_background(_load_key, t)
        try:
            offer = _PARAMIKO_CANNOT.get((t.host, t.port)) or self._handshake(t, key_loader)
            if offer is not None:  # paramiko could not agree with the server: asyncssh, or a plain diagnosis
                self._connect_alternative(t, key_loader, offer)
        except BaseException:
            if key_loader is not None:  # a process exiting mid-KDF can abort in native code: let it finish
                concurrent.futures.wait([key_loader], timeout=10)
            raise

    def _handshake(self, t: SftpTarget, key_loader) -> algorithms.ServerOffer | None:
        sock = _open_socket(t)
        transport = _OfferRecordingTransport(sock, default_window_size=WINDOW_SIZE, default_max_packet_size=MAX_PACKET)
        self.transport = transport
        transport.banner_timeout = transport.auth_timeout = t.timeout
        opts = transport.get_security_options()
        opts.ciphers = algorithms.PARAMIKO.ciphers
        opts.kex = [k for k in opts.kex if k in algorithms.PARAMIKO.kex]
        opts.key_types = _trusted_types_first(t, opts.key_types)
        try:
            transport.start_client(timeout=t.timeout)
        except paramiko.IncompatiblePeer:
            if transport.server_offer is None:
                raise ProtocolFailure("SSH negotiation failed; is this really an SFTP server port?") from None
            transport.close()
            self.transport = None
            _PARAMIKO_CANNOT[(t.host, t.port)] = transport.server_offer
            return transport.server_offer
        except paramiko.SSHException as exc:
            if "timeout" in str(exc).lower() or "banner" in str(exc).lower():
                raise Timeout(t.host, t.port, "waiting for the SSH greeting (is it an SFTP port?)") from None
            raise ProtocolFailure(
                f"SSH negotiation failed ({str(exc).splitlines()[0] if str(exc) else 'no reason'}); "
                "is this really an SFTP server port?"
            ) from None
        except (EOFError, OSError):
            raise ConnectionLost(t.host) from None
        if not getattr(transport, "initial_kex_done", False):  # start_client returns quietly on timeout
            raise Timeout(t.host, t.port, "greeting the server")
        self.cipher = transport.remote_cipher
        offer = transport.server_offer
        self.kex = next((k for k in opts.kex if offer and k in offer.kex), "")
        self._check_host_key(transport.get_remote_server_key())
        if self.host_key_only:
            return None
        self._authenticate(transport, key_loader)
        try:
            self.sftp = paramiko.SFTPClient.from_transport(
                transport, window_size=WINDOW_SIZE, max_packet_size=MAX_PACKET
            )
        except paramiko.SSHException:
            raise ProtocolFailure("the server does not offer SFTP for this account") from None
        self.sftp.get_channel().settimeout(t.timeout)
        if _CORK is not None:
            self.sftp._write_all = functools.partial(_send_request_corked, self.sftp.sock, transport.sock)
        return None

    def _connect_openssh(self, t: SftpTarget) -> bool:
        """Through the system's OpenSSH client, for a server already trusted; False to go on with paramiko
        (no client, first contact, or a login failure paramiko will diagnose by name)."""
        from sodclient.transport import openssh_backend

        conn = openssh_backend.connect(t)
        if conn is None:
            return False
        self.alt, self.sftp, self.library = conn, conn.sftp, "openssh"
        self.cipher, self.kex = conn.cipher, conn.kex
        self.server_fingerprint, self.server_key_type = conn.fingerprint, conn.key_type
        return True

    def _connect_alternative(self, t: SftpTarget, key_loader, offer: algorithms.ServerOffer) -> None:
        alt = algorithms.asyncssh_algorithms()
        if alt is None or not alt.agrees_with(offer):
            raise algorithms.mismatch(t.host, offer) or algorithms.NoCommonAlgorithm(
                t.host, "cipher", list(offer.ciphers), list(algorithms.supported().ciphers)
            )
        from sodclient.transport.asyncssh_backend import AsyncsshConnection, AuthRejected

        try:
            alt = algorithms.Algorithms(alt.ciphers, alt.kex, tuple(_trusted_types_first(t, alt.host_keys)))
            self.alt = AsyncsshConnection(t, alt, self._check_host_key, key_loader, self.host_key_only)
        except TransferError:
            raise
        except AuthRejected:
            raise AuthFailed("SFTP server") from None
        except (TimeoutError, OSError) as exc:
            if isinstance(exc, TimeoutError):
                raise Timeout(t.host, t.port, "greeting the server") from None
            raise ConnectionLost(t.host) from None
        except Exception as exc:  # asyncssh's own errors (disconnects, negotiation)
            raise ProtocolFailure(f"SSH negotiation failed ({type(exc).__name__}: {exc})") from None
        self.library = "asyncssh"
        self.cipher = self.alt.cipher
        self.kex = next((k for k in alt.kex if k in offer.kex), "")
        self.sftp = self.alt.sftp

    def _check_host_key(self, key: paramiko.PKey) -> None:
        t = self.target
        fp = hostkeys.fingerprint(key)
        self.server_fingerprint, self.server_key_type = fp, key.get_name()
        stored = hostkeys.lookup(t.known_hosts, t.host, t.port, key.get_name())
        if stored is not None:
            if stored.asbytes() != key.asbytes():
                raise HostKeyChanged(t.host, fp, hostkeys.fingerprint(stored))
            return
        known = hostkeys.load(t.known_hosts).lookup(hostkeys.host_id(t.host, t.port))
        if known:  # we trusted another key type and the server no longer offers it
            expected = ", ".join(hostkeys.fingerprint(k) for k in known.values())
            raise HostKeyChanged(t.host, fp, expected)
        if self.accept_fingerprint and hostkeys.same_fingerprint(self.accept_fingerprint, fp):
            hostkeys.trust(t.known_hosts, t.host, t.port, key)
            return
        if self.confirm_host_key is not None and self.confirm_host_key(t.host, fp, key.get_name()):
            hostkeys.trust(t.known_hosts, t.host, t.port, key)
            return
        raise UnknownHostKey(t.host, fp, key.get_name())

    def _authenticate(self, transport: paramiko.Transport, key_loader) -> None:
        t = self.target
        try:
            if key_loader is not None:
                transport.auth_publickey(t.username, key_loader.result())
            else:
                transport.auth_password(t.username, t.password)
        except paramiko.AuthenticationException:
            raise AuthFailed("SFTP server") from None
        except paramiko.SSHException:
            raise ConnectionLost(t.host) from None
        if not transport.is_authenticated():
            raise AuthFailed("SFTP server")

    # remote helpers ---------------------------------------------------------------------------
    def path(self, name: str) -> str:
        return f"{self.target.remote_dir.rstrip('/')}/{name}"

    def check_folder(self) -> None:
        """The remote folder exists and is a folder (a drop-box that may not stat it passes: writing
        tells then)."""
        folder = self.target.remote_dir
        try:
            st = self.sftp.stat(folder)
        except FileNotFoundError:
            raise RemoteFolderMissing(folder) from None
        except PermissionError:
            return
        if not stat.S_ISDIR(st.st_mode or 0):
            raise RemoteFolderMissing(folder)

    def batch(self, ops: list[Op], wait: bool = True) -> list:
        """Send every request at once, then read the answers in order: one network round trip. Each answer
        is the op's value or the OSError it failed with; with wait=False answers are read (and dropped)
        whenever the next request waits for its own."""
        if self.library == "asyncssh":
            return self.alt.batch(ops, wait)
        sftp = self.sftp
        nums = [sftp._async_request(type(None), *_request(op)) for op in ops]
        if not wait:
            return []
        replies: list = []
        for op, num in zip(ops, nums):  # read every answer even after an error
            try:
                t, msg = sftp._read_response(num)
            except (OSError, EOFError) as exc:
                replies.append(exc)
                continue
            replies.append(_decode(op, t, msg))
        return replies

    def file(self, handle, mode: str = "r+b"):
        """A file object over a handle from an "open" op (bufsize 0: we write 1 MiB at a time, no extra copy)."""
        if self.alt is not None:
            return self.alt.file(handle, mode)
        return _AnsweredWrites(self.sftp, handle, mode, bufsize=0)

    def end_writes(self, f) -> bool:
        """Marks `f` closed without waiting for its writes' answers and without closing its handle, so the
        CLOSE and the verification can follow the last write at once (True); `writes_ok` then raises the first
        failed write once their answers are in. On asyncssh the file is simply closed (False)."""
        if self.library == "asyncssh":
            f.close()
            return False
        f._closed = True  # unbuffered (bufsize 0): every byte has left already
        return True

    def writes_ok(self, f) -> None:
        """Waits for every write's answer on `f` (usually read already, before the answers that followed
        them) and raises the first failure."""
        if self.library != "asyncssh":
            f.flush()

    def free_space(self) -> int | None:
        """Free bytes in the remote folder via statvfs@openssh.com, or None if not offered."""
        (free,) = self.batch([Op("statvfs", self.target.remote_dir)])
        return None if isinstance(free, BaseException) else free


class WriteAnswers:
    """The answers to one file's pipelined writes: the requests still unanswered, the first refusal, and how far
    the file is surely written (a retry resumes from at most there: upload.py)."""

    def __init__(self) -> None:
        self.pending: dict[int, int] = {}  # request number -> offset
        self.failed_at: int | None = None
        self.refusal: OSError | None = None

    def sent(self, num: int, offset: int) -> None:
        self.pending[num] = offset

    def take(self, sftp: paramiko.SFTPClient, t: int, msg: paramiko.Message, num: int) -> None:
        """One answer, as paramiko's SFTPClient hands it to the request's owner."""
        offset = self.pending.pop(num)
        try:
            if t != CMD_STATUS:
                raise OSError(f"unexpected answer {t} to a write")
            sftp._convert_status(msg)
        except (OSError, EOFError) as exc:  # paramiko answers an SFTP "EOF" status with EOFError
            self.refusal = self.refusal or (exc if isinstance(exc, OSError) else OSError("end of file"))
            self.failed_at = offset if self.failed_at is None else min(self.failed_at, offset)

    def raise_refusal(self) -> None:
        if self.refusal is not None:
            raise self.refusal

    def safe_end(self, position: int) -> int:
        """Every byte below this offset was acknowledged written (`position`: where writing got to)."""
        return min([position, *self.pending.values(), *([] if self.failed_at is None else [self.failed_at])])

    def take_arrived(self, sftp: paramiko.SFTPClient, ready: Callable[[], bool]) -> None:
        """After a failure: the answers already here, without waiting for more."""
        with contextlib.suppress(Exception):
            while self.pending and ready():
                sftp._read_response()


class _AnsweredWrites(paramiko.SFTPFile):
    """paramiko's SFTPFile for pipelined writing, with every write's answer checked.

    paramiko hands a pipelined write's answer to no one and reads back only the ones it drains itself (with
    over 100 in flight), so a write the server refused among the last ones went unnoticed and left a hole. Here
    each answer comes back to the file, at most DEPTH requests are in flight, and a refusal raises on the next
    write or in `flush()`."""

    def __init__(self, *args, **kwargs):
        self.answers = WriteAnswers()
        super().__init__(*args, **kwargs)

    def _write(self, data) -> int:
        while len(self.answers.pending) >= DEPTH:
            self.sftp._read_response()
        self.answers.raise_refusal()
        chunk = min(len(data), self.MAX_REQUEST_SIZE)
        num = self.sftp._async_request(self, CMD_WRITE, self.handle, int64(self._realpos), data[:chunk])
        self.answers.sent(num, self._realpos)
        return chunk

    def _async_response(self, t: int, msg: paramiko.Message, num: int) -> None:
        self.answers.take(self.sftp, t, msg, num)

    def safe_end(self) -> int:
        return self.answers.safe_end(self._realpos)

    def flush(self) -> None:
        """Waits for every write's answer; raises the first refusal."""
        super().flush()
        while self.answers.pending:
            self.sftp._read_response()
        self.answers.raise_refusal()

    def abandon(self) -> None:
        """After a failure: take in the answers already here (they tell how far the file is surely written)
        and send nothing more (the connection is closed next)."""
        self.answers.take_arrived(self.sftp, self.sftp.sock.recv_ready)
        self._closed = True


def _request(op: Op) -> tuple:
    """An Op as paramiko request arguments."""
    if op.kind in ("stat", "lstat"):
        return CMD_STAT if op.kind == "stat" else CMD_LSTAT, op.path
    if op.kind == "limits":
        return CMD_EXTENDED, "limits@openssh.com"
    if op.kind == "statvfs":
        return CMD_EXTENDED, "statvfs@openssh.com", op.path
    if op.kind == "opendir":
        return CMD_OPENDIR, op.path
    if op.kind == "open":
        return CMD_OPEN, op.path, op.arg, SFTPAttributes()
    if op.kind == "close":
        return CMD_CLOSE, op.arg
    if op.kind == "read":  # arg: (handle, offset, length)
        handle, offset, length = op.arg
        return CMD_READ, handle, int64(offset), length
    if op.kind == "posix-rename":
        return CMD_EXTENDED, "posix-rename@openssh.com", op.path, op.arg
    if op.kind == "rename":
        return CMD_RENAME, op.path, op.arg
    if op.kind == "remove":
        return CMD_REMOVE, op.path
    raise ValueError(op.kind)


def _decode(op: Op, t: int, msg: paramiko.Message):
    if op.kind in ("stat", "lstat") and t == CMD_ATTRS:
        return SFTPAttributes._from_msg(msg)
    if op.kind == "limits" and t == CMD_EXTENDED_REPLY:
        msg.get_int64(), msg.get_int64()  # max packet and max read length: not needed here
        return msg.get_int64()
    if op.kind == "statvfs" and t == CMD_EXTENDED_REPLY:
        _bsize, frsize, _blocks, _bfree, bavail = (msg.get_int64() for _ in range(5))
        return frsize * bavail
    if op.kind == "read" and t == CMD_DATA:
        return msg.get_string()
    if op.kind in ("open", "opendir") and t == CMD_HANDLE:
        return msg.get_binary()
    if op.kind in ("close", "posix-rename", "rename", "remove"):
        return True  # a failure status was raised by _read_response already
    return OSError(f"unexpected answer {t} to {op.kind}")


def diagnose_io(exc: BaseException, session: SftpSession, needed: int | None = None) -> TransferError:
    """Turn an SFTP/network exception raised mid-operation into the matching diagnosis."""
    from sodclient.transport.errors import DiskFull

    host = session.target.host
    if isinstance(exc, TransferError):
        return exc
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return Timeout(host, session.target.port, "transferring")
    if isinstance(exc, FileNotFoundError):
        return RemoteFolderMissing(session.target.remote_dir)
    if isinstance(exc, PermissionError):
        return PermissionDenied(session.target.remote_dir)
    if isinstance(exc, (EOFError, paramiko.SSHException, ConnectionError)):
        return ConnectionLost(host)
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return DiskFull()
    if isinstance(exc, OSError):
        if not session.is_active():
            return ConnectionLost(host)
        try:
            free = session.free_space()
        except Exception:
            free = None
        if free is not None and free < max(needed or 0, 1024 * 1024):
            return DiskFull(needed, free)
        return ProtocolFailure(str(exc) or type(exc).__name__)
    return ConnectionLost(host)
