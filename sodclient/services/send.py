"""Sending, as one use case: Peer Review (optional, a separate first step) -> pack -> upload -> notify.

Two steps so the sender can read the Peer Review report before anything leaves:
`services.peer_review.review()` writes the de-identified copies and records that Peer Review ran; `send()`
packs, uploads and notifies, given the review (or the original paths). The UI and `sodclient send --peer-review`
call the same two functions, so the audit trail shows the same events for the same action from either.

Packing and uploading overlap: the container is written to a spool file while the uploader tails it,
sending what is already written; a large send takes about as long as its upload. The spool file also
lets the uploader resume after a dropped connection, and is parked in the outbox if the upload fails
after the server was reached.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sodclient import passphrase_policy
from sodclient.audit_events import AuditEvent
from sodclient.deliveries import Ledger
from sodclient.errors import InputError, LibraryError, TransferError, UploadPending, UserError
from sodclient.library import Message
from sodclient.notify.mail import SUBJECT as MAIL_SUBJECT
from sodclient.notify.mail import Notification, compose
from sodclient.notify.smtp import PreparedConnection
from sodclient.profile import Profile
from sodclient.progress import CancelToken, ProgressReport, ProgressSink, RateMeter, no_progress
from sodclient.services.connection import audited
from sodclient.services.outbox import outbox_of
from sodclient.services.peer_review import Review
from sodclient.services.results import SendResult
from sodclient.transport.session import ConfirmHostKey, SftpTarget
from sodclient.transport.upload import GrowingFile, new_remote_name, upload
from sodformat import Delivery, PassphraseRecipient, collect_sources, new_delivery_id, pack, parse_recipient
from sodformat.errors import CancelledError, SodError
from sodformat.limits import MAX_EXPIRY_DAYS
from sodformat.manifest import MAX_MESSAGE_BYTES, check_delivery_id

log = logging.getLogger("sodclient.send")
CONNECT_ATTEMPTS = 2  # before any connection worked: a dead server is reported after two tries, not six
_EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")


@dataclass
class SendRequest:
    paths: list[Path]
    to: list[str]
    passphrases: list[str] = field(default_factory=list)  # each must pass passphrase_policy
    recipient_keys: list[str] = field(default_factory=list)  # "sod1..." public keys
    cc: list[str] = field(default_factory=list)
    message: str = ""  # sent in clear in the mail (the UI says so)
    expires_in_days: int = MAX_EXPIRY_DAYS
    reviewed: Review | None = None  # send the reviewed copies instead of `paths`
    sign: bool = True  # sign with the user's own key, if they have one
    in_reply_to: str = ""  # the delivery id this send answers (a reply)
    case_id: int | None = None  # the library case the documents came from
    delivery_id: str = field(default_factory=new_delivery_id)  # this delivery's id, in the container
    document_ids: list[int] = field(default_factory=list)  # library documents sent (the Sent view's Send again)

    def __repr__(self) -> str:  # passphrases and addresses never appear in logs or tracebacks
        return (
            f"SendRequest({len(self.paths)} path(s), {len(self.to)} to, {len(self.cc)} cc, "
            f"{len(self.passphrases)} passphrase(s), {len(self.recipient_keys)} key(s), "
            f"expires_in_days={self.expires_in_days}, peer_review={self.reviewed is not None}, "
            f"reply={bool(self.in_reply_to)})"
        )


def max_expiry_days(profile: Profile) -> int:
    """The longest a delivery may stay downloadable at this site (site defaults `site.max_expiry_days`)."""
    return profile.settings().max_expiry_days()


def validate(request: SendRequest, max_days: int = MAX_EXPIRY_DAYS) -> list:
    """Check the request before anything is read or sent; returns the container recipients.
    `max_days` is the site's cap on expiry (site defaults `site.max_expiry_days`, at most the format's 14)."""
    if not request.paths and request.reviewed is None:
        raise InputError("nothing to send: give at least one file or folder")
    if not request.to:
        raise InputError("give the recipient's e-mail address (--to)")
    for address in request.to + request.cc:
        if not _EMAIL.fullmatch(address):
            raise InputError(f"{address!r} is not an e-mail address")
    if not isinstance(request.expires_in_days, int) or not 1 <= request.expires_in_days <= max_days:
        site = " (your site's maximum)" if max_days < MAX_EXPIRY_DAYS else ""
        raise InputError(f"a delivery expires after 1 to {max_days} days{site}, not {request.expires_in_days}")
    try:
        check_delivery_id(request.delivery_id)
        if request.in_reply_to:
            check_delivery_id(request.in_reply_to, "in-reply-to id")
    except SodError as exc:
        raise InputError(str(exc)) from None
    if len(request.message.encode("utf-8")) > MAX_MESSAGE_BYTES:
        raise InputError(f"the message is too long (at most {MAX_MESSAGE_BYTES // 1024} KiB)")
    if not request.passphrases and not request.recipient_keys:
        raise InputError("choose how the recipient opens it: a passphrase or their public key")
    recipients: list = []
    for passphrase in request.passphrases:
        problems = passphrase_policy.check(passphrase)
        if problems:
            raise InputError("the passphrase is too weak: " + "; ".join(problems))
        recipients.append(PassphraseRecipient(passphrase))
    for key in request.recipient_keys:
        try:
            recipients.append(parse_recipient(key.strip()))
        except SodError as exc:
            raise InputError(f"not a recipient key: {exc}") from None
    return recipients


def preflight(profile: Profile, request: SendRequest) -> None:
    """Everything that can be checked before a long Peer Review: the request and the settings.
    A refusal is audited like a failed send."""
    with _audited_failure(profile, request):
        settings = profile.settings()
        validate(request, settings.max_expiry_days())
        settings.preflight()


@contextlib.contextmanager
def _audited_failure(profile: Profile, request: SendRequest) -> Iterator[None]:
    """Failed attempts are audited too (the error's kind only: messages may name hosts or folders)."""
    try:
        yield
    except (UserError, SodError) as exc:
        if not isinstance(exc, UploadPending):  # that one has its own "upload-pending" record
            try:
                extra = {"in_reply_to": request.in_reply_to} if request.in_reply_to else {}
                profile.audit.record(
                    AuditEvent.SEND_FAILED, reason=type(exc).__name__, to=list(request.to), cc=list(request.cc), **extra
                )
            except Exception:  # the audit store failing must not hide why the send failed
                pass
        raise


class _TailedWriter:
    """The file object pack() writes to: tells the uploader how far the spool file is written.

    Packing does not wait for the server: the passphrase KDF (Argon2id, which releases the GIL), the
    compression and the first spool writes run while the SSH handshake waits on the network, so the upload
    starts at full speed once the folder is checked. If the server turns out unusable, the uploader cancels
    the pipeline and the spool is deleted (issue 14; measured in BENCHMARKS.md)."""

    def __init__(self, path: Path, growing: GrowingFile):
        self._f = open(path, "wb", buffering=0)
        self._growing = growing
        self.pos = 0

    def write(self, data) -> int:
        view = memoryview(data)
        while view:
            n = self._f.write(view)
            view = view[n:]
            self.pos += n
        self._growing.written(self.pos)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._f.close()


def send(
    profile: Profile,
    request: SendRequest,
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
    confirm_host_key: ConfirmHostKey | None = None,
) -> SendResult:
    """Pack, upload and notify. Raises UserError subclasses (transport diagnoses, UploadPending,
    ConfigError, InputError) with a plain diagnosis, or CancelledError; on a mail failure after a good
    upload the result says `notified=False` and the mail waits in the outbox. Failed attempts are audited."""
    with _audited_failure(profile, request):
        return _send(profile, request, progress, cancel or CancelToken(), confirm_host_key)


def _send(
    profile: Profile,
    request: SendRequest,
    progress: ProgressSink,
    cancel: CancelToken,
    confirm_host_key: ConfirmHostKey | None,
) -> SendResult:
    settings = profile.settings()
    recipients = validate(request, settings.max_expiry_days())
    signer = profile.identity.current() if request.sign else None  # recipients then see who sent it, verified
    delivery = Delivery(
        request.delivery_id, request.in_reply_to, request.message, reply_to=settings.raw.get("smtp.from", "")
    )  # where the recipient's reply goes
    sftp_target, smtp_target = settings.preflight()
    confirm_host_key = audited(profile, confirm_host_key, sftp_target.port)
    spool = profile.ensure().paths.spool
    remote_name = new_remote_name()
    work = spool / remote_name.removesuffix(".sod")
    work.mkdir(mode=0o700)
    reviewed = request.reviewed
    paths = reviewed.outputs if reviewed is not None else list(request.paths)
    outbox = outbox_of(profile)
    mail = PreparedConnection(smtp_target)  # logs in to the mail server while the upload runs
    try:
        try:
            sources = collect_sources(paths)
        except SodError as exc:
            raise InputError(str(exc)) from None
        try:
            result_header, upload_result = _pack_and_upload(
                sources,
                recipients,
                request.expires_in_days,
                signer,
                work / "container.sod",
                sftp_target,
                remote_name,
                progress,
                cancel,
                confirm_host_key,
                delivery,
            )
        except _KeptContainer as kept:
            note = Notification(
                list(request.to),
                list(request.cc),
                settings.link(remote_name),
                kept.header.expires,
                kept.size,
                request.message,
            )
            entry = outbox.add_pending_upload(note, remote_name, kept.path, str(kept.cause), kept.cause.resume_below)
            profile.audit.record(AuditEvent.UPLOAD_PENDING, remote_name=remote_name, size=kept.size, outbox_id=entry.id)
            _file_in_thread(profile, request, list(request.to) + list(request.cc), len(sources))
            raise UploadPending(kept.cause, entry.id) from None
    except BaseException:
        mail.close()
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)  # the spool container (parked in the outbox if kept)

    expires = result_header.expires
    try:
        Ledger(profile.paths.ledger_file).add(
            remote_name,
            upload_result.size,
            expires,
            to=request.to,
            cc=request.cc,
            files=len(sources),
            document_ids=request.document_ids,
        )
        profile.audit.record(
            AuditEvent.UPLOAD,
            remote_name=remote_name,
            size=upload_result.size,
            attempts=upload_result.attempts,
            seconds=round(upload_result.seconds, 2),
            cipher=upload_result.cipher,
            engine=upload_result.library,
            published_by=upload_result.published_by,
            verified_by=upload_result.verified_by,
        )
    except BaseException:  # the mail connection opened during the upload is closed politely, not left to GC
        mail.close()
        raise
    note = Notification(
        list(request.to), list(request.cc), settings.link(remote_name), expires, upload_result.size, request.message
    )
    progress(ProgressReport("notify", 0, 1))
    notified, error, outbox_id = True, "", ""
    try:
        mail.send(compose(note, smtp_target.sender))
        profile.audit.record(AuditEvent.NOTIFY, remote_name=remote_name, to=note.to, cc=note.cc, via="direct")
    except TransferError as exc:
        entry = outbox.add(note, remote_name, str(exc))
        notified, error, outbox_id = False, str(exc), entry.id
        profile.audit.record(
            AuditEvent.NOTIFY_QUEUED, remote_name=remote_name, to=note.to, cc=note.cc, outbox_id=entry.id
        )
    progress(ProgressReport("notify", 1, 1))
    report = reviewed.report if reviewed is not None else None
    _file_in_thread(profile, request, note.to + note.cc, len(sources))
    thread = {"in_reply_to": request.in_reply_to} if request.in_reply_to else {}
    profile.audit.record(
        AuditEvent.REPLY if request.in_reply_to else AuditEvent.SEND,
        remote_name=remote_name,
        size=upload_result.size,
        files=len(sources),
        unlock_by_key=len(request.recipient_keys),
        unlock_by_phrase=len(request.passphrases),
        to=note.to,
        cc=note.cc,
        expires=expires.isoformat(),
        peer_review=reviewed is not None,
        left_out=len(report.left_out) if report else 0,
        notified=notified,
        signed=signer is not None,
        delivery=request.delivery_id,
        **thread,
    )
    return SendResult(
        settings.link(remote_name),
        remote_name,
        expires,
        upload_result.size,
        notified,
        error,
        outbox_id,
        upload_result,
        report,
    )


def _file_in_thread(profile: Profile, request: SendRequest, to: list[str], files: int) -> None:
    """The sent delivery goes under its case (or the case of the delivery it answers) in the library, so
    the thread shows it. The delivery already left: a library problem is logged, never fails the send."""
    try:
        profile.library().record_message(
            Message(
                request.delivery_id,
                "sent",
                request.case_id,
                request.in_reply_to,
                ", ".join(to),
                "",
                request.message,
                files,
                "",
            )
        )
    except (LibraryError, OSError, sqlite3.Error) as exc:
        log.warning("the sent delivery was not filed in the library thread: %s", type(exc).__name__)


class _KeptContainer(Exception):
    """Internal: the upload failed after the container was complete; send() parks it in the outbox."""

    def __init__(self, cause: TransferError, path: Path, header, size: int):
        super().__init__(str(cause))
        self.cause, self.path, self.header, self.size = cause, path, header, size


def _pack_and_upload(
    sources,
    recipients,
    days,
    signer,
    spool_file: Path,
    target: SftpTarget,
    remote_name: str,
    progress: ProgressSink,
    cancel: CancelToken,
    confirm_host_key,
    delivery: Delivery | None = None,
):
    """Pack into `spool_file` on one thread while the uploader tails it on this one. One child token
    links the two stages: the user's cancel reaches both, and an upload that fails before the server was
    usable stops the packer without it looking like the user's cancel."""
    growing = GrowingFile(spool_file)
    pipeline = cancel.child()
    outcome: dict[str, Any] = {}
    total_in = sum(s.size for s in sources)
    meter = RateMeter("pack", total_in, progress)
    connected = threading.Event()

    def packer() -> None:
        writer = _TailedWriter(spool_file, growing)
        try:
            result = pack(
                writer,
                sources,
                recipients,
                expires_in_days=days,
                signer=signer,
                progress=lambda done, total: meter.update(done),
                cancel=pipeline,
                delivery=delivery,
            )
            writer.close()
            outcome["header"] = result.header
            meter.update(total_in, force=True)
            growing.finish(result.bytes_written)
        except BaseException as exc:  # handed to the uploader, which re-raises it in the caller's thread
            writer.close()
            if isinstance(exc, OSError):
                exc = SodError(f"cannot write the container in the spool folder: {exc.strerror or exc}")
            elif not isinstance(exc, SodError):
                exc = SodError(f"packing failed ({type(exc).__name__})")
            growing.fail(exc)

    thread = threading.Thread(target=packer, name="sod-pack", daemon=True)
    thread.start()
    ended = threading.Event()
    attempts = {"started": time.monotonic(), "last": ""}  # the watcher's view of the connection attempts
    watcher = threading.Thread(
        target=_report_connecting, args=(target, connected, ended, progress, attempts), name="sod-connect", daemon=True
    )
    watcher.start()

    def upload_progress(report: ProgressReport) -> None:
        """The uploader learns the container's size only at the start of an attempt; once packing has
        finished it is known, so the sender sees a percentage and the time left."""
        final = growing.final_size()
        if report.stage == "upload" and "retrying" in report.detail and not connected.is_set():
            attempts["started"], attempts["last"] = time.monotonic(), report.detail  # the next attempt starts
        if report.stage == "upload" and report.total is None and final:
            eta = max(0.0, (final - report.done) / report.rate) if report.rate else None
            report = dataclasses.replace(report, total=final, eta_s=eta)
        progress(report)

    try:
        result = upload(
            target,
            growing,
            remote_name,
            progress=upload_progress,
            cancel=pipeline,
            confirm_host_key=confirm_host_key,
            on_connected=connected.set,
            connect_attempts=CONNECT_ATTEMPTS,
            expected_size=total_in,
        )
    except CancelledError:
        pipeline.cancel()
        thread.join()
        raise
    except SodError as exc:  # packing failed: upload() re-raised it from the spool reader
        thread.join()
        raise UserError(str(exc)) from None
    except TransferError as exc:
        if not connected.is_set():  # never reached a usable server: nothing worth keeping
            pipeline.cancel()
            thread.join()
            raise
        thread.join()  # let the pack finish: the finished container is kept for a later retry
        if "header" not in outcome:
            raise
        raise _KeptContainer(exc, spool_file, outcome["header"], spool_file.stat().st_size) from None
    except BaseException:
        pipeline.cancel()
        thread.join()
        raise
    finally:
        ended.set()
    thread.join()
    return outcome["header"], result


def _report_connecting(
    target: SftpTarget, connected: threading.Event, ended: threading.Event, progress: ProgressSink, attempts: dict
) -> None:
    """While no connection is up: what is being tried and for how long, so a dead server is not a silent
    "Connecting…" (stage "connect"; done/total are seconds waited in this attempt / seconds before it gives
    up; after a failed attempt the detail carries its diagnosis)."""
    base = f"Connecting to {target.host} (port {target.port})"
    while not connected.is_set() and not ended.is_set():
        waited = time.monotonic() - attempts["started"]
        detail = f"{base}. Last attempt: {attempts['last']}" if attempts["last"] else base
        progress(ProgressReport("connect", int(max(0, waited)), int(target.timeout), None, None, detail))
        if connected.wait(0.5) or ended.is_set():
            break
    if connected.is_set():
        progress(
            ProgressReport(
                "connect", int(target.timeout), int(target.timeout), None, None, f"Connected to {target.host}"
            )
        )


__all__ = ["MAIL_SUBJECT", "SendRequest", "SendResult", "max_expiry_days", "preflight", "send", "validate"]
