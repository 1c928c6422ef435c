"""Local record of what this app uploaded and when each delivery expires (for purge-expired).

Holds only random remote names, sizes and times: no PHI, no secrets, so it is plain JSON.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from sodclient.config.vault import atomic_write
from sodclient.paths import app_paths

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

_THREAD_LOCK = threading.Lock()


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


def ledger_path() -> Path:
    return app_paths().data / "deliveries.json"


def load() -> list[Delivery]:
    path = ledger_path()
    if not path.exists():
        return []
    return [Delivery(**d) for d in json.loads(path.read_text())]


def _save(items: list[Delivery]) -> None:
    atomic_write(ledger_path(), json.dumps([asdict(d) for d in items], indent=1).encode())


@contextlib.contextmanager
def _locked():
    """Two sends finishing at once (UI and CLI) must not lose each other's entry."""
    path = ledger_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _THREAD_LOCK, open(path.with_suffix(".lock"), "a") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def add(remote_name: str, size: int, expires: datetime) -> Delivery:
    d = Delivery(remote_name, size, datetime.now(timezone.utc).isoformat(timespec="seconds"),
                 expires.astimezone(timezone.utc).isoformat(timespec="seconds"))
    with _locked():
        _save(load() + [d])
    return d


def mark_purged(remote_name: str) -> None:
    with _locked():
        _save([Delivery(**{**asdict(d), "purged": True}) if d.remote_name == remote_name else d for d in load()])
