"""Tamper-evident audit trail of sends, uploads, notifications, imports and config changes.

Append-only JSON lines in the profile's `logs/audit.jsonl`. Each record carries `mac` =
HMAC-SHA256(key, previous mac + canonical record), keyed by a secret in the OS keyring, so an
edit, deletion or reordering breaks the chain. Cutting records off the end leaves a valid chain,
so the keyring also keeps the head (count and last mac); `verify()` compares against it.
Records hold no PHI and no secrets: remote names, sizes, counts and e-mail addresses only.
Only the services layer writes records; the UI and the CLI read, verify, filter and export them.
Event names and their fields are typed in `audit_events`.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import json
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sodclient.audit_events import AuditEvent, area_of, check, event_of
from sodclient.files import locked
from sodclient.vault import Vault

_LOCK = threading.Lock()
_GENESIS = "0" * 64
_FORBIDDEN = ("password", "passphrase", "secret", "patient", "key_data", "token")


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    records: int
    problem: str = ""  # plain-language description of the first break found
    broken: int | None = None  # the position (1 = oldest line) of the first entry that does not verify


def _mac(key: bytes, prev: str, body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(key, prev.encode() + canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def _check_fields(fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        if any(word in name.lower() for word in _FORBIDDEN):
            raise ValueError(f"audit field {name!r} looks like a secret or PHI; audit records must not hold it")
        if not isinstance(value, (str, int, float, bool, type(None), list)):
            raise TypeError(f"audit field {name!r} must be a plain value")


class AuditTrail:
    """One profile's trail: the JSONL file plus its key and head in that profile's vault."""

    def __init__(self, path: Path, vault: Vault):
        self.path, self.vault = path, vault

    def __repr__(self) -> str:
        return f"AuditTrail({self.path})"

    def _head(self) -> tuple[int, str]:
        stored = self.vault.get_secret("audit-head")
        if not stored:
            return 0, _GENESIS
        count, mac = stored.split(":", 1)
        return int(count), mac

    def record(self, event: AuditEvent | str, **fields: Any) -> dict[str, Any]:
        """Append one event (a typed `AuditEvent`, or its name) with its fields; returns the stored record."""
        _check_fields(fields)
        event = check(event, fields)
        key = self.vault.get_key("audit-key")
        assert key is not None
        with _LOCK, locked(self.path):
            count, prev = self._head()
            body = {
                "seq": count + 1,
                "time": datetime.now(UTC).isoformat(timespec="seconds"),
                "event": event,
                "fields": fields,
                "prev": prev,
            }
            mac = _mac(key, prev, body)
            line = json.dumps({**body, "mac": mac}, sort_keys=True, ensure_ascii=False) + "\n"
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
            self.vault.set_secret("audit-head", f"{count + 1}:{mac}")
            return {**body, "mac": mac}

    def read(self) -> list[dict[str, Any]]:
        """All records, oldest first (unverified; call verify() to check them)."""
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    out.append({"event": "(unreadable line)", "seq": None})
        return out

    def verify(self) -> VerifyResult:
        key = self.vault.get_key("audit-key", create=False)
        head_count, head_mac = self._head()
        records = self.read()
        if key is None:
            if records:
                return VerifyResult(False, len(records), "the audit key is missing from the keyring")
            return VerifyResult(True, 0)
        prev = _GENESIS
        for index, rec in enumerate(records, start=1):
            mac = rec.pop("mac", None) if isinstance(rec, dict) else None
            if rec.get("seq") != index or rec.get("prev") != prev or mac is None:
                return VerifyResult(
                    False, len(records), f"{_describe(index, rec)} is out of order, missing or inserted", index
                )
            if not hmac.compare_digest(_mac(key, prev, rec), mac):
                return VerifyResult(False, len(records), f"{_describe(index, rec)} was altered", index)
            prev = mac
        if len(records) != head_count or prev != head_mac:
            return VerifyResult(
                False,
                len(records),
                f"the trail holds {len(records)} records but {head_count} were written: "
                "records were removed from the end or the file was replaced",
                len(records) + 1,
            )
        return VerifyResult(True, len(records))

    def fingerprint(self) -> str:
        """Short id of the current head, for showing in support requests."""
        count, mac = self._head()
        return f"{count}:{base64.b32encode(bytes.fromhex(mac)[:10]).decode().lower()}"


def _describe(index: int, rec: dict[str, Any]) -> str:
    """`record 3 (upload at 2026-12-02T04:36:02+00:00)`: enough to find the line, nothing of its fields."""
    what = [str(rec.get("event", "")), f"at {rec.get('time')}" if rec.get("time") else ""]
    detail = " ".join(w for w in what if w)
    return f"record {index}" + (f" ({detail})" if detail else "")


def select(
    records: Iterable[dict[str, Any]], kinds: Iterable[str] = (), since: str = "", until: str = ""
) -> list[dict[str, Any]]:
    """The records of the given kinds (areas, see audit_events.AREAS) between two dates (YYYY-MM-DD,
    inclusive, UTC); no kinds means every kind."""
    wanted = set(kinds)
    out = []
    for rec in records:
        day = str(rec.get("time", ""))[:10]
        if wanted and area_of(str(rec.get("event", ""))) not in wanted:
            continue
        if (since and day < since) or (until and day > until):
            continue
        out.append(rec)
    return out


CSV_COLUMNS = ["seq", "time", "kind", "event", "details", "mac"]


def write_csv(records: Iterable[dict[str, Any]], out: TextIO) -> int:
    """Writes records as CSV (one row each; details as sorted JSON); returns the row count."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    n = 0
    for rec in records:
        name = str(rec.get("event", ""))
        typed = event_of(name)
        writer.writerow(
            [
                rec.get("seq", ""),
                rec.get("time", ""),
                area_of(name),
                typed.value if typed else name,
                json.dumps(rec.get("fields", {}), sort_keys=True, ensure_ascii=False),
                rec.get("mac", ""),
            ]
        )
        n += 1
    return n
