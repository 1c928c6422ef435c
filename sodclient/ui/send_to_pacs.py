"""Send → Send to PACS: the chosen documents' DICOM instances to a node by C-STORE or STOW-RS, with progress
and one line per instance (stored, or why not). The audit trail records the counts."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sodclient.library import Document
from sodclient.profile import Profile
from sodclient.services.pacs import send_to_pacs
from sodclient.ui.common import human_size, plain_error
from sodclient.ui.pacs_dialog import NO_NODES, PacsDialog
from sodclient.ui.worker import Job


class SendToPacsDialog(PacsDialog):
    def __init__(self, profile: Profile, documents: list[Document], parent: QWidget | None = None):
        super().__init__(profile, lambda n: "STOW-RS" if n.is_dicomweb else "C-STORE", parent)
        self.documents = documents
        self.setWindowTitle("Send to PACS")
        self.resize(720, 480)
        self.outcome = None
        dicom = [d for d in documents if d.is_dicom]
        form = QFormLayout()
        form.addRow("PACS node", self.node)
        other = len(documents) - len(dicom)
        summary = f"{len(dicom)} DICOM instance(s), {human_size(sum(d.size for d in dicom))}"
        if other:
            summary += f"; {other} other document(s) stay here (a PACS stores DICOM only)"
        self.summary = QLabel(summary)
        self.summary.setWordWrap(True)
        form.addRow("To send", self.summary)
        self.progress = QProgressBar()
        self.progress.setRange(0, max(1, len(dicom)))
        self.progress.setValue(0)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Instance", "Result"])
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Close)
        self.send_button = self.buttons.addButton("Send", QDialogButtonBox.ActionRole)
        self.cancel_button = self.buttons.addButton("Cancel Sending", QDialogButtonBox.ActionRole)
        self.cancel_button.hide()
        self.send_button.clicked.connect(self.send)
        self.cancel_button.clicked.connect(self.cancel)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        if not self.nodes:
            self._say(NO_NODES, bad=True)
            self.send_button.setEnabled(False)
        elif not dicom:
            self._say("There are no DICOM images among the chosen documents.", bad=True)
            self.send_button.setEnabled(False)

    def send(self) -> Job | None:
        node, profile, docs = self.current_node(), self.profile, list(self.documents)
        if node is None:
            return None
        self.send_button.setEnabled(False)
        self.node.setEnabled(False)
        self.cancel_button.show()
        self._say("Sending…")
        self.job = Job(
            lambda progress, cancel: send_to_pacs(profile, node, docs, progress, cancel), self, title="send to PACS"
        )
        self.job.progressed.connect(self._progressed)
        self.job.succeeded.connect(self._sent)
        self.job.failed.connect(self._failed)
        self.job.finished.connect(self.cancel_button.hide)
        self.job.start()
        return self.job

    def _progressed(self, report) -> None:
        if report.total:
            self.progress.setRange(0, report.total)
            self.progress.setValue(report.done)
        self.status.setText(report.detail)

    def _sent(self, outcome) -> None:
        self.outcome = outcome
        self.table.setRowCount(len(outcome.results))
        for r, res in enumerate(outcome.results):
            uid = QTableWidgetItem(res.sop_instance_uid)
            state = QTableWidgetItem(res.message)
            state.setForeground(Qt.darkGreen if res.ok else Qt.red)
            self.table.setItem(r, 0, uid)
            self.table.setItem(r, 1, state)
        self.progress.setValue(self.progress.maximum())
        text = f"Stored {outcome.stored} of {len(outcome.results)} instance(s)."
        if outcome.failed:
            text += f" {outcome.failed} were not stored (see the list); they can be sent again."
        self._say(text, bad=bool(outcome.failed))
        self.send_button.setText("Send Again")
        self.send_button.setEnabled(True)
        self.node.setEnabled(True)

    def _failed(self, exc) -> None:
        self._say(plain_error(exc, "Instances already stored at the PACS stay there; sending again is safe."), bad=True)
        self.send_button.setEnabled(True)
        self.node.setEnabled(True)
