"""Step 3 of FTPSend: who gets the download link, and the (unencrypted) message."""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

_EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")


def split_addresses(text: str) -> list[str]:
    return [a.strip() for a in re.split(r"[,;\s]+", text) if a.strip()]


@dataclass
class EmailChoice:
    to: list[str]
    cc: list[str]
    subject: str
    message: str


class EmailDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, to: str = "", subject: str = "Documents for you"):
        super().__init__(parent)
        self.choice: EmailChoice | None = None
        self.setWindowTitle("FTPSend: e-mail")
        self.setMinimumWidth(540)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.to = QLineEdit(to)
        self.to.setPlaceholderText("colleague@hospital.org")
        self.cc = QLineEdit()
        self.subject = QLineEdit(subject)
        self.subject.setReadOnly(True)  # fixed text, so no patient detail ever ends up in a mail subject
        self.subject.setToolTip("The subject is fixed so that no patient detail can end up in it.")
        self.message = QPlainTextEdit()
        self.message.setPlaceholderText("A short note for the recipient (no patient details)")
        form.addRow("To", self.to)
        form.addRow("Cc", self.cc)
        form.addRow("Subject", self.subject)
        form.addRow("Message", self.message)
        layout.addLayout(form)
        warn = QLabel(
            "⚠ The e-mail and this message are <b>not encrypted</b>. Do not write patient details "
            "here, and never the passphrase. Only the documents behind the download link are encrypted."
        )
        warn.setWordWrap(True)
        warn.setObjectName("unencrypted-note")
        warn.setStyleSheet("background: #fff4e5; border: 1px solid #f0b45a; padding: 6px;")
        layout.addWidget(warn)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020;")
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.send_button = self.buttons.button(QDialogButtonBox.Ok)
        self.send_button.setText("Send")
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _accept(self) -> None:
        to, cc = split_addresses(self.to.text()), split_addresses(self.cc.text())
        if not to:
            self.error.setText("Enter the recipient's e-mail address.")
            return
        bad = [a for a in to + cc if not _EMAIL.fullmatch(a)]
        if bad:
            self.error.setText(f"This is not an e-mail address: {bad[0]}")
            return
        self.choice = EmailChoice(to, cc, self.subject.text().strip(), self.message.toPlainText().strip())
        self.accept()
