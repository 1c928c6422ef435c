"""FTPSend as the sender knows it: Export → (Peer Review report) → E-mail → Progress → link or diagnosis.

The controller opens each dialog with open() (never a blocking exec()), so the window stays live and
tests drive the very same dialogs through `flow.export_dialog`, `flow.review_dialog`, `flow.email_dialog`
and `flow.progress_dialog`. All work runs in Jobs over the services: `services.peer_review.review` and
`services.send.send` (the same two steps `sodclient send --peer-review` takes), and `services.outbox.retry`.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal

from sodclient.deid.options import PeerReviewOptions
from sodclient.errors import UploadPending
from sodclient.library import Document
from sodclient.services.identity import contacts
from sodclient.services.outbox import retry
from sodclient.services.peer_review import Review, review
from sodclient.services.send import MAIL_SUBJECT, SendRequest, max_expiry_days, send
from sodclient.transport.errors import HostKeyChanged, UnknownHostKey
from sodclient.ui.common import plain_error
from sodclient.ui.email_dialog import EmailDialog
from sodclient.ui.export_dialog import ExportChoice, ExportDialog
from sodclient.ui.hand_clean import HandCleanDialog
from sodclient.ui.hostkey_dialog import HostKeyDialog, fingerprint_matcher
from sodclient.ui.job_progress import JobProgress
from sodclient.ui.review_dialog import ReviewDialog
from sodclient.ui.send_progress import SendProgressDialog
from sodclient.ui.worker import Job, ProcessJob


def _stage_files(paths: list[Path], dest: Path) -> list[Path]:
    """Attachments from disk are copied beside the staged documents (so editing the original meanwhile
    cannot change what is sent), under names that do not clash with them."""
    dest.mkdir(parents=True, exist_ok=True, mode=0o700)
    taken = {p.name.lower() for p in dest.iterdir()}
    out = []
    for src in paths:
        name, k = src.name, 1
        while name.lower() in taken:
            k += 1
            name = f"{src.stem} ({k}){src.suffix}"
        taken.add(name.lower())
        shutil.copy2(src, dest / name)
        out.append(dest / name)
    return out


class SendFlow(QObject):
    done_signal = Signal(object)  # the SendResult, or None when the user stopped

    def __init__(
        self,
        window,
        selected: list[Document],
        all_documents: list[Document],
        *,
        reply_to: str = "",
        reply_subject: str = "",
        in_reply_to: str = "",
        reply_key: str = "",
        case_id: int | None = None,
        title: str = "",
    ):
        super().__init__(window)
        self.title = title
        self.in_reply_to, self.reply_key = in_reply_to, reply_key  # a threaded reply, to a known contact's key
        self.case_id = case_id if case_id is not None else getattr(window, "current_case_id", lambda: None)()
        self.window = window
        self.profile = window.profile
        self.selected, self.all_documents = selected, all_documents
        self.reply_to, self.reply_subject = reply_to, reply_subject
        self.choice: ExportChoice | None = None
        self.email = None
        self.paths: list[Path] = []
        self.report = None
        self.reviewed: Review | None = None
        self.staged: list[Path] = []  # what Peer Review reads: the same inputs each time it runs
        self.review_options: PeerReviewOptions | None = None
        self.ended = False
        self.review_again_job: ProcessJob | None = None
        self.result = None
        self.job: Job | None = None
        self.confirm_host_key = None
        self.outbox_id = ""  # set when the backend kept the container or the mail for a later retry
        self.export_dialog: ExportDialog | None = None
        self.review_dialog: ReviewDialog | None = None
        self.email_dialog: EmailDialog | None = None
        self.progress_dialog: SendProgressDialog | None = None
        self.hostkey_dialog: HostKeyDialog | None = None
        self.workdir = self.profile.ensure().paths.spool / f"outgoing-{uuid.uuid4().hex}"

    @property
    def busy(self) -> bool:
        return bool(self.job and self.job.running)

    def cancel(self) -> None:
        if self.job:
            self.job.cancel()

    # 1. what to send --------------------------------------------------------------------------------
    def start(self) -> None:
        title = self.title or ("Reply" if self.reply_to or self.reply_subject else "FTPSend")
        self.export_dialog = ExportDialog(
            self.selected,
            self.all_documents,
            self.window,
            title=title,
            contacts=contacts(self.profile),
            max_days=max_expiry_days(self.profile),
            preferred_key=self.reply_key,
        )
        self.export_dialog.accepted.connect(self._exported)
        self.export_dialog.rejected.connect(lambda: self._finish(None))
        self.export_dialog.open()

    def _exported(self) -> None:
        self.choice = self.export_dialog.choice
        try:
            staged = self.window.library.stage(
                self.choice.documents, self.workdir / "documents", keep_titles=not self.choice.peer_review
            )
            staged += _stage_files(self.choice.extra_files, self.workdir / "documents")
        except OSError as exc:
            self.window.statusBar().showMessage(plain_error(exc), 10000)
            self._finish(None)
            return
        if not self.choice.peer_review:
            self.paths = staged
            self._ask_email()
            return
        # In a process too: de-identifying large series is CPU-bound Python and numpy, which would
        # otherwise compete with the window for the GIL.
        options = PeerReviewOptions(keep_date_intervals=self.choice.keep_date_intervals)
        self.staged, self.review_options = staged, options
        # empty_ok: even with every document left out the report opens, where images can be cleaned by hand
        self.job = ProcessJob(
            review, (self.profile, staged, options), {"empty_ok": True}, parent=self, title="peer review"
        )
        self.review_progress = JobProgress("Peer Review: de-identifying", self.job, self.window)
        self.job.succeeded.connect(self._reviewed)
        self.job.failed.connect(self._review_failed)
        self.job.start()
        self.review_progress.show()

    # 2. Peer Review report --------------------------------------------------------------------------
    def _review_failed(self, exc) -> None:
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(
            QMessageBox.Warning, "Peer Review", plain_error(exc, "Nothing was sent."), QMessageBox.Ok, self.window
        )
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.open()
        self._finish(None)

    def _reviewed(self, reviewed: Review) -> None:
        self.reviewed, self.report = reviewed, reviewed.report
        originals = {f"input {n}": item for n, item in enumerate([*self.choice.documents, *self.choice.extra_files], 1)}
        self.review_dialog = ReviewDialog(
            reviewed.report,
            self.window,
            originals=originals,
            open_document=self._open_original,
            clean_by_hand=self._clean_by_hand,
        )
        self.review_dialog.accepted.connect(self._review_accepted)
        self.review_dialog.rejected.connect(lambda: self._finish(None))
        self.review_dialog.open()

    def _open_original(self, item, picture: bool = False) -> None:
        """A left-out document, opened from the report: the viewer for images, else the system's viewer.
        A file added from disk is the sender's own: shown here when it is an image, else by the system."""
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        from sodclient.ui.viewer import ViewerDialog

        if isinstance(item, Document) and (item.is_dicom or item.is_image):
            viewer = ViewerDialog(item, self.review_dialog)
            viewer.setAttribute(Qt.WA_DeleteOnClose)
            viewer.open()
            self.opened_viewer = viewer
        elif isinstance(item, Document):
            self.window.select_document(item.id)
            self.window.document_actions.open_with_system()
        elif isinstance(item, Path) and picture:  # a DICOM image (the report says so)
            shown = HandCleanDialog(item, item.name, self.review_dialog, read_only=True)
            shown.open()
            self.opened_viewer = shown
        elif isinstance(item, Path):
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(item)))

    def _clean_by_hand(self, label: str, boxes: list) -> None:
        """Peer Review once more over the same inputs, with the sender's boxes for `label` (the whole set
        again: one set of new UIDs and one final check span every copy). The old copies stay until it succeeds."""
        assert self.review_options is not None
        options = self.review_options.with_boxes(label, boxes)
        self.job = self.review_again_job = ProcessJob(
            review, (self.profile, self.staged, options), {"empty_ok": True}, parent=self, title="peer review again"
        )
        self.review_progress = JobProgress("Peer Review: checking again", self.job, self.review_dialog)
        self.job.succeeded.connect(lambda reviewed: self._reviewed_again(reviewed, label, options))
        self.job.failed.connect(self._review_again_failed)
        self.job.start()
        self.review_progress.show()

    def _reviewed_again(self, reviewed: Review, label: str, options: PeerReviewOptions) -> None:
        if self.ended:  # the sender gave up meanwhile
            reviewed.discard()
            return
        previous, self.reviewed, self.report = self.reviewed, reviewed, reviewed.report
        self.review_options = options
        if previous is not None:
            previous.discard()
        self.review_dialog.show_report(reviewed.report, label)

    def _review_again_failed(self, exc) -> None:
        if not self.ended:
            self.review_dialog.clean_failed(plain_error(exc, "The report is as it was."))

    def _review_accepted(self) -> None:
        self.paths = self.reviewed.outputs  # the sender read the report: send what Peer Review made safe
        self._ask_email()

    # 3. e-mail --------------------------------------------------------------------------------------
    def _ask_email(self) -> None:
        to = self.choice.recipient_email or self.reply_to
        self.email_dialog = EmailDialog(self.window, to=to, subject=MAIL_SUBJECT)
        self.email_dialog.accepted.connect(self._emailed)
        self.email_dialog.rejected.connect(lambda: self._finish(None))
        self.email_dialog.open()

    def _emailed(self) -> None:
        self.email = self.email_dialog.choice
        self.progress_dialog = SendProgressDialog(
            self.window,
            peer_review=self.choice.peer_review,
            passphrase_used=bool(self.choice.passphrase),
            passphrase=self.choice.passphrase or "",
        )
        self.progress_dialog.cancel_requested.connect(self.cancel)
        self.progress_dialog.retry_requested.connect(self._retry)
        self.progress_dialog.finished.connect(lambda *_: self._finish(self.result))
        self.progress_dialog.open()
        self._send()

    # 4. send ----------------------------------------------------------------------------------------
    def request(self) -> SendRequest:
        c, e = self.choice, self.email
        return SendRequest(
            paths=list(self.paths),
            to=e.to,
            cc=e.cc,
            message=e.message,
            passphrases=[c.passphrase] if c.passphrase else [],
            recipient_keys=[c.recipient_key] if c.recipient_key else [],
            expires_in_days=c.expires_in_days,
            reviewed=self.reviewed,
            in_reply_to=self.in_reply_to,
            case_id=self.case_id,
            document_ids=[d.id for d in c.documents],
        )

    def _send(self) -> None:
        # A process, not a thread: the passphrase KDF holds the GIL long enough to freeze the window.
        self.job = ProcessJob(
            send, (self.profile, self.request()), {"confirm_host_key": self.confirm_host_key}, parent=self, title="send"
        )
        self.job.progressed.connect(self.progress_dialog.on_progress)
        self.job.succeeded.connect(self._sent)
        self.job.failed.connect(self._send_failed)
        self.progress_dialog.start()
        self.job.start()

    def _retry(self) -> None:
        """Retry resumes what the backend kept (upload or mail); otherwise it sends again."""
        if not self.outbox_id:
            self._send()
            return
        self.job = ProcessJob(retry, (self.profile, [self.outbox_id]), parent=self, title="outbox retry")
        self.job.progressed.connect(self.progress_dialog.on_progress)
        self.job.succeeded.connect(self._retried)
        self.job.failed.connect(self._send_failed)
        self.progress_dialog.start()
        self.job.start()

    def _retried(self, outcomes) -> None:
        if not outcomes:  # retried meanwhile from System → Outbox
            self.outbox_id = ""
            self.progress_dialog.show_failure(
                "This delivery is no longer in the outbox (it was already sent).", retry=False
            )
            return
        outcome = outcomes[0]
        if outcome.sent:
            self.outbox_id = ""
            self._sent(outcome.result)
        else:
            self.progress_dialog.show_failure(f"{outcome.error}. The delivery stays in the outbox (System → Outbox).")

    def _sent(self, result) -> None:
        self.result = result
        self.outbox_id = "" if result.notified else result.outbox_id
        self.progress_dialog.show_success(result)

    def _send_failed(self, exc) -> None:
        if isinstance(exc, UploadPending):
            self.outbox_id = exc.outbox_id
        if isinstance(exc, UnknownHostKey):
            self.hostkey_dialog = HostKeyDialog(exc.host, exc.fingerprint, exc.key_type, self.progress_dialog)
            self.hostkey_dialog.accepted.connect(lambda: self._trust(exc.fingerprint))
            self.hostkey_dialog.rejected.connect(
                lambda: self.progress_dialog.show_failure("The server was not trusted, so nothing was sent.")
            )
            self.progress_dialog.show_failure("Waiting for you to confirm the server's identity.", retry=False)
            self.hostkey_dialog.open()
            return
        self.progress_dialog.show_failure(plain_error(exc), retry=not isinstance(exc, HostKeyChanged))

    def _trust(self, fingerprint: str) -> None:
        self.confirm_host_key = fingerprint_matcher(fingerprint)
        self._send()

    def _finish(self, result) -> None:
        self.ended = True
        if self.review_again_job is not None and self.review_again_job.running:  # its copies are discarded
            self.review_again_job.cancel()
        shutil.rmtree(self.workdir, ignore_errors=True)
        if self.reviewed is not None:
            self.reviewed.discard()
        self.done_signal.emit(result)
