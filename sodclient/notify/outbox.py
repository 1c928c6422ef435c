"""The outbox store: deliveries whose notification (and maybe upload) could not finish yet.

Each entry is one file, sealed with the profile's settings key (it holds recipient addresses and
the sender's message); SMTP credentials are never stored here. Entries are written atomically and
removed only after the server accepted the mail. This module only stores entries: resuming an
upload and mailing is `sodclient.services.outbox`'s job.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sodclient.files import atomic_write, known_fields
from sodclient.notify.mail import Notification

_PURPOSE = "outbox"
FORMAT_VERSION = 2  # 1: release 0.1.0 (no "format" field); 2: adds it. Unknown fields are tolerated.


class Sealer(Protocol):
    """What the outbox needs of the profile's vault."""

    def seal(self, plaintext: bytes, purpose: str) -> bytes: ...

    def unseal(self, blob: bytes, purpose: str) -> bytes: ...


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
    upload_pending: bool = False  # the container in the pending folder still has to be uploaded first
    resume_below: int | None = None  # a pending upload goes on from at most here (TransferError.resume_below)
    extra: dict[str, Any] = field(default_factory=dict)
    format: int = FORMAT_VERSION

    def notification(self) -> Notification:
        return Notification(self.to, self.cc, self.link, datetime.fromisoformat(self.expires), self.size, self.message)


class Outbox:
    """Entries under `folder`; parked containers under `pending` (named by their remote name)."""

    def __init__(self, folder: Path, pending: Path, sealer: Sealer):
        self.folder, self.pending_dir, self.sealer = folder, pending, sealer

    def path(self, entry: OutboxEntry) -> Path:
        return self.folder / f"{entry.id}.mail"

    def save(self, entry: OutboxEntry) -> None:
        entry.format = FORMAT_VERSION
        atomic_write(self.path(entry), self.sealer.seal(json.dumps(asdict(entry)).encode(), _PURPOSE))

    def _new(
        self, n: Notification, remote_name: str, error: str, upload_pending: bool, resume_below: int | None = None
    ) -> OutboxEntry:
        entry = OutboxEntry(
            secrets.token_hex(8),
            datetime.now(UTC).isoformat(timespec="seconds"),
            remote_name,
            list(n.to),
            list(n.cc),
            n.link,
            n.expires.isoformat(),
            n.size,
            n.message,
            attempts=1,
            last_error=error,
            upload_pending=upload_pending,
            resume_below=resume_below,
        )
        self.save(entry)
        return entry

    def add(self, n: Notification, remote_name: str, error: str) -> OutboxEntry:
        """A mail that could not go after a good upload."""
        return self._new(n, remote_name, error, upload_pending=False)

    def add_pending_upload(
        self, n: Notification, remote_name: str, container: Path, error: str, resume_below: int | None = None
    ) -> OutboxEntry:
        """Park a finished container whose upload failed; the retry uploads it (resuming from at most
        `resume_below`) and then mails."""
        self.pending_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.replace(container, self.container(remote_name))
        return self._new(n, remote_name, error, upload_pending=True, resume_below=resume_below)

    def container(self, remote_name: str) -> Path:
        return self.pending_dir / remote_name

    def entries(self) -> list[OutboxEntry]:
        if not self.folder.exists():
            return []
        entries = []
        for path in sorted(self.folder.glob("*.mail")):
            data = json.loads(self.sealer.unseal(path.read_bytes(), _PURPOSE))
            if int(data.get("format", 1)) > FORMAT_VERSION:
                raise ValueError("an outbox entry was written by a newer SOD Send; update the app")
            entries.append(OutboxEntry(**known_fields(OutboxEntry, data)))
        return sorted(entries, key=lambda e: e.created)

    def remove(self, entry: OutboxEntry) -> None:
        self.path(entry).unlink(missing_ok=True)
        self.container(entry.remote_name).unlink(missing_ok=True)
