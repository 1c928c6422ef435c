"""Step 1 of FTPSend: what to send, Peer Review, expiry, and how the recipient opens it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sodclient import passphrase_policy
from sodclient.library import Document
from sodclient.services.identity import Contact
from sodclient.ui.common import human_size
from sodformat.limits import MAX_EXPIRY_DAYS


@dataclass
class ExportChoice:
    documents: list[Document]
    peer_review: bool
    expires_in_days: int
    passphrase: str = ""
    recipient_key: str = ""
    recipient_email: str = ""  # from the chosen contact, prefills the e-mail step
    extra_files: list[Path] = field(default_factory=list)  # attachments from disk (e.g. for a reply)
    keep_date_intervals: bool = False  # Peer Review shifts dates by one secret offset instead of removing them


class ExportDialog(QDialog):
    def __init__(
        self,
        selected: list[Document],
        all_documents: list[Document],
        parent: QWidget | None = None,
        title: str = "FTPSend",
        contacts: list[Contact] | None = None,
        max_days: int = MAX_EXPIRY_DAYS,
        preferred_key: str = "",
    ):
        super().__init__(parent)
        self.selected_docs, self.all_docs = selected, all_documents
        self.contacts = contacts or []
        self.choice: ExportChoice | None = None
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)

        what = QGroupBox("Documents")
        wl = QVBoxLayout(what)
        self.selected_radio = QRadioButton(self._label("Selected", selected))
        self.all_radio = QRadioButton(self._label("All Documents", all_documents))
        group = QButtonGroup(self)
        group.addButton(self.selected_radio)
        group.addButton(self.all_radio)
        self.selected_radio.setEnabled(bool(selected))
        (self.selected_radio if selected else self.all_radio).setChecked(True)
        wl.addWidget(self.selected_radio)
        wl.addWidget(self.all_radio)
        self.extra_files: list[Path] = []
        attach = QHBoxLayout()
        self.attach_button = QPushButton("Add files…")
        self.attach_button.setToolTip("Attach files from disk that are not in the library")
        self.attach_label = QLabel("No extra files")
        attach.addWidget(self.attach_button)
        attach.addWidget(self.attach_label, 1)
        wl.addLayout(attach)
        self.attach_button.clicked.connect(self._choose_files)
        layout.addWidget(what)

        self.peer_review = QCheckBox("Peer Review: remove patient-identifying information before sending")
        layout.addWidget(self.peer_review)
        self.keep_intervals = QCheckBox("Keep the time between exams (shift all dates by one secret offset)")
        self.keep_intervals.setEnabled(False)
        self.keep_intervals.setContentsMargins(24, 0, 0, 0)
        self.peer_review.toggled.connect(self.keep_intervals.setEnabled)
        layout.addWidget(self.keep_intervals)

        form = QFormLayout()
        self.expiry = QSpinBox()
        self.expiry.setRange(1, min(max_days, MAX_EXPIRY_DAYS))  # the site's maximum caps the choice
        self.expiry.setValue(min(max_days, MAX_EXPIRY_DAYS))
        self.expiry.setSuffix(" days")
        form.addRow("Available for", self.expiry)
        layout.addLayout(form)

        how = QGroupBox("The recipient opens it with")
        hl = QFormLayout(how)
        self.use_passphrase = QRadioButton("A passphrase")
        self.use_key = QRadioButton("Their public key")
        g2 = QButtonGroup(self)
        g2.addButton(self.use_passphrase)
        g2.addButton(self.use_key)
        self.use_passphrase.setChecked(True)
        self.passphrase = QLineEdit()
        self.passphrase.setPlaceholderText("at least 10 characters, upper and lower case and a digit")
        self.generate_button = QPushButton("Generate")
        row = QHBoxLayout()
        row.addWidget(self.passphrase, 1)
        row.addWidget(self.generate_button)
        self.policy_label = QLabel()
        self.policy_label.setWordWrap(True)
        self.contact = QComboBox()
        for c in self.contacts:
            self.contact.addItem(f"{c.name} <{c.email}>" if c.email else c.name, c)
        hl.addRow(self.use_passphrase)
        hl.addRow("Passphrase", row)
        hl.addRow("", self.policy_label)
        hl.addRow(self.use_key)
        hl.addRow("Contact", self.contact)
        reminder = QLabel("Give the passphrase to the recipient by phone or another channel, never in the e-mail.")
        reminder.setWordWrap(True)
        reminder.setStyleSheet("color: #555;")
        hl.addRow(reminder)
        layout.addWidget(how)

        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020;")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.next_button = self.buttons.button(QDialogButtonBox.Ok)
        self.next_button.setText("Next")
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self.generate_button.clicked.connect(self.generate)
        self.passphrase.textChanged.connect(self._update)
        self.use_passphrase.toggled.connect(self._update)
        self.use_key.setEnabled(self.contact.count() > 0)
        if not self.contact.count():
            self.use_key.setToolTip("Add the recipient's public key under System → My Key and Contacts")
        known = next((i for i, c in enumerate(self.contacts) if preferred_key and c.recipient == preferred_key), None)
        if known is not None:  # a reply to a known, signed sender: their key, no passphrase to pass on
            self.contact.setCurrentIndex(known)
            self.use_key.setChecked(True)
        self._update()

    @staticmethod
    def _label(text: str, docs: list[Document]) -> str:
        return f"{text} ({len(docs)} document(s), {human_size(sum(d.size for d in docs))})"

    def _choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add files to send")
        self.add_files([Path(p) for p in paths])

    def add_files(self, paths: list[Path]) -> None:
        self.extra_files.extend(p for p in paths if p not in self.extra_files)
        n = len(self.extra_files)
        self.attach_label.setText(f"{n} extra file(s)" if n else "No extra files")

    def generate(self) -> None:
        self.use_passphrase.setChecked(True)
        self.passphrase.setText(passphrase_policy.generate())

    def _update(self) -> None:
        by_pass = self.use_passphrase.isChecked()
        self.passphrase.setEnabled(by_pass)
        self.generate_button.setEnabled(by_pass)
        self.contact.setEnabled(not by_pass)
        if not by_pass:
            self.policy_label.setText("")
            return
        problems = passphrase_policy.check(self.passphrase.text())
        if not self.passphrase.text():
            self.policy_label.setStyleSheet("color: #555;")
            self.policy_label.setText("Type a passphrase or click Generate.")
        elif problems:
            self.policy_label.setStyleSheet("color: #b00020;")
            self.policy_label.setText("Too weak: " + "; ".join(problems) + ".")
        else:
            self.policy_label.setStyleSheet("color: #1b7f3b;")
            self.policy_label.setText("Strong enough.")

    def _accept(self) -> None:
        docs = self.selected_docs if self.selected_radio.isChecked() else self.all_docs
        if not docs and not self.extra_files:
            self.error.setText("There is nothing to send: choose a case with documents, or add files.")
            return
        choice = ExportChoice(
            docs,
            self.peer_review.isChecked(),
            self.expiry.value(),
            extra_files=list(self.extra_files),
            keep_date_intervals=self.peer_review.isChecked() and self.keep_intervals.isChecked(),
        )
        if self.use_passphrase.isChecked():
            problems = passphrase_policy.check(self.passphrase.text())
            if problems:
                self.error.setText("The passphrase is too weak: " + "; ".join(problems) + ".")
                return
            choice.passphrase = self.passphrase.text()
        else:
            contact = self.contact.currentData()
            if contact is None:
                self.error.setText("Choose a contact.")
                return
            choice.recipient_key, choice.recipient_email = contact.recipient, contact.email
        self.choice = choice
        self.accept()
