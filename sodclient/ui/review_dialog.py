"""Step 2 of FTPSend with Peer Review: the de-identification report, read before anything leaves."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget


class ReviewDialog(QDialog):
    def __init__(self, report, parent: QWidget | None = None):
        super().__init__(parent)
        self.report = report
        self.setWindowTitle("Peer Review report")
        self.resize(640, 480)
        layout = QVBoxLayout(self)
        if report.all_safe:
            head = QLabel(f"All {len(report.outputs)} document(s) were de-identified. Read the changes, then "
                          "continue to send the de-identified copies (your library keeps the originals).")
        else:
            head = QLabel(f"<b>{len(report.left_out)} document(s) could not be made safe and will be left out.</b> "
                          f"{len(report.outputs)} de-identified document(s) can still be sent.")
        head.setWordWrap(True)
        layout.addWidget(head)
        self.text = QPlainTextEdit(report.to_text())
        self.text.setReadOnly(True)
        self.text.setFont(QFont("Monospace"))
        layout.addWidget(self.text, 1)
        buttons = QDialogButtonBox()
        label = "Continue" if report.all_safe else f"Send the {len(report.outputs)} safe document(s)"
        self.continue_button = buttons.addButton(label, QDialogButtonBox.AcceptRole)
        self.continue_button.setEnabled(bool(report.outputs))
        buttons.addButton(QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
