"""The send pipeline: Peer Review (optional) -> pack -> upload -> notify, Qt-free.

Packing and uploading overlap: the container is written to a spool file under app_paths().spool
while the uploader tails it, sending what is already written; a large send takes about as long as
its upload. The spool file also lets the uploader resume after a dropped connection. The UI and
the `sodclient send` command both call `send()`.
"""

from __future__ import annotations

import re
import shutil
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sodformat import PassphraseRecipient, collect_sources, pack, parse_recipient
from sodformat.errors import CancelledError, SodError
from sodformat.limits import MAX_EXPIRY_DAYS

from sodclient import audit, passphrase_policy
from sodclient.config import load_settings
from sodclient.config.schema import ConfigError
from sodclient.errors import UserError
from sodclient.keys import own_identity
from sodclient.notify import outbox
from sodclient.notify.mail import Notification, compose
from sodclient.notify.smtp import SmtpTarget, send_message
from sodclient.paths import app_paths
from sodclient.progress import CancelToken, ProgressReport, ProgressSink, RateMeter, no_progress
from sodclient.transport import ledger
from sodclient.transport.errors import Picklable, TransferError
from sodclient.transport.session import ConfirmHostKey, SftpTarget
from sodclient.transport.upload import GrowingFile, UploadResult, new_remote_name, upload

_EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")


class PeerReviewLeftOut(Picklable, UserError):
    """Peer Review could not make every input safe; the sender must look at the report first."""

    exit_code = 5

    def __init__(self, report: Any):
        self.report = report
        super().__init__(f"Peer Review left {len(report.left_out)} input(s) out as not safe to send; nothing was "
                         "sent. Review the report, then send the rest anyway (--yes) or fix the inputs")


class UploadPending(TransferError):
    """The upload could not finish; the encrypted container is kept and `outbox retry` resumes it."""

    def __init__(self, cause: TransferError, outbox_id: str):
        self.cause, self.outbox_id = cause, outbox_id
        super().__init__(f"{cause} - the encrypted container is kept; `sodclient outbox retry` (or Retry in the "
                         "app) resumes the upload where it stopped and then sends the mail")


@dataclass
class SendRequest:
    paths: list[Path]
    to: list[str]
    passphrases: list[str] = field(default_factory=list)       # each must pass passphrase_policy
    recipient_keys: list[str] = field(default_factory=list)    # "sod1..." public keys
    cc: list[str] = field(default_factory=list)
    message: str = ""                                           # sent in clear in the mail (the UI says so)
    expires_in_days: int = MAX_EXPIRY_DAYS
    peer_review: bool = False
    peer_review_options: Any = None
    send_rest_if_left_out: bool = False                         # True once the sender saw the report
    sign: bool = True                                           # sign with the user's own key, if they have one

    def __repr__(self) -> str:  # passphrases never appear in logs or tracebacks
        return (f"SendRequest({len(self.paths)} path(s), to={self.to}, cc={self.cc}, "
                f"{len(self.passphrases)} passphrase(s), {len(self.recipient_keys)} key(s), "
                f"expires_in_days={self.expires_in_days}, peer_review={self.peer_review})")


@dataclass(frozen=True)
class SendResult:
    link: str
    remote_name: str
    expires: datetime
    size: int
    notified: bool                   # False: the mail waits in the outbox (see notify_error)
    notify_error: str = ""
    outbox_id: str = ""
    upload: UploadResult | None = None
    peer_review: Any = None          # the PeerReviewReport when Peer Review ran


def validate(request: SendRequest) -> list:
    """Check the request before anything is read or sent; returns the container recipients."""
    if not request.paths:
        raise UserError("nothing to send: give at least one file or folder", exit_code=2)
    if not request.to:
        raise UserError("give the recipient's e-mail address (--to)", exit_code=2)
    for address in request.to + request.cc:
        if not _EMAIL.fullmatch(address):
            raise UserError(f"{address!r} is not an e-mail address", exit_code=2)
    if not isinstance(request.expires_in_days, int) or not 1 <= request.expires_in_days <= MAX_EXPIRY_DAYS:
        raise UserError(f"a delivery expires after 1 to {MAX_EXPIRY_DAYS} days, not {request.expires_in_days}",
                        exit_code=2)
    if not request.passphrases and not request.recipient_keys:
        raise UserError("choose how the recipient opens it: a passphrase or their public key", exit_code=2)
    recipients: list = []
    for passphrase in request.passphrases:
        problems = passphrase_policy.check(passphrase)
        if problems:
            raise UserError("the passphrase is too weak: " + "; ".join(problems), exit_code=2)
        recipients.append(PassphraseRecipient(passphrase))
    for key in request.recipient_keys:
        try:
            recipients.append(parse_recipient(key.strip()))
        except SodError as exc:
            raise UserError(f"not a recipient key: {exc}", exit_code=2) from None
    return recipients


class _EitherCancel:
    """Cancelled when the user cancels or when the other pipeline stage failed."""

    def __init__(self, user: CancelToken):
        self.user, self.internal = user, CancelToken()

    @property
    def cancelled(self) -> bool:
        return self.user.cancelled or self.internal.cancelled

    def is_set(self) -> bool:
        return self.cancelled


class _TailedWriter:
    """The file object pack() writes to: tells the uploader how far the spool file is written."""

    def __init__(self, path: Path, growing: GrowingFile, gate: threading.Event, cancel: "_EitherCancel"):
        self._f = open(path, "wb", buffering=0)
        self._growing = growing
        self._gate, self._cancel = gate, cancel
        self.pos = 0

    def write(self, data) -> int:
        # The first write is the header, after the passphrase KDF (Argon2id): that ran while the SSH
        # handshake waited on the network. Compression waits until the server proved usable.
        while not self._gate.wait(0.1):
            if self._cancel.cancelled:
                raise CancelledError("cancelled")
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


def _run_peer_review(request: SendRequest, out_dir: Path, progress: ProgressSink, cancel: CancelToken):
    try:
        from sodclient.deid import PeerReviewOptions, run_peer_review
    except ImportError:
        raise UserError("Peer Review is not available in this build", exit_code=2) from None
    options = request.peer_review_options or PeerReviewOptions()
    report = run_peer_review(list(request.paths), out_dir, options, progress, cancel)
    if not report.outputs:
        raise PeerReviewLeftOut(report) if report.left_out else UserError("Peer Review produced nothing to send")
    if report.left_out and not request.send_rest_if_left_out:
        raise PeerReviewLeftOut(report)
    return report


def send(request: SendRequest, progress: ProgressSink = no_progress, cancel: CancelToken | None = None,
         confirm_host_key: ConfirmHostKey | None = None) -> SendResult:
    """Review, pack, upload and notify. Raises UserError subclasses (transport.errors, PeerReviewLeftOut,
    UploadPending, ConfigError) with a plain diagnosis, or CancelledError; on a mail failure after a good
    upload the result says `notified=False` and the mail waits in the outbox. Failed attempts are audited
    too (the error's kind only: messages may name hosts or folders)."""
    try:
        return _send(request, progress, cancel or CancelToken(), confirm_host_key)
    except (UserError, SodError) as exc:
        if not isinstance(exc, UploadPending):   # that one has its own "upload-pending" record
            try:
                audit.record("send-failed", reason=type(exc).__name__, to=list(request.to), cc=list(request.cc))
            except Exception:  # the audit store failing must not hide why the send failed
                pass
        raise


def _send(request: SendRequest, progress: ProgressSink, cancel: CancelToken,
          confirm_host_key: ConfirmHostKey | None) -> SendResult:
    recipients = validate(request)
    signer = own_identity() if request.sign else None   # recipients then see who sent it, verified
    settings = load_settings()
    sftp_target = SftpTarget.from_settings(settings)
    smtp_target = SmtpTarget.from_settings(settings)
    settings.require("link.template")
    spool = app_paths().ensure().spool
    remote_name = new_remote_name()
    work = spool / remote_name.removesuffix(".sod")
    work.mkdir(mode=0o700)
    report = None
    try:
        paths = list(request.paths)
        if request.peer_review:
            report = _run_peer_review(request, work / "reviewed", progress, cancel)
            paths = list(report.outputs)
        try:
            sources = collect_sources(paths)
        except SodError as exc:
            raise UserError(str(exc), exit_code=2) from None
        try:
            result_header, upload_result = _pack_and_upload(sources, recipients, request.expires_in_days, signer,
                                                            work / "container.sod", sftp_target, remote_name,
                                                            progress, cancel, confirm_host_key)
        except _KeptContainer as kept:
            link = settings["link.template"].format(name=remote_name)
            note = Notification(list(request.to), list(request.cc), link, kept.header.expires, kept.size,
                                request.message)
            entry = outbox.add_pending_upload(note, remote_name, kept.path, str(kept.cause))
            audit.record("upload-pending", remote_name=remote_name, size=kept.size, outbox_id=entry.id)
            raise UploadPending(kept.cause, entry.id) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)   # de-identified copies and the spool container

    expires = result_header.expires
    ledger.add(remote_name, upload_result.size, expires)
    audit.record("upload", remote_name=remote_name, size=upload_result.size, attempts=upload_result.attempts,
                 seconds=round(upload_result.seconds, 2), cipher=upload_result.cipher)
    link = settings["link.template"].format(name=remote_name)
    note = Notification(list(request.to), list(request.cc), link, expires, upload_result.size, request.message)
    progress(ProgressReport("notify", 0, 1))
    notified, error, outbox_id = True, "", ""
    try:
        send_message(smtp_target, compose(note, smtp_target.sender))
        audit.record("notify", remote_name=remote_name, to=note.to, cc=note.cc, via="direct")
    except TransferError as exc:
        entry = outbox.add(note, remote_name, str(exc))
        notified, error, outbox_id = False, str(exc), entry.id
        audit.record("notify-queued", remote_name=remote_name, to=note.to, cc=note.cc, outbox_id=entry.id)
    progress(ProgressReport("notify", 1, 1))
    audit.record("send", remote_name=remote_name, size=upload_result.size, files=len(sources),
                 unlock_by_key=len(request.recipient_keys), unlock_by_phrase=len(request.passphrases),
                 to=note.to, cc=note.cc, expires=expires.isoformat(), peer_review=request.peer_review,
                 left_out=len(report.left_out) if report else 0, notified=notified, signed=signer is not None)
    return SendResult(link, remote_name, expires, upload_result.size, notified, error, outbox_id,
                      upload_result, report)


class _KeptContainer(Exception):
    """Internal: the upload failed after the container was complete; send() parks it in the outbox."""

    def __init__(self, cause: TransferError, path: Path, header, size: int):
        super().__init__(str(cause))
        self.cause, self.path, self.header, self.size = cause, path, header, size


def _pack_and_upload(sources, recipients, days, signer, spool_file: Path, target: SftpTarget, remote_name: str,
                     progress: ProgressSink, cancel: CancelToken, confirm_host_key):
    growing = GrowingFile(spool_file)
    either = _EitherCancel(cancel)
    outcome: dict[str, Any] = {}
    total_in = sum(s.size for s in sources)
    meter = RateMeter("pack", total_in, progress)

    connected = threading.Event()

    def packer() -> None:
        writer = _TailedWriter(spool_file, growing, connected, either)
        try:
            result = pack(writer, sources, recipients, expires_in_days=days, signer=signer,
                          progress=lambda done, total: meter.update(done), cancel=either)
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
    upload_cancel = CancelToken()
    watcher_stop = threading.Event()

    def forward_cancel() -> None:  # the uploader stops when the user cancels
        while not watcher_stop.wait(0.1):
            if cancel.cancelled:
                upload_cancel.cancel()
                return

    threading.Thread(target=forward_cancel, daemon=True).start()
    try:
        result = upload(target, growing, remote_name, progress=progress, cancel=upload_cancel,
                        confirm_host_key=confirm_host_key, on_connected=connected.set)
    except CancelledError:
        either.internal.cancel()
        thread.join()
        raise
    except SodError as exc:  # packing failed: upload() re-raised it from the spool reader
        thread.join()
        raise UserError(str(exc)) from None
    except TransferError as exc:
        if not connected.is_set():   # never reached a usable server: nothing worth keeping
            either.internal.cancel()
            thread.join()
            raise
        thread.join()                # let the pack finish: the finished container is kept for a later retry
        if "header" not in outcome:
            raise
        raise _KeptContainer(exc, spool_file, outcome["header"], spool_file.stat().st_size) from None
    except BaseException:
        either.internal.cancel()
        thread.join()
        raise
    finally:
        watcher_stop.set()
    thread.join()
    return outcome["header"], result


def test_connection(settings=None, confirm_host_key: ConfirmHostKey | None = None):
    """Re-exported for the UI: see sodclient.transport.diagnosis."""
    from sodclient.transport.diagnosis import test_connection as run

    return run(settings, confirm_host_key)


test_connection.__test__ = False  # not a pytest test despite its name

__all__ = ["SendRequest", "SendResult", "send", "validate", "PeerReviewLeftOut", "UploadPending", "test_connection", "ConfigError"]
