"""Deliveries still on their way: a parked upload (resumed, not restarted) or a mail not sent yet.

`retry_in_worker` is what both the FTPSend progress window (Retry) and System → Outbox run, in a
ProcessJob; the backend's outbox.retry resumes a kept container's upload and then sends the mail.
"""

from __future__ import annotations

import html
from datetime import datetime

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QLabel, QTableWidget, QTableWidgetItem,
                               QVBoxLayout)

from sodclient.notify import outbox
from sodclient.send import SendResult
from sodclient.ui.common import plain_error
from sodclient.ui.worker import ProcessJob


def retry_in_worker(entry_ids: list[str] | None, progress, cancel) -> list[tuple[str, bool, str, SendResult]]:
    """Retries the given outbox entries (all when None); returns (id, sent, error, result-for-display)."""
    entries = [e for e in outbox.pending() if entry_ids is None or e.id in entry_ids]
    outcomes = outbox.retry(None, entries, progress=progress, cancel=cancel)
    return [(o.entry.id, o.sent, o.error,
             SendResult(o.entry.link, o.entry.remote_name, datetime.fromisoformat(o.entry.expires), o.entry.size,
                        o.sent, o.error, o.entry.id)) for o in outcomes]


class OutboxDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Outbox")
        self.resize(760, 360)
        self.job: ProcessJob | None = None
        layout = QVBoxLayout(self)
        intro = QLabel("Deliveries whose upload or e-mail could not be finished. Nothing is lost: Retry resumes "
                       "the upload where it stopped, then sends the e-mail.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Created (UTC)", "Waiting for", "To", "Last problem"])
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        layout.addWidget(self.table, 1)
        self.status = QLabel()
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
            entries = outbox.pending()
        except Exception as exc:
            self.status.setText(plain_error(exc))
            entries = []
        self.table.setRowCount(len(entries))
        for r, e in enumerate(entries):
            what = "upload, then e-mail" if e.upload_pending else "e-mail"
            for c, text in enumerate((e.created.replace("+00:00", ""), what, ", ".join(e.to + e.cc), e.last_error)):
                self.table.setItem(r, c, QTableWidgetItem(text))
        for c in range(3):
            self.table.resizeColumnToContents(c)
        self.retry_button.setEnabled(bool(entries))
        if not entries and not self.status.text():
            self.status.setText("The outbox is empty.")

    def retry_all(self) -> None:
        self.retry_button.setEnabled(False)
        self.status.setText("Retrying…")
        self.job = ProcessJob(retry_in_worker, (None,), parent=self)
        self.job.succeeded.connect(self._done)
        self.job.failed.connect(lambda exc: (self.status.setText(html.escape(plain_error(exc))), self.load()))
        self.job.start()

    def _done(self, outcomes) -> None:
        sent = sum(1 for _, ok, _, _ in outcomes if ok)
        self.status.setText(f"{sent} of {len(outcomes)} delivered.")
        self.load()
