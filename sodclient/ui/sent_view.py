"""Send → Sent Deliveries: what was sent from this computer (the delivery ledger): to whom, when, size,
expiry and state, with "Delete from Server Now" (the link stops working at once) and "Send Again"."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sodclient import wording
from sodclient.profile import Profile
from sodclient.services import sent as service
from sodclient.ui.common import plain_error
from sodclient.ui.worker import Job

COLUMNS = ["To", "Sent", "Size", "Available until", "State"]


class SentDialog(QDialog):
    def __init__(self, profile: Profile, window: QWidget | None = None):
        super().__init__(window)
        self.profile, self.window_ = profile, window
        self.setWindowTitle("Sent Deliveries")
        self.resize(900, 420)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel("Deliveries sent from this computer. Times are in this computer's time zone.", wordWrap=True)
        )
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectRows)
        self.table.setSelectionMode(QTableWidget.SingleSelection)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table, 1)
        self.status = QLabel(wordWrap=True)
        self.status.setTextFormat(Qt.PlainText)
        layout.addWidget(self.status)
        row = QHBoxLayout()
        self.delete_button = QPushButton("Delete from Server Now")
        self.delete_button.setToolTip("The download link stops working at once; your library keeps the documents")
        self.again_button = QPushButton("Send Again…")
        row.addWidget(self.delete_button)
        row.addWidget(self.again_button)
        row.addStretch(1)
        layout.addLayout(row)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.delete_button.clicked.connect(lambda: self.delete_selected())
        self.again_button.clicked.connect(lambda: self.send_again())
        self.job: Job | None = None
        self.load()

    def load(self) -> None:
        self.deliveries = service.sent_deliveries(self.profile)
        self.table.setRowCount(len(self.deliveries))
        for r, d in enumerate(self.deliveries):
            to = ", ".join(d.recipients) or "(not recorded)"
            files = f" · {d.files} document{'s' if d.files != 1 else ''}" if d.files else ""
            cells = (
                to + files,
                wording.local_time(d.uploaded),
                wording.human_size(d.size),
                wording.local_time(d.expires),
                d.state,
            )
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
        for c in range(1, len(COLUMNS)):
            self.table.resizeColumnToContents(c)
        if not self.deliveries:
            self.status.setText("Nothing has been sent from this computer yet.")
        self._selection_changed()

    def selected(self):
        rows = self.table.selectionModel().selectedRows()
        return self.deliveries[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        d = self.selected()
        self.delete_button.setEnabled(bool(d and not d.purged and not self.job))
        self.again_button.setEnabled(d is not None)

    def delete_selected(self, confirm: bool = True) -> Job | None:
        d = self.selected()
        if d is None or d.purged:
            return None
        if (
            confirm
            and QMessageBox.question(
                self,
                "Delete from Server Now",
                f"Delete the delivery to {', '.join(d.recipients) or 'its recipients'} from the server now? "
                "The download link stops working at once; a recipient who has not downloaded it yet cannot.",
            )
            != QMessageBox.Yes
        ):
            return None
        profile, name = self.profile, d.remote_name
        self.job = Job(
            lambda progress, cancel: service.delete_from_server(profile, name), self, title="delete from server"
        )
        self.status.setText("Deleting from the server…")
        self.delete_button.setEnabled(False)

        def done(found: bool) -> None:
            self.job = None
            self.status.setText(
                "Deleted from the server: the link no longer works."
                if found
                else "It was no longer on the server; it is marked as deleted."
            )
            self.load()

        def failed(exc) -> None:
            self.job = None
            self.status.setText(plain_error(exc, "Nothing was changed."))
            self._selection_changed()

        self.job.succeeded.connect(done)
        self.job.failed.connect(failed)
        self.job.start()
        return self.job

    def send_again(self):
        d = self.selected()
        if d is None or self.window_ is None:
            return None
        try:
            again = service.send_again(self.profile, d.remote_name)
        except Exception as exc:
            self.status.setText(plain_error(exc))
            return None
        if not again.documents:
            self.status.setText(
                "The documents of this delivery are no longer in the library (or were not "
                "recorded); choose them in the library and use FTPSend."
            )
            return None
        from sodclient.ui.send_flow import SendFlow

        if not self.window_._ensure_send_setup():
            return None
        flow = SendFlow(
            self.window_,
            selected=again.documents,
            all_documents=again.documents,
            reply_to=", ".join(again.to),
            title="Send Again",
        )
        self.window_._keep(flow)
        flow.start()
        if again.missing:
            self.status.setText(f"{again.missing} document(s) of that delivery are no longer in the library.")
        self.accept()
        return flow
