"""Managed-transfer rule: deliveries disappear from the server once they expire.

Expiry comes from the local ledger; for `.sod` files the ledger does not know (another computer of
the same site uploaded them), the container header is read from the first bytes on the server
and `sodformat.inspect` says when it expires. Stale `.part` files (abandoned uploads) older than
the longest allowed delivery time are removed too. Where the folder may not be listed (a write-only
drop-box), this computer's own expired deliveries are removed by name from the ledger.
"""

from __future__ import annotations

import stat
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sodformat import inspect
from sodformat.errors import SodError

from sodclient import audit
from sodclient.transport import ledger
from sodclient.transport.session import SftpSession, SftpTarget

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
            return inspect(probe).expired
        except SodError:
            return None


def purge_expired(target: SftpTarget, dry_run: bool = False) -> PurgeReport:
    report = PurgeReport()
    known = {d.remote_name: d for d in ledger.load()}
    with SftpSession(target) as s:
        s.check_folder()
        try:
            listing = s.sftp.listdir_attr(target.remote_dir)
        except PermissionError:   # a write-only drop-box: purge what this computer's record knows
            return _purge_known(s, known, report, dry_run)
        for attr in listing:
            name = attr.filename
            if not stat.S_ISREG(attr.st_mode or 0):
                continue
            if name.startswith(".") and name.endswith(".sod.part"):
                if time.time() - (attr.st_mtime or 0) > STALE_PART_S:
                    why = "abandoned partial upload"
                else:
                    continue
            elif name.endswith(".sod"):
                if name in known:
                    if not known[name].expired:
                        report.kept += 1
                        continue
                    why = f"expired {known[name].expires}"
                else:
                    expired = _expired_by_header(s, name)
                    if expired is None:
                        report.kept_unknown.append((name, "not a readable .sod container"))
                        continue
                    if not expired:
                        report.kept += 1
                        continue
                    why = "expired (container header)"
            else:
                continue
            if not dry_run:
                s.sftp.remove(s.path(name))
                if name in known:
                    ledger.mark_purged(name)
                audit.record("purge", remote_name=name, reason=why)
            report.deleted.append((name, why))
    return report


def _purge_known(s: SftpSession, known: dict, report: PurgeReport, dry_run: bool) -> PurgeReport:
    """Without listing, only this computer's own deliveries (the ledger) can be found, by name."""
    for name, delivery in known.items():
        if delivery.purged:
            continue
        if not delivery.expired:
            report.kept += 1
            continue
        why = f"expired {delivery.expires}"
        if not dry_run:
            try:
                s.sftp.remove(s.path(name))
            except FileNotFoundError:
                why = "already gone from the server"
            except PermissionError:
                report.kept_unknown.append((name, "expired, but the account may not delete it"))
                continue
            ledger.mark_purged(name)
            audit.record("purge", remote_name=name, reason=why)
        report.deleted.append((name, why))
    return report
