"""Persistent outbox: a notification that could not be mailed after a successful upload waits here.

Each entry is one file, AES-GCM encrypted with the config key (it holds recipient addresses and
the sender's message); SMTP credentials are never stored here, they are read from the config at
retry time. Entries are written atomically and removed only after the server accepted the mail.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sodclient.config.vault import atomic_write, seal, unseal
from sodclient.notify.mail import Notification, compose
from sodclient.notify.smtp import SmtpTarget, send_message
from sodclient.paths import app_paths
from sodclient.transport.errors import TransferError

_PURPOSE = "outbox"


def outbox_dir() -> Path:
    return app_paths().spool / "outbox"


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


def retry(target: SmtpTarget, entries: list[OutboxEntry] | None = None) -> list[RetryOutcome]:
    """Try every pending mail once; sent ones leave the outbox, failed ones record why."""
    from sodclient import audit

    outcomes = []
    for entry in pending() if entries is None else entries:
        try:
            send_message(target, compose(entry.notification(), target.sender))
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
