"""The delivery ledger: what this profile uploaded and when each delivery expires (for the purge).

Holds only random remote names, sizes and times: no PHI, no secrets, so it is plain JSON, in a
versioned envelope (release 0.1.0 wrote a bare list; that still reads).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from sodclient.files import atomic_write, known_fields, locked, read_json, upgrade, versioned

KIND = "sodsend-deliveries"
FORMAT_VERSION = 2   # 1: a bare list (release 0.1.0); 2: the versioned envelope


@dataclass(frozen=True)
class Delivery:
    remote_name: str
    size: int
    uploaded: str     # ISO-8601 UTC
    expires: str      # ISO-8601 UTC
    purged: bool = False

    @property
    def expired(self) -> bool:
        return datetime.fromisoformat(self.expires) <= datetime.now(timezone.utc)


class Ledger:
    def __init__(self, path: Path):
        self.path = path

    def load(self) -> list[Delivery]:
        if not self.path.exists():
            return []
        items = upgrade(read_json(self.path), KIND, FORMAT_VERSION, {1: lambda items: items})
        return [Delivery(**known_fields(Delivery, d)) for d in items]

    def _save(self, items: list[Delivery]) -> None:
        document = versioned(KIND, FORMAT_VERSION, [asdict(d) for d in items])
        atomic_write(self.path, json.dumps(document, indent=1).encode())

    def add(self, remote_name: str, size: int, expires: datetime) -> Delivery:
        d = Delivery(remote_name, size, datetime.now(timezone.utc).isoformat(timespec="seconds"),
                     expires.astimezone(timezone.utc).isoformat(timespec="seconds"))
        with locked(self.path):   # two sends finishing at once (UI and CLI) must not lose each other's entry
            self._save(self.load() + [d])
        return d

    def mark_purged(self, remote_name: str) -> None:
        with locked(self.path):
            self._save([Delivery(**{**asdict(d), "purged": True}) if d.remote_name == remote_name else d
                        for d in self.load()])
