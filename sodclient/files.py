"""Small, careful file primitives every local store uses: atomic replace, a cross-process lock, and
versioned JSON documents (so a newer release can read what an older one wrote, and the other way round)."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: the app runs one instance per user there (single_instance.py)
    fcntl = None  # type: ignore[assignment]

_THREAD_LOCK = threading.Lock()


def atomic_write(path: Path, data: bytes) -> None:
    """Temp file in the same folder, fsync, rename: readers see the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):
        dfd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


@contextlib.contextmanager
def locked(path: Path, thread_lock: threading.Lock | None = None) -> Iterator[None]:
    """Serialises writers of `path` across threads and processes (the UI's worker child and the CLI).
    Threads wait on one process-wide lock unless the caller brings its own (a writer that may be called while
    another holder of the shared one waits for it, as the key file is by the audit trail)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with thread_lock or _THREAD_LOCK, open(path.with_name(path.name + ".lock"), "a") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(lock, fcntl.LOCK_UN)


class NewerFormat(ValueError):
    """A file was written by a newer release in a format this one cannot read safely."""


Migration = Callable[[Any], Any]


def versioned(kind: str, version: int, items: Any) -> dict[str, Any]:
    """The envelope every versioned JSON store writes: {"kind", "version", "items"}."""
    return {"kind": kind, "version": version, "items": items}


def upgrade(document: Any, kind: str, version: int, migrations: dict[int, Migration]) -> Any:
    """The items of a versioned JSON document, migrated step by step up to `version`.

    A bare list (what the first release wrote, before the envelope) counts as version 1.
    `migrations[n]` turns version n's items into version n+1's. Fields a reader does not know are kept
    by the stores (they pass unknown keys through), so an older release can still read newer minor additions.
    """
    items: Any
    if isinstance(document, list):
        found, items = 1, document
    elif isinstance(document, dict) and document.get("kind") == kind and isinstance(document.get("version"), int):
        found, items = document["version"], document.get("items")
    else:
        raise ValueError(f"not a {kind} file")
    if found > version:
        raise NewerFormat(
            f"the {kind} file was written by a newer SOD Send (format {found}, this one reads up "
            f"to {version}); update the app"
        )
    while found < version:
        items = migrations[found](items)
        found += 1
    return items


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def known_fields(cls: type, item: dict[str, Any]) -> dict[str, Any]:
    """The keys of `item` that dataclass `cls` declares: unknown fields from a newer release are tolerated."""
    names = getattr(cls, "__dataclass_fields__", {})
    return {k: v for k, v in item.items() if k in names}
