"""Retrying what a send could not finish: resume a parked upload, then mail the link.

A send parks its work in the outbox when the server was reached but the upload failed (the finished,
encrypted container waits in the pending folder), or when the mail failed after a good upload. A retry
tries each entry once; finished entries leave the outbox, failed ones record why and stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sodclient.audit_events import AuditEvent
from sodclient.deliveries import Ledger
from sodclient.errors import TransferError
from sodclient.notify.mail import compose
from sodclient.notify.outbox import Outbox, OutboxEntry
from sodclient.notify.smtp import send_message
from sodclient.profile import Profile
from sodclient.progress import CancelToken, ProgressSink, no_progress
from sodclient.services.results import SendResult
from sodclient.transport.upload import FileSource, UploadResult, upload


def outbox_of(profile: Profile) -> Outbox:
    return Outbox(profile.paths.outbox_dir, profile.paths.pending_dir, profile.vault)


def pending(profile: Profile) -> list[OutboxEntry]:
    return outbox_of(profile).entries()


@dataclass(frozen=True)
class RetryOutcome:
    entry: OutboxEntry
    sent: bool
    error: str = ""
    result: SendResult | None = None  # what the send dialog shows when the entry finished


def retry(
    profile: Profile,
    entry_ids: list[str] | None = None,
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> list[RetryOutcome]:
    """Try the entries named (all when None) once each, in the order they were queued."""
    outbox = outbox_of(profile)
    entries = [e for e in outbox.entries() if entry_ids is None or e.id in entry_ids]
    if not entries:
        return []
    settings = profile.settings()
    smtp = settings.smtp()
    outcomes = []
    for entry in entries:
        try:
            if entry.upload_pending:
                _finish_upload(profile, outbox, entry, settings.sftp(), progress, cancel)
            send_message(smtp, compose(entry.notification(), smtp.sender))
        except TransferError as exc:
            entry.attempts += 1
            entry.last_error = str(exc)
            if entry.upload_pending and exc.resume_below is not None:
                entry.resume_below = exc.resume_below
            outbox.save(entry)
            outcomes.append(RetryOutcome(entry, False, str(exc)))
            continue
        outbox.remove(entry)
        profile.audit.record(
            AuditEvent.NOTIFY,
            remote_name=entry.remote_name,
            to=entry.to,
            cc=entry.cc,
            via="outbox",
            attempts=entry.attempts + 1,
        )
        outcomes.append(RetryOutcome(entry, True, result=_summary(entry)))
    return outcomes


def _finish_upload(
    profile: Profile, outbox: Outbox, entry: OutboxEntry, target, progress: ProgressSink, cancel: CancelToken | None
) -> UploadResult:
    container = outbox.container(entry.remote_name)
    source = FileSource(container)
    try:
        result = upload(
            target, source, entry.remote_name, progress=progress, cancel=cancel, resume_below=entry.resume_below
        )
    finally:
        source.close()
    Ledger(profile.paths.ledger_file).add(
        entry.remote_name, result.size, datetime.fromisoformat(entry.expires), to=entry.to, cc=entry.cc
    )
    profile.audit.record(
        AuditEvent.UPLOAD,
        remote_name=entry.remote_name,
        size=result.size,
        attempts=result.attempts,
        seconds=round(result.seconds, 2),
        cipher=result.cipher,
        engine=result.library,
        via="outbox",
        published_by=result.published_by,
        verified_by=result.verified_by,
    )
    entry.upload_pending = False
    outbox.save(entry)
    container.unlink(missing_ok=True)
    return result


def _summary(entry: OutboxEntry) -> SendResult:
    return SendResult(
        entry.link, entry.remote_name, datetime.fromisoformat(entry.expires), entry.size, True, outbox_id=entry.id
    )
