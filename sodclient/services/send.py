"""Sending, as one use case: Peer Review (optional, a separate first step) -> pack -> upload -> notify.

Two steps so the sender can read the Peer Review report before anything leaves:
`services.peer_review.review()` writes the de-identified copies and records that Peer Review ran; `send()`
packs, uploads and notifies, given the review (or the original paths). The UI and `sodclient send --peer-review` call the same two functions, so
the audit trail shows the same events for the same action from either.

Packing and uploading overlap: the container is written to a spool file while the uploader tails it,
sending what is already written; a large send takes about as long as its upload. The spool file also
lets the uploader resume after a dropped connection, and is parked in the outbox if the upload fails
after the server was reached.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterator
from typing import Any

from sodformat import PassphraseRecipient, collect_sources, pack, parse_recipient
from sodformat.errors import CancelledError, SodError
from sodformat.limits import MAX_EXPIRY_DAYS

from sodclient import passphrase_policy
from sodclient.deliveries import Ledger
from sodclient.errors import InputError, TransferError, UploadPending, UserError
from sodclient.keys import own_identity
from sodclient.notify.mail import SUBJECT as MAIL_SUBJECT
from sodclient.notify.mail import Notification, compose
from sodclient.notify.smtp import send_message
from sodclient.profile import Profile
from sodclient.progress import CancelToken, ProgressReport, ProgressSink, RateMeter, no_progress
from sodclient.services.connection import audited
from sodclient.services.outbox import outbox_of
from sodclient.services.peer_review import Review
from sodclient.services.results import SendResult
from sodclient.transport.session import ConfirmHostKey, SftpTarget
from sodclient.transport.upload import GrowingFile, new_remote_name, upload

_EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")


@dataclass
class SendRequest:
    paths: list[Path]
    to: list[str]
    passphrases: list[str] = field(default_factory=list)       # each must pass passphrase_policy
    recipient_keys: list[str] = field(default_factory=list)    # "sod1..." public keys
    cc: list[str] = field(default_factory=list)
    message: str = ""                                           # sent in clear in the mail (the UI says so)
    expires_in_days: int = MAX_EXPIRY_DAYS
    reviewed: Review | None = None                              # send the reviewed copies instead of `paths`
    sign: bool = True                                           # sign with the user's own key, if they have one

    def __repr__(self) -> str:  # passphrases and addresses never appear in logs or tracebacks
        return (f"SendRequest({len(self.paths)} path(s), {len(self.to)} to, {len(self.cc)} cc, "
                f"{len(self.passphrases)} passphrase(s), {len(self.recipient_keys)} key(s), "
                f"expires_in_days={self.expires_in_days}, peer_review={self.reviewed is not None})")


def validate(request: SendRequest) -> list:
    """Check the request before anything is read or sent; returns the container recipients."""
    if not request.paths and request.reviewed is None:
        raise InputError("nothing to send: give at least one file or folder")
    if not request.to:
        raise InputError("give the recipient's e-mail address (--to)")
    for address in request.to + request.cc:
        if not _EMAIL.fullmatch(address):
            raise InputError(f"{address!r} is not an e-mail address")
    if not isinstance(request.expires_in_days, int) or not 1 <= request.expires_in_days <= MAX_EXPIRY_DAYS:
        raise InputError(f"a delivery expires after 1 to {MAX_EXPIRY_DAYS} days, not {request.expires_in_days}")
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
        validate(request)
        profile.settings().preflight()


@contextlib.contextmanager
def _audited_failure(profile: Profile, request: SendRequest) -> Iterator[None]:
    """Failed attempts are audited too (the error's kind only: messages may name hosts or folders)."""
    try:
        yield
    except (UserError, SodError) as exc:
        if not isinstance(exc, UploadPending):   # that one has its own "upload-pending" record
            try:
                profile.audit.record("send-failed", reason=type(exc).__name__, to=list(request.to),
                                     cc=list(request.cc))
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


def send(profile: Profile, request: SendRequest, progress: ProgressSink = no_progress,
         cancel: CancelToken | None = None, confirm_host_key: ConfirmHostKey | None = None) -> SendResult:
    """Pack, upload and notify. Raises UserError subclasses (transport diagnoses, UploadPending,
    ConfigError, InputError) with a plain diagnosis, or CancelledError; on a mail failure after a good
    upload the result says `notified=False` and the mail waits in the outbox. Failed attempts are audited."""
    with _audited_failure(profile, request):
        return _send(profile, request, progress, cancel or CancelToken(), confirm_host_key)


def _send(profile: Profile, request: SendRequest, progress: ProgressSink, cancel: CancelToken,
          confirm_host_key: ConfirmHostKey | None) -> SendResult:
    recipients = validate(request)
    signer = own_identity(profile.paths) if request.sign else None   # recipients then see who sent it, verified
    settings = profile.settings()
    sftp_target, smtp_target = settings.preflight()
    confirm_host_key = audited(profile, confirm_host_key, sftp_target.port)
    spool = profile.ensure().paths.spool
    remote_name = new_remote_name()
    work = spool / remote_name.removesuffix(".sod")
    work.mkdir(mode=0o700)
    reviewed = request.reviewed
    paths = reviewed.outputs if reviewed is not None else list(request.paths)
    outbox = outbox_of(profile)
    try:
        try:
            sources = collect_sources(paths)
        except SodError as exc:
            raise InputError(str(exc)) from None
        try:
            result_header, upload_result = _pack_and_upload(sources, recipients, request.expires_in_days, signer,
                                                            work / "container.sod", sftp_target, remote_name,
                                                            progress, cancel, confirm_host_key)
        except _KeptContainer as kept:
            note = Notification(list(request.to), list(request.cc), settings.link(remote_name),
                                kept.header.expires, kept.size, request.message)
            entry = outbox.add_pending_upload(note, remote_name, kept.path, str(kept.cause))
            profile.audit.record("upload-pending", remote_name=remote_name, size=kept.size, outbox_id=entry.id)
            raise UploadPending(kept.cause, entry.id) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)   # the spool container (parked in the outbox if kept)

    expires = result_header.expires
    Ledger(profile.paths.ledger_file).add(remote_name, upload_result.size, expires)
    profile.audit.record("upload", remote_name=remote_name, size=upload_result.size,
                         attempts=upload_result.attempts, seconds=round(upload_result.seconds, 2),
                         cipher=upload_result.cipher, published_by=upload_result.published_by,
                         verified_by=upload_result.verified_by)
    note = Notification(list(request.to), list(request.cc), settings.link(remote_name), expires,
                        upload_result.size, request.message)
    progress(ProgressReport("notify", 0, 1))
    notified, error, outbox_id = True, "", ""
    try:
        send_message(smtp_target, compose(note, smtp_target.sender))
        profile.audit.record("notify", remote_name=remote_name, to=note.to, cc=note.cc, via="direct")
    except TransferError as exc:
        entry = outbox.add(note, remote_name, str(exc))
        notified, error, outbox_id = False, str(exc), entry.id
        profile.audit.record("notify-queued", remote_name=remote_name, to=note.to, cc=note.cc, outbox_id=entry.id)
    progress(ProgressReport("notify", 1, 1))
    report = reviewed.report if reviewed is not None else None
    profile.audit.record("send", remote_name=remote_name, size=upload_result.size, files=len(sources),
                         unlock_by_key=len(request.recipient_keys), unlock_by_phrase=len(request.passphrases),
                         to=note.to, cc=note.cc, expires=expires.isoformat(), peer_review=reviewed is not None,
                         left_out=len(report.left_out) if report else 0, notified=notified,
                         signed=signer is not None)
    return SendResult(settings.link(remote_name), remote_name, expires, upload_result.size, notified, error,
                      outbox_id, upload_result, report)


class _KeptContainer(Exception):
    """Internal: the upload failed after the container was complete; send() parks it in the outbox."""

    def __init__(self, cause: TransferError, path: Path, header, size: int):
        super().__init__(str(cause))
        self.cause, self.path, self.header, self.size = cause, path, header, size


def _pack_and_upload(sources, recipients, days, signer, spool_file: Path, target: SftpTarget, remote_name: str,
                     progress: ProgressSink, cancel: CancelToken, confirm_host_key):
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
            result = pack(writer, sources, recipients, expires_in_days=days, signer=signer,
                          progress=lambda done, total: meter.update(done), cancel=pipeline)
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
    try:
        result = upload(target, growing, remote_name, progress=progress, cancel=pipeline,
                        confirm_host_key=confirm_host_key, on_connected=connected.set)
    except CancelledError:
        pipeline.cancel()
        thread.join()
        raise
    except SodError as exc:  # packing failed: upload() re-raised it from the spool reader
        thread.join()
        raise UserError(str(exc)) from None
    except TransferError as exc:
        if not connected.is_set():   # never reached a usable server: nothing worth keeping
            pipeline.cancel()
            thread.join()
            raise
        thread.join()                # let the pack finish: the finished container is kept for a later retry
        if "header" not in outcome:
            raise
        raise _KeptContainer(exc, spool_file, outcome["header"], spool_file.stat().st_size) from None
    except BaseException:
        pipeline.cancel()
        thread.join()
        raise
    thread.join()
    return outcome["header"], result


__all__ = ["MAIL_SUBJECT", "SendRequest", "SendResult", "preflight", "send", "validate"]
