"""Persistent outbox: a notification that could not be mailed after a successful upload waits here.

Each entry is one file, AES-GCM encrypted with the config key (it holds recipient addresses and
the sender's message); SMTP credentials are never stored here, they are read from the config at
retry time. Entries are written atomically and removed only after the server accepted the mail.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sodclient.config.vault import atomic_write, seal, unseal
from sodclient.notify.mail import Notification, compose
from sodclient.notify.smtp import SmtpTarget, send_message
from sodclient.paths import app_paths
from sodclient.progress import CancelToken, ProgressSink, no_progress
from sodclient.transport.errors import TransferError

_PURPOSE = "outbox"


def outbox_dir() -> Path:
    return app_paths().spool / "outbox"


def pending_dir() -> Path:
    """Finished, encrypted containers whose upload did not complete (resumed by retry)."""
    return app_paths().spool / "pending"


@dataclass
class OutboxEntry:
    id: str
    created: str
    remote_name: str
    to: list[str]
    cc: list[str]
    link: str
    expires: str
    size: int
    message: str
    attempts: int = 0
    last_error: str = ""
    upload_pending: bool = False    # the container in pending_dir() still has to be uploaded first
    extra: dict = field(default_factory=dict)

    def notification(self) -> Notification:
        return Notification(self.to, self.cc, self.link, datetime.fromisoformat(self.expires), self.size,
                            self.message)

    @property
    def path(self) -> Path:
        return outbox_dir() / f"{self.id}.mail"


def _save(entry: OutboxEntry) -> None:
    atomic_write(entry.path, seal(json.dumps(asdict(entry)).encode(), _PURPOSE))


def add(n: Notification, remote_name: str, error: str) -> OutboxEntry:
    entry = OutboxEntry(secrets.token_hex(8), datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        remote_name, list(n.to), list(n.cc), n.link, n.expires.isoformat(), n.size, n.message,
                        attempts=1, last_error=error)
    _save(entry)
    return entry


def add_pending_upload(n: Notification, remote_name: str, container: Path, error: str) -> OutboxEntry:
    """Park a finished container whose upload failed; retry() uploads (resuming) and then mails."""
    pending_dir().mkdir(parents=True, exist_ok=True, mode=0o700)
    os.replace(container, pending_dir() / remote_name)
    entry = OutboxEntry(secrets.token_hex(8), datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        remote_name, list(n.to), list(n.cc), n.link, n.expires.isoformat(), n.size, n.message,
                        attempts=1, last_error=error, upload_pending=True)
    _save(entry)
    return entry


def pending() -> list[OutboxEntry]:
    folder = outbox_dir()
    if not folder.exists():
        return []
    entries = []
    for path in sorted(folder.glob("*.mail")):
        data = json.loads(unseal(path.read_bytes(), _PURPOSE))
        entries.append(OutboxEntry(**data))
    return sorted(entries, key=lambda e: e.created)


@dataclass(frozen=True)
class RetryOutcome:
    entry: OutboxEntry
    sent: bool
    error: str = ""


def retry(settings=None, entries: list[OutboxEntry] | None = None,
          progress: ProgressSink = no_progress, cancel: CancelToken | None = None) -> list[RetryOutcome]:
    """Try every pending entry once: resume its upload if needed, then mail. Done entries leave the
    outbox; failed ones record why and stay."""
    from sodclient import audit
    from sodclient.config import load_settings

    settings = settings or load_settings()
    smtp = SmtpTarget.from_settings(settings)
    outcomes = []
    for entry in pending() if entries is None else entries:
        try:
            if entry.upload_pending:
                _finish_upload(entry, settings, progress, cancel)
            send_message(smtp, compose(entry.notification(), smtp.sender))
        except TransferError as exc:
            entry.attempts += 1
            entry.last_error = str(exc)
            _save(entry)
            outcomes.append(RetryOutcome(entry, False, str(exc)))
            continue
        entry.path.unlink(missing_ok=True)
        audit.record("notify", remote_name=entry.remote_name, to=entry.to, cc=entry.cc, via="outbox",
                     attempts=entry.attempts + 1)
        outcomes.append(RetryOutcome(entry, True))
    return outcomes


def _finish_upload(entry: OutboxEntry, settings, progress: ProgressSink, cancel: CancelToken | None) -> None:
    from sodclient import audit
    from sodclient.transport import ledger
    from sodclient.transport.session import SftpTarget
    from sodclient.transport.upload import FileSource, upload

    container = pending_dir() / entry.remote_name
    source = FileSource(container)
    try:
        result = upload(SftpTarget.from_settings(settings), source, entry.remote_name, progress=progress,
                        cancel=cancel)
    finally:
        source.close()
    ledger.add(entry.remote_name, result.size, datetime.fromisoformat(entry.expires))
    audit.record("upload", remote_name=entry.remote_name, size=result.size, attempts=result.attempts,
                 seconds=round(result.seconds, 2), cipher=result.cipher, via="outbox")
    entry.upload_pending = False
    _save(entry)
    container.unlink(missing_ok=True)
