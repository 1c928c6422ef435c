"""Reading the audit trail for people: verify it, filter it by kind and date, export it as CSV.

Writing stays with each use case (`profile.audit.record(AuditEvent..., ...)`); this module is what the
audit viewer and `sodclient audit` share, so both show and export the same thing.
"""

from __future__ import annotations

from typing import Any, TextIO

from sodclient.audit import VerifyResult, select, write_csv
from sodclient.audit_events import AREAS, area_of
from sodclient.errors import AuditDamaged
from sodclient.profile import Profile

KINDS = list(AREAS)


def kind_of(event: str) -> str:
    """The kind (area) an event name belongs to, for showing and filtering."""
    return area_of(event)


def verify(profile: Profile) -> VerifyResult:
    return profile.audit.verify()


def require_intact(profile: Profile) -> VerifyResult:
    """AuditDamaged naming the first broken entry, or the intact result."""
    result = profile.audit.verify()
    if not result.ok:
        raise AuditDamaged(f"audit trail DAMAGED: {result.problem}")
    return result


def records(profile: Profile, kinds: list[str] | None = None, since: str = "", until: str = "") -> list[dict[str, Any]]:
    """Records, oldest first, of the given kinds (see KINDS) between two dates (YYYY-MM-DD, inclusive, UTC)."""
    return select(profile.audit.read(), kinds or [], since, until)


def export_csv(profile: Profile, out: TextIO, kinds: list[str] | None = None, since: str = "", until: str = "") -> int:
    """Writes the selected records as CSV; returns how many. The export says nothing the trail does not."""
    return write_csv(records(profile, kinds, since, until), out)


__all__ = ["KINDS", "export_csv", "kind_of", "records", "require_intact", "verify"]
