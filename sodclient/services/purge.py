"""The managed-transfer rule's clean-up: delete this profile's expired deliveries (and stale partial
uploads) from the server, mark them in the ledger and audit each deletion."""

from __future__ import annotations

from sodclient.audit_events import AuditEvent
from sodclient.deliveries import Ledger
from sodclient.profile import Profile
from sodclient.transport.purge import PurgeReport
from sodclient.transport.purge import purge_expired as purge_remote


def purge_expired(profile: Profile, dry_run: bool = False) -> PurgeReport:
    ledger = Ledger(profile.paths.ledger_file)
    known = {d.remote_name: (f"expired {d.expires}" if d.expired else None) for d in ledger.load() if not d.purged}

    def deleted(name: str, why: str) -> None:
        if name in known:
            ledger.mark_purged(name)
        profile.audit.record(AuditEvent.PURGE, remote_name=name, reason=why)

    return purge_remote(profile.settings().sftp(), known, dry_run=dry_run, on_deleted=deleted)
