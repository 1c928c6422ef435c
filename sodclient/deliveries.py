"""The delivery ledger: what this profile uploaded, to whom, and when each delivery expires (for the purge
and the Sent view).

Holds random remote names, sizes, times, the recipients' e-mail addresses (the audit trail holds them too)
and library document numbers: no patient data, no secrets, so it is plain JSON, in a versioned envelope
(release 0.1.0 wrote a bare list; format 2 entries have no recipients and read as "(not recorded)").
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from sodclient.files import atomic_write, known_fields, locked, read_json, upgrade, versioned

KIND = "sodsend-deliveries"
FORMAT_VERSION = 3  # 1: a bare list (release 0.1.0); 2: the versioned envelope; 3: recipients, files, revoked


@dataclass(frozen=True)
class Delivery:
    remote_name: str
    size: int
    uploaded: str  # ISO-8601 UTC
    expires: str  # ISO-8601 UTC
    purged: bool = False  # deleted from the server (after expiry, or early: see `revoked`)
    to: tuple[str, ...] = ()  # recipients' e-mail addresses (empty in entries from format 2)
    cc: tuple[str, ...] = ()
    files: int = 0  # documents in the container (0: not recorded)
    document_ids: tuple[int, ...] = ()  # the library documents sent, for "Send again" (never names)
    revoked: str = ""  # ISO-8601 UTC when the sender deleted it before it expired

    @property
    def expired(self) -> bool:
        return datetime.fromisoformat(self.expires) <= datetime.now(UTC)

    @property
    def state(self) -> str:
        """In words, for the Sent view."""
        if self.revoked:
            return "deleted from the server early"
        if self.purged:
            return "expired and deleted from the server"
        return "expired (still on the server until the clean-up)" if self.expired else "available"

    @property
    def recipients(self) -> list[str]:
        return [*self.to, *self.cc]


def _from_json(item: dict) -> Delivery:
    fields = known_fields(Delivery, item)
    for name in ("to", "cc", "document_ids"):
        if name in fields:
            fields[name] = tuple(fields[name] or ())
    return Delivery(**fields)


class Ledger:
    def __init__(self, path: Path):
        self.path = path

    def load(self) -> list[Delivery]:
        if not self.path.exists():
            return []
        items = upgrade(read_json(self.path), KIND, FORMAT_VERSION, {1: lambda items: items, 2: lambda items: items})
        return [_from_json(d) for d in items]

    def _save(self, items: list[Delivery]) -> None:
        document = versioned(KIND, FORMAT_VERSION, [asdict(d) for d in items])
        atomic_write(self.path, json.dumps(document, indent=1).encode())

    def add(
        self, remote_name: str, size: int, expires: datetime, *, to=(), cc=(), files: int = 0, document_ids=()
    ) -> Delivery:
        d = Delivery(
            remote_name,
            size,
            datetime.now(UTC).isoformat(timespec="seconds"),
            expires.astimezone(UTC).isoformat(timespec="seconds"),
            to=tuple(to),
            cc=tuple(cc),
            files=files,
            document_ids=tuple(document_ids),
        )
        with locked(self.path):  # two sends finishing at once (UI and CLI) must not lose each other's entry
            self._save(self.load() + [d])
        return d

    def mark_purged(self, remote_name: str, revoked: bool = False) -> None:
        when = datetime.now(UTC).isoformat(timespec="seconds") if revoked else ""
        with locked(self.path):
            self._save(
                [
                    replace(d, purged=True, revoked=when or d.revoked) if d.remote_name == remote_name else d
                    for d in self.load()
                ]
            )

    def get(self, remote_name: str) -> Delivery | None:
        return next((d for d in self.load() if d.remote_name == remote_name), None)
