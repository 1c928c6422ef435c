"""My Key and Contacts: show (or create) the user's public key, and keep recipients' public keys."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sodclient.errors import UserError
from sodclient.profile import Profile
from sodclient.services import identity


class KeysDialog(QDialog):
    def __init__(self, profile: Profile, parent: QWidget | None = None):
        super().__init__(parent)
        self.profile = profile
        self.setWindowTitle("My Key and Contacts")
        self.setMinimumWidth(720)
        layout = QVBoxLayout(self)

        mine = QGroupBox("My key (give the public key to people who send to you)")
        ml = QFormLayout(mine)
        self.recipient = QLineEdit(readOnly=True)
        self.signer = QLineEdit(readOnly=True)
        self.create_button = QPushButton("Create my key")
        self.copy_button = QPushButton("Copy public key")
        row = QHBoxLayout()
        row.addWidget(self.create_button)
        row.addWidget(self.copy_button)
        row.addStretch(1)
        ml.addRow("Public key", self.recipient)
        ml.addRow("Signing key", self.signer)
        ml.addRow(row)
        layout.addWidget(mine)
        self.create_button.clicked.connect(self.create_key)
        self.copy_button.clicked.connect(self.copy_key)

        box = QGroupBox("Contacts (recipients' public keys)")
        bl = QVBoxLayout(box)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Name", "E-mail", "Public key"])
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectRows)
        bl.addWidget(self.table)
        form = QFormLayout()
        self.name, self.email = QLineEdit(), QLineEdit()
        self.key, self.sign_key = QLineEdit(), QLineEdit()
        self.key.setPlaceholderText('sod1… (paste what they copied with "Copy public key": both keys are taken)')
        self.sign_key.setPlaceholderText("sodsig1… (optional: lets you see who signed what they send you)")
        form.addRow("Name", self.name)
        form.addRow("E-mail", self.email)
        form.addRow("Public key", self.key)
        form.addRow("Signing key", self.sign_key)
        bl.addLayout(form)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add contact")
        self.remove_button = QPushButton("Remove selected")
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        bl.addLayout(row)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020;")
        bl.addWidget(self.error)
        layout.addWidget(box)
        self.add_button.clicked.connect(self.add)
        self.remove_button.clicked.connect(self.remove)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._load()

    def _load(self) -> None:
        recipient, signer = identity.public_keys(self.profile)  # public: shown without unlocking
        self.recipient.setText(recipient or "(no key yet)")
        self.signer.setText(signer)
        self.create_button.setVisible(not recipient)
        self.copy_button.setEnabled(bool(recipient))
        contacts = identity.contacts(self.profile)
        self.table.setRowCount(len(contacts))
        for r, c in enumerate(contacts):
            for col, text in enumerate((c.name, c.email, c.recipient)):
                item = QTableWidgetItem(text)
                item.setData(256, c.recipient)
                self.table.setItem(r, col, item)
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(1)

    def create_key(self) -> None:
        if identity.site_protection(self.profile) == identity.KEYRING:
            identity.create_identity(self.profile, protection=identity.KEYRING)
            self._load()
            return
        from sodclient.ui.sign_in import SignInDialog

        self.sign_in_dialog = SignInDialog(self.profile, "none", self)  # a passphrase protects the new key
        self.sign_in_dialog.accepted.connect(self._load)
        self.sign_in_dialog.open()

    def copy_key(self) -> None:
        text = identity.public_key_text(self.profile)
        if text:
            QGuiApplication.clipboard().setText(text)
        self.copy_button.setText("Copied")

    def add(self) -> None:
        try:
            identity.add_contact(
                self.profile, self.name.text(), self.email.text(), self.key.text(), self.sign_key.text()
            )
        except UserError as exc:
            self.error.setText(str(exc))
            return
        for w in (self.name, self.email, self.key, self.sign_key):
            w.clear()
        self.error.setText("")
        self._load()

    def remove(self) -> None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        for r in rows:
            identity.remove_contact(self.profile, self.table.item(r, 0).data(256))
        self._load()
