"""Opening a received .SOD: passphrase or own key, then sender, expiry and contents, then import.

Decryption and import run as Jobs, so a multi-gigabyte container never freezes the window.
Nothing reaches the library until the user clicks Import, and then all of it or none of it does.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sodclient import wording
from sodclient.profile import Profile
from sodclient.services.identity import public_keys
from sodclient.services.receive import OpenedContainer, import_opened, open_received
from sodclient.ui.common import human_duration, human_size, plain_error
from sodclient.ui.worker import Job, ProcessJob
from sodformat import inspect
from sodformat.errors import SodError


class OpenSodDialog(QDialog):
    imported = Signal(object)  # ImportResult

    def __init__(self, path: Path, profile: Profile, parent: QWidget | None = None):
        super().__init__(parent)
        self.path, self.profile = path, profile
        self.has_key = has_key = bool(public_keys(profile)[0])
        self.opened: OpenedContainer | None = None
        self.result = None
        self.job: Job | None = None
        self.setWindowTitle("Open received documents")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        self.header = QLabel()
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.header)
        self.pages = QStackedWidget()
        layout.addWidget(self.pages, 1)

        # page 0: unlock
        unlock = QWidget()
        form = QFormLayout(unlock)
        self.passphrase = QLineEdit(echoMode=QLineEdit.Password)
        self.passphrase.setPlaceholderText("the passphrase the sender gave you by phone or message")
        self.use_key = QCheckBox("Use my key")
        self.use_key.setEnabled(has_key)
        if not has_key:
            self.use_key.setToolTip("You have no key yet (System → My Key and Contacts)")
        form.addRow("Passphrase", self.passphrase)
        form.addRow("", self.use_key)
        self.pages.addWidget(unlock)

        # page 1: contents
        contents = QWidget()
        cl = QVBoxLayout(contents)
        self.sender_label = QLabel()
        self.sender_label.setWordWrap(True)
        self.sender_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        cl.addWidget(self.sender_label)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Document", "Type", "Size"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        cl.addWidget(self.table)
        self.pages.addWidget(contents)

        self.progress = QProgressBar()
        self.progress.setVisible(False)
        layout.addWidget(self.progress)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox()
        self.open_button = QPushButton("Open")
        self.open_button.setDefault(True)
        self.import_button = QPushButton("Import into Library")
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.Cancel)
        self.buttons.addButton(self.open_button, QDialogButtonBox.AcceptRole)
        self.buttons.addButton(self.import_button, QDialogButtonBox.AcceptRole)
        self.import_button.setVisible(False)
        self.open_button.clicked.connect(self.unlock)
        self.import_button.clicked.connect(self.do_import)
        self.cancel_button.clicked.connect(self.cancel)
        layout.addWidget(self.buttons)
        self._read_header()

    def _read_header(self) -> None:
        name = self.path.name
        try:
            info = inspect(self.path)
        except (SodError, OSError) as exc:
            self.header.setText(f"<b>{name}</b>")
            self._error(plain_error(exc))
            self.open_button.setEnabled(False)
            return
        size = human_size(self.path.stat().st_size)
        expiry = wording.local_time(info.expires)
        self.header.setText(
            f"<b>{name}</b> ({size})<br>Created {wording.local_time(info.created)}; available until {expiry}."
        )
        if info.expired():
            self._error(
                f"This container expired on {expiry} and can no longer be opened. Ask the sender to send it again."
            )
            self.open_button.setEnabled(False)
            self.passphrase.setEnabled(False)
            self.use_key.setEnabled(False)
            return
        for_key = any("x25519" in r.lower() for r in info.recipients)
        if for_key and self.has_key:
            self.use_key.setChecked(True)

    def _error(self, text: str) -> None:
        self.status.setStyleSheet("color: #b00020;")
        self.status.setText(text)

    def _info(self, text: str) -> None:
        self.status.setStyleSheet("")
        self.status.setText(text)

    def _busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.progress.setRange(0, 0)
        self.open_button.setEnabled(not busy)
        self.import_button.setEnabled(not busy)
        self.passphrase.setEnabled(not busy)

    def _on_progress(self, report) -> None:
        if report.total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * report.done / max(1, report.total)))
        eta = f", {human_duration(report.eta_s)} left" if report.eta_s is not None else ""
        verb = "Decrypting and checking" if report.stage == "decrypt" else "Importing"
        self._info(f"{verb}… {human_size(report.done)}{eta}")

    @property
    def busy(self) -> bool:
        return bool(self.job and self.job.running)

    # -- step 1 --------------------------------------------------------------------------------------
    def unlock(self) -> None:
        passphrase = self.passphrase.text()
        use_key = self.use_key.isChecked()
        if not passphrase and not use_key:
            self._error("Enter the passphrase, or tick “Use my key”.")
            return
        # A process, not a thread: the passphrase KDF holds the GIL long enough to freeze the window.
        self.job = ProcessJob(
            open_received, (self.profile, self.path, passphrase or None, use_key), parent=self, title="open container"
        )
        self.job.progressed.connect(self._on_progress)
        self.job.succeeded.connect(self._opened)
        self.job.failed.connect(self._open_failed)
        self._busy(True)
        self._info("Decrypting and checking…")
        self.job.start()

    def _open_failed(self, exc) -> None:
        self._busy(False)
        self._error(plain_error(exc, "Nothing was imported."))
        self.passphrase.selectAll()
        self.passphrase.setFocus()

    def _opened(self, opened: OpenedContainer) -> None:
        self._busy(False)
        if not self.isVisible():  # closed while decrypting: leave nothing behind
            opened.discard()
            return
        self.opened = opened
        if opened.signer:
            who = opened.sender_name or "a sender who is not in your contacts"
            self.sender_label.setText(
                f"<b>Signed by {who}</b> (signature verified)<br>"
                f"<small>{opened.signer}</small><br>"
                f"Available until {wording.local_time(opened.expires)}."
            )
        else:
            self.sender_label.setText(
                "<b>Not signed</b>: the sender cannot be confirmed; the contents were "
                "decrypted and checked intact.<br>"
                f"Available until {wording.local_time(opened.expires)}."
            )
        entries = [e for e in opened.contents.entries if not e.is_dir]
        self.table.setRowCount(len(entries))
        for r, e in enumerate(entries):
            kind = "DICOM" if e.media_type == "application/dicom" else e.media_type.split("/")[-1].upper()
            for c, text in enumerate((e.name, kind, human_size(e.size))):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.pages.setCurrentIndex(1)
        self.open_button.setVisible(False)
        self.import_button.setVisible(True)
        self.import_button.setDefault(True)
        self._info(f"{len(entries)} document(s), {human_size(opened.total_size)}. Import them into your library?")

    # -- step 2 --------------------------------------------------------------------------------------
    def do_import(self) -> None:
        opened, profile = self.opened, self.profile
        self.job = Job(lambda progress, cancel: import_opened(profile, opened, progress=progress, cancel=cancel), self)
        self.job.progressed.connect(self._on_progress)
        self.job.succeeded.connect(self._imported)
        self.job.failed.connect(self._import_failed)
        self._busy(True)
        self.job.start()

    def _imported(self, result) -> None:
        self._busy(False)
        self.opened = None
        self.result = result
        self.imported.emit(result)
        self._info(f"Imported {len(result.documents)} document(s) into your library.")
        self.import_button.setVisible(False)
        self.cancel_button.setText("Close")

    def _import_failed(self, exc) -> None:
        self._busy(False)
        self.opened = None  # import_opened removed the temporary copy
        self.import_button.setEnabled(False)
        self._error(plain_error(exc, "Nothing was imported; open the file again to retry."))
        self.pages.setCurrentIndex(0)
        self.open_button.setVisible(True)
        self.import_button.setVisible(False)

    def cancel(self) -> None:
        if self.busy:
            self.job.cancel()
            return
        self.reject()

    def done(self, r: int) -> None:
        if self.busy:
            self.job.cancel()
        if self.opened is not None:
            self.opened.discard()
            self.opened = None
        super().done(r)
