"""What the account may do in the remote folder, found out instead of assumed.

Hospital drop-boxes often let the uploader create and write files but not read, list or stat them,
or forbid renaming. Each permission is probed on its own, in one pipelined batch of SFTP requests
(one network round trip), on the upload's own partial file so nothing extra is left behind:

- write:  open the partial file for writing: exclusively created (then we know it is new and empty),
          or else the existing one;
- read:   open that (now existing) file again for reading;
- stat:   stat and lstat the partial file (an answer "no such file" counts: the request is allowed;
          ProFTPD's `<Limit READ>` refuses stat but allows lstat, and our files are never links);
- list:   open the folder for listing;
- rename: posix-rename the partial file away and back, then the same with plain rename.

The upload then publishes and verifies with whatever is allowed (see upload.py).
"""

from __future__ import annotations

import builtins
import secrets
import stat as statmod
from dataclasses import dataclass, replace
from typing import Any

from sodclient.transport.errors import PermissionDenied, RemoteFileLocked, RemoteFolderMissing

FLAG_READ, FLAG_WRITE, FLAG_CREATE, FLAG_TRUNC, FLAG_EXCL = 0x01, 0x02, 0x08, 0x10, 0x20
DEFAULT_MAX_WRITE = 32 * 1024
LARGEST_WRITE = 255 * 1024


@dataclass(frozen=True)
class Op:
    """One SFTP request in a pipelined batch. A backend answers each with a value or the exception it raised."""

    kind: str  # stat, lstat, limits, statvfs, opendir, open, read, posix-rename, rename, remove, close
    path: str = ""
    arg: Any = None  # open: flags; renames: the new path; close: the handle; read: (handle, offset, length)


@dataclass(frozen=True)
class Capabilities:
    write: bool
    read: bool
    stat: bool
    list: bool
    rename: str | None  # "posix-rename", "rename", or None when the account may not rename

    @property
    def resume(self) -> bool:
        """Continuing a partial upload needs its size (stat) and reopening it for writing."""
        return self.write and self.stat

    @property
    def publish_how(self) -> str:
        return self.rename or "final name"

    def rows(self) -> builtins.list[tuple[str, bool, str]]:  # (`list` is a field here)
        """(permission, allowed, what it means for uploads), for Test Connection's table."""
        publish = {
            "posix-rename": "finished uploads appear at once, complete (posix-rename)",
            "rename": "finished uploads appear complete (plain rename; not atomic if a file of that name "
            "exists, which random names avoid)",
            None: "no rename: uploads are written under their final name, so the download site could "
            "see a partial file while an upload runs",
        }[self.rename]
        return [
            ("write", self.write, "uploads possible" if self.write else "the account may not create files: no upload"),
            ("rename", self.rename is not None, publish),
            (
                "stat",
                self.stat,
                "sizes checked; interrupted uploads resume"
                if self.stat
                else "no size check; an interrupted upload restarts from the beginning",
            ),
            (
                "read",
                self.read,
                "uploads verified by reading back their first and last 64 KiB"
                if self.read
                else "no read-back (fine for a drop-box); "
                + (
                    "verified by size"
                    if self.stat
                    else "integrity rests on the container's authenticated encryption (AEAD), checked by the recipient"
                ),
            ),
            (
                "list",
                self.list,
                "folder can be listed (purge-expired finds every expired delivery)"
                if self.list
                else "folder cannot be listed (fine for a drop-box; purge-expired removes this computer's own "
                "expired deliveries by name)",
            ),
        ]

    def table(self) -> str:
        return "\n".join(f"  {name:<7}{'yes' if ok else 'no':<5}{meaning}" for name, ok, meaning in self.rows())


@dataclass(frozen=True)
class Preflight:
    """What an upload needs to know before writing, learned in one round trip."""

    caps: Capabilities
    max_write: int
    free: int | None  # bytes free in the remote folder, None if the server does not say
    part_size: int | None  # size of an earlier partial upload, None if there is none (or stat is denied)
    handle: Any  # the partial file, open for writing (not truncated)
    fresh: bool  # our open created it: empty, nothing to truncate
    stat_kind: str | None  # the request that gives a file's size here: "stat", "lstat", or None
    reader: Any = None  # the same file open for reading (caps.read), for the verification; the caller closes it


def _ok(reply) -> bool:
    return not isinstance(reply, BaseException)


def denied(exc: BaseException) -> bool:
    """A refusal of the request itself: no permission, or a request the server does not implement
    (paramiko raises a bare OSError without errno for "operation unsupported")."""
    return isinstance(exc, PermissionError) or (type(exc) is OSError and exc.errno is None)


def probe(session, part: str) -> Preflight:
    """Probe the folder and the partial file `part` in one pipelined batch (see the module docstring)."""
    folder = session.target.remote_dir
    moved = part + ".r"
    ops = [
        Op("stat", folder),
        Op("limits"),
        Op("statvfs", folder),
        Op("stat", part),
        Op("lstat", part),
        Op("opendir", folder),
        *open_ops(part),
        Op("open", part, FLAG_READ),
        Op("posix-rename", part, moved),
        Op("posix-rename", moved, part),
        Op("rename", part, moved),
        Op("rename", moved, part),
    ]
    (
        folder_st,
        limits,
        statvfs,
        part_stat,
        part_lstat,
        listing,
        created,
        reopened,
        reader,
        posix_away,
        posix_back,
        plain_away,
        plain_back,
    ) = session.batch(ops)
    session.batch([Op("close", arg=listing)] if _ok(listing) else [], wait=False)
    if isinstance(folder_st, FileNotFoundError) or (isinstance(created, FileNotFoundError) and not _ok(folder_st)):
        raise RemoteFolderMissing(folder)
    if _ok(folder_st) and not statmod.S_ISDIR(folder_st.st_mode or 0):
        raise RemoteFolderMissing(folder)
    writer, fresh = opened(session, part, created, reopened)
    answered = lambda reply: _ok(reply) or isinstance(reply, FileNotFoundError)
    stat_kind, part_st = next(
        ((kind, reply) for kind, reply in (("stat", part_stat), ("lstat", part_lstat)) if answered(reply)), (None, None)
    )
    posix = _ok(posix_away) and _ok(posix_back)
    plain = _ok(plain_away) and _ok(plain_back)
    caps = Capabilities(
        write=True,
        read=_ok(reader),
        list=_ok(listing),
        stat=stat_kind is not None,
        rename="posix-rename" if posix else "rename" if plain else None,
    )
    max_write = (
        max(DEFAULT_MAX_WRITE, min(limits or DEFAULT_MAX_WRITE, LARGEST_WRITE)) if _ok(limits) else DEFAULT_MAX_WRITE
    )
    return Preflight(
        caps,
        max_write,
        statvfs if _ok(statvfs) else None,
        part_st.st_size if stat_kind and part_st is not None and _ok(part_st) and not fresh else None,
        writer,
        fresh,
        stat_kind,
        reader if _ok(reader) else None,
    )


def open_ops(path: str) -> list[Op]:
    """Create `path` exclusively, and open it as it is (for resuming): answered by `opened`."""
    return [Op("open", path, FLAG_WRITE | FLAG_CREATE | FLAG_EXCL), Op("open", path, FLAG_WRITE | FLAG_CREATE)]


def opened(session, path: str, created, reopened) -> tuple[Any, bool]:
    """The handle to write with and whether it is a new, empty file, from the answers to `open_ops`.
    Servers that forbid overwriting (ProFTPD's default) refuse the second open once the first created the
    file; an old partial file the account may not reopen is replaced."""
    if _ok(created):
        if _ok(reopened):
            session.batch([Op("close", arg=reopened)], wait=False)
        return created, True
    if _ok(reopened):
        return reopened, False
    if isinstance(created, (PermissionError, FileNotFoundError)):  # not "it exists": may not create here
        raise PermissionDenied(session.target.remote_dir)
    return start_afresh(session, None, path), True


def start_afresh(session, handle, path: str):
    """An empty `path` open for writing: truncated, or removed and created again where the server forbids
    overwriting."""
    closing = [Op("close", arg=handle)] if handle is not None else []
    fresh = session.batch(closing + [Op("open", path, FLAG_WRITE | FLAG_CREATE | FLAG_TRUNC)])[-1]
    if not _ok(fresh):
        _removed, fresh = session.batch([Op("remove", path), Op("open", path, FLAG_WRITE | FLAG_CREATE | FLAG_EXCL)])
    if not _ok(fresh):
        raise RemoteFileLocked(session.target.remote_dir)
    return fresh


@dataclass(frozen=True)
class AccountReport:
    """Test Connection's view of the account: what it may do, and how the connection is secured."""

    caps: Capabilities
    cipher: str
    kex: str
    library: str
    free: int | None
    note: str = ""

    def text(self) -> str:
        lines = [
            f"  cipher {self.cipher}, key exchange {self.kex or 'unknown'} (via {self.library})",
            self.caps.table(),
        ]
        if self.note:
            lines.append("  " + self.note)
        return "\n".join(lines)


def check_account(session) -> AccountReport:
    """Probe with a small test file, as an upload would, and also really read it back (the upload's probe
    only opens for reading; a server can still refuse the read itself)."""
    name = f".sodsend-test-{secrets.token_hex(6)}.part"
    path = session.path(name)
    pre = probe(session, path)
    if pre.reader is not None:
        session.batch([Op("close", arg=pre.reader)], wait=False)
    f = session.file(pre.handle, "r+b")
    try:
        f.write(b"ok")
    finally:
        f.close()
    caps = pre.caps
    if caps.read:
        try:
            with session.sftp.open(path, "rb") as rf:
                caps = replace(caps, read=rf.read(3) == b"ok")
        except OSError as exc:
            if not denied(exc):
                raise
            caps = replace(caps, read=False)
    (removed,) = session.batch([Op("remove", path)])
    note = "" if _ok(removed) else f"the test file {name} could not be removed (the account may not delete)"
    return AccountReport(caps, session.cipher, session.kex, session.library, pre.free, note)
