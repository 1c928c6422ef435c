"""The Sent view's use cases: what this profile sent (from the delivery ledger), deleting one from the server
before it expires (revoking the link early), and what "Send again" starts from."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sodclient.audit_events import AuditEvent
from sodclient.deliveries import Delivery, Ledger
from sodclient.errors import InputError, TransferError
from sodclient.library import Document
from sodclient.profile import Profile
from sodclient.services.connection import audited
from sodclient.transport.session import SftpSession

log = logging.getLogger("sodclient.sent")


def sent_deliveries(profile: Profile) -> list[Delivery]:
    """Newest first."""
    return sorted(Ledger(profile.paths.ledger_file).load(), key=lambda d: d.uploaded, reverse=True)


def delete_from_server(profile: Profile, remote_name: str, confirm_host_key=None) -> bool:
    """Removes the delivery's file from the server now: its link stops working. Marks the ledger and audits.
    Returns False when the file was already gone (removed by the clean-up or by hand); that is marked too."""
    ledger = Ledger(profile.paths.ledger_file)
    delivery = ledger.get(remote_name)
    if delivery is None:
        raise InputError("This delivery is not in the list of deliveries sent from this computer.")
    if delivery.purged:
        return False
    target = profile.settings().sftp()
    removed = True
    with SftpSession(target, audited(profile, confirm_host_key, target.port)) as session:
        try:
            session.sftp.remove(session.path(remote_name))
        except FileNotFoundError:
            removed = False
        except PermissionError:
            raise TransferError(
                "The server did not allow deleting the file (no permission in the remote "
                "folder); ask the server's administrator."
            ) from None
    ledger.mark_purged(remote_name, revoked=True)
    profile.audit.record(AuditEvent.REVOKE, remote_name=remote_name, found=removed)
    log.info("delivery deleted from the server before expiry (found=%s)", removed)
    return removed


@dataclass(frozen=True)
class SendAgain:
    """What a new send starts from: the same recipients and the documents still in the library."""

    to: list[str]
    cc: list[str]
    documents: list[Document]
    missing: int  # documents of the original send no longer in the library (or not recorded)


def send_again(profile: Profile, remote_name: str) -> SendAgain:
    delivery = Ledger(profile.paths.ledger_file).get(remote_name)
    if delivery is None:
        raise InputError("This delivery is not in the list of deliveries sent from this computer.")
    library = profile.library()
    docs = [d for d in (library.document(i) for i in delivery.document_ids) if d is not None]
    missing = (delivery.files or len(delivery.document_ids)) - len(docs)
    return SendAgain(list(delivery.to), list(delivery.cc), docs, max(0, missing))
