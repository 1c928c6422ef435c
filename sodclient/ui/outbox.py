"""Deliveries still on their way: a parked upload (resumed, not restarted) or a mail not sent yet.

Both the FTPSend progress window (Retry) and System → Outbox run `services.outbox.retry` in a ProcessJob:
it resumes a kept container's upload and then sends the mail.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from sodclient import wording
from sodclient.profile import Profile
from sodclient.services.outbox import pending, retry
from sodclient.ui.common import plain_error
from sodclient.ui.worker import ProcessJob


class OutboxDialog(QDialog):
    def __init__(self, profile: Profile, parent=None):
        super().__init__(parent)
        self.profile = profile
        self.setWindowTitle("Outbox")
        self.resize(760, 360)
        self.job: ProcessJob | None = None
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Deliveries whose upload or e-mail could not be finished. Nothing is lost: Retry resumes "
            "the upload where it stopped, then sends the e-mail."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Created", "Waiting for", "To", "Last problem"])
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        layout.addWidget(self.table, 1)
        self.status = QLabel()
        self.status.setTextFormat(Qt.PlainText)  # error text as typed: never read as HTML
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        self.retry_button = buttons.addButton("Retry all now", QDialogButtonBox.ActionRole)
        self.retry_button.clicked.connect(self.retry_all)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.load()

    def load(self) -> None:
        try:
            entries = pending(self.profile)
        except Exception as exc:
            self.status.setText(plain_error(exc))
            entries = []
        self.table.setRowCount(len(entries))
        for r, e in enumerate(entries):
            what = "upload, then e-mail" if e.upload_pending else "e-mail"
            for c, text in enumerate((wording.local_time(e.created), what, ", ".join(e.to + e.cc), e.last_error)):
                self.table.setItem(r, c, QTableWidgetItem(text))
        for c in range(3):
            self.table.resizeColumnToContents(c)
        self.retry_button.setEnabled(bool(entries))
        if not entries and not self.status.text():
            self.status.setText("The outbox is empty.")

    def retry_all(self) -> None:
        self.retry_button.setEnabled(False)
        self.status.setText("Retrying…")
        self.job = ProcessJob(retry, (self.profile, None), parent=self, title="outbox retry")
        self.job.succeeded.connect(self._done)
        self.job.failed.connect(lambda exc: (self.status.setText(plain_error(exc)), self.load()))
        self.job.start()

    def _done(self, outcomes) -> None:
        sent = sum(1 for o in outcomes if o.sent)
        self.status.setText(f"{sent} of {len(outcomes)} delivered.")
        self.load()
