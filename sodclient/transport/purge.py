"""The server side of the managed-transfer rule: find expired deliveries in the remote folder and delete them.

The caller says which names it knows to be expired or still valid (its ledger); for `.sod` files it does
not know (another computer of the same site uploaded them), the container header is read from the first
bytes on the server and `sodformat.inspect` says when it expires. Stale `.part` files (abandoned uploads)
older than the longest allowed delivery time go too. Where the folder may not be listed (a write-only
drop-box), the caller's own expired deliveries are removed by name. Recording what was deleted is the
caller's job.
"""

from __future__ import annotations

import stat
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sodclient.transport.session import SftpSession, SftpTarget
from sodformat import inspect
from sodformat.errors import SodError

HEADER_PROBE = 256 * 1024
STALE_PART_S = 14 * 86400


@dataclass
class PurgeReport:
    deleted: list[tuple[str, str]] = field(default_factory=list)
    kept: int = 0
    kept_unknown: list[tuple[str, str]] = field(default_factory=list)


def _expired_by_header(session: SftpSession, name: str) -> bool | None:
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "head.sod"
        with session.sftp.open(session.path(name), "rb") as f:
            probe.write_bytes(f.read(HEADER_PROBE))
        try:
            return inspect(probe).expired()
        except SodError:
            return None


def _why_expired(
    session: SftpSession, name: str, mtime: float, known: dict[str, str | None], report: PurgeReport
) -> str | None:
    """The reason to delete `name`, or None to keep it (counted in the report)."""
    if name.startswith(".") and name.endswith(".sod.part"):
        return "abandoned partial upload" if time.time() - mtime > STALE_PART_S else None
    if not name.endswith(".sod"):
        return None
    if name in known:
        if known[name] is None:
            report.kept += 1
        return known[name]
    expired = _expired_by_header(session, name)
    if expired is None:
        report.kept_unknown.append((name, "not a readable .sod container"))
    elif not expired:
        report.kept += 1
    return "expired (container header)" if expired else None


def purge_expired(
    target: SftpTarget,
    known: dict[str, str | None],
    dry_run: bool = False,
    on_deleted: Callable[[str, str], None] | None = None,
) -> PurgeReport:
    """`known` maps remote names this app uploaded to a reason when expired, or None while still valid.
    `on_deleted(name, reason)` runs after each deletion (not in a dry run)."""
    report = PurgeReport()
    with SftpSession(target) as s:
        s.check_folder()
        try:
            listing = s.sftp.listdir_attr(target.remote_dir)
        except PermissionError:  # a write-only drop-box: purge what this computer's record knows
            return _purge_known(s, known, report, dry_run, on_deleted)
        for attr in listing:
            if not stat.S_ISREG(attr.st_mode or 0):
                continue
            name = attr.filename
            why = _why_expired(s, name, attr.st_mtime or 0, known, report)
            if why is None:
                continue
            if not dry_run:
                s.sftp.remove(s.path(name))
                if on_deleted:
                    on_deleted(name, why)
            report.deleted.append((name, why))
    return report


def _purge_known(
    s: SftpSession,
    known: dict[str, str | None],
    report: PurgeReport,
    dry_run: bool,
    on_deleted: Callable[[str, str], None] | None,
) -> PurgeReport:
    """Without listing, only the caller's own deliveries can be found, by name."""
    for name, why in known.items():
        if why is None:
            report.kept += 1
            continue
        if not dry_run:
            try:
                s.sftp.remove(s.path(name))
            except FileNotFoundError:
                why = "already gone from the server"
            except PermissionError:
                report.kept_unknown.append((name, "expired, but the account may not delete it"))
                continue
            if on_deleted:
                on_deleted(name, why)
        report.deleted.append((name, why))
    return report
