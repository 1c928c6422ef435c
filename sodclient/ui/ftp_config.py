"""FTP Config (System menu): every backend setting, validated, with Test Connection and host-key trust."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
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
    QVBoxLayout,
    QWidget,
)

from sodclient import wording
from sodclient.config import KEYS, ConfigError, Settings
from sodclient.profile import Profile
from sodclient.services.connection import test_connection
from sodclient.services.settings import change_settings
from sodclient.transport.errors import UnknownHostKey
from sodclient.ui.common import plain_error
from sodclient.ui.hostkey_dialog import HostKeyDialog, fingerprint_matcher
from sodclient.ui.worker import Job

_GROUPS = [
    ("SFTP server (upload)", "sftp."),
    ("Mail server (notification)", "smtp."),
    ("Download link", "link."),
    ("Session", "session."),
]
_LABELS = {
    "sftp.host": "Host",
    "sftp.port": "Port",
    "sftp.username": "User name",
    "sftp.password": "Password",
    "sftp.key_file": "Key file",
    "sftp.key_passphrase": "Key passphrase",
    "sftp.remote_dir": "Remote folder",
    "sftp.engine": "Upload engine",
    "smtp.host": "Host",
    "smtp.port": "Port",
    "smtp.security": "Security",
    "smtp.username": "User name",
    "smtp.password": "Password",
    "smtp.from": "From address",
    "smtp.ca_file": "Extra CA file",
    "link.template": "Link template",
    "session.idle_minutes": "Lock after idle (minutes)",
}

_CHOICES = {"smtp.security": wording.SECURITY_WORDS, "sftp.engine": wording.ENGINE_WORDS}


class FtpConfigDialog(QDialog):
    def __init__(self, profile: Profile, parent: QWidget | None = None):
        super().__init__(parent)
        self.profile = profile
        self.close_on_lock = True  # its fields hold the settings' secrets: dropped when the app locks
        self.setWindowTitle("FTP Config")
        self.setMinimumWidth(600)
        self.job: Job | None = None
        self.hostkey_dialog: HostKeyDialog | None = None
        self.settings = profile.settings()
        self.fields: dict[str, QLineEdit | QComboBox] = {}
        layout = QVBoxLayout(self)
        if self.settings.locked:
            note = QLabel(
                "Fields marked “set by your site” are locked by your administrator (in "
                f"{profile.site_defaults}) and cannot be changed here.",
                wordWrap=True,
            )
            note.setObjectName("locked-note")
            note.setTextFormat(Qt.PlainText)
            layout.addWidget(note)
        for title, prefix in _GROUPS:
            box = QGroupBox(title)
            form = QFormLayout(box)
            for key, spec in KEYS.items():
                if key.startswith(prefix):
                    label = _LABELS.get(key, key) + (" (set by your site)" if key in self.settings.locked else "")
                    form.addRow(label, self._field(key, spec))
            layout.addWidget(box)
        self.diagnosis = QLabel()
        self.diagnosis.setWordWrap(True)
        self.diagnosis.setTextFormat(Qt.RichText)
        self.diagnosis.setObjectName("diagnosis")
        layout.addWidget(self.diagnosis)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        self.test_button = self.buttons.addButton("Test Connection", QDialogButtonBox.ActionRole)
        self.save_button = self.buttons.button(QDialogButtonBox.Save)
        self.test_button.clicked.connect(lambda: self.test_connection())
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def _field(self, key: str, spec) -> QWidget:
        value = self.settings.raw.get(key, spec.default)
        if key in _CHOICES:
            w = QComboBox()
            for internal, words in _CHOICES[key].items():
                w.addItem(words, internal)
            w.setCurrentIndex(max(0, w.findData(value or spec.default)))
        else:
            w = QLineEdit(value)
            if spec.secret:
                w.setEchoMode(QLineEdit.Password)
            w.setPlaceholderText(spec.help)
        w.setToolTip(spec.help)
        if key in self.settings.locked:
            w.setEnabled(False) if isinstance(w, QComboBox) else w.setReadOnly(True)
            w.setToolTip("Set by your site's administrator; it cannot be changed here.")
        self.fields[key] = w
        if key in ("sftp.key_file", "smtp.ca_file"):
            row = QWidget()
            hl = QHBoxLayout(row)
            hl.setContentsMargins(0, 0, 0, 0)
            hl.addWidget(w, 1)
            browse = QPushButton("Browse…")
            browse.setEnabled(key not in self.settings.locked)
            browse.clicked.connect(lambda _=False, f=w: self._browse(f))
            hl.addWidget(browse)
            return row
        return w

    def _browse(self, field: QLineEdit) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a file")
        if path:
            field.setText(path)

    def values(self) -> dict[str, str]:
        return {k: (w.currentData() if isinstance(w, QComboBox) else w.text().strip()) for k, w in self.fields.items()}

    def _validated(self) -> dict[str, str] | None:
        """Every value parsed by the backend's own schema; the first problem is shown, nothing saved."""
        values = self.values()
        for key, raw in values.items():
            try:
                KEYS[key].parse(raw)
            except ConfigError as exc:
                self._show_problem(f"{KEYS[key].label}: {plain_error(exc)}", key)
                return None
        return values

    def _show_problem(self, text: str, key: str | None = None) -> None:
        self.diagnosis.setStyleSheet("color: #b00020;")
        self.diagnosis.setText(html.escape(text))
        if key:
            self.fields[key].setFocus()

    def save(self) -> None:
        values = self._validated()
        if values is None:
            return
        changed = {
            k: v for k, v in values.items() if v != self.settings.raw.get(k, "") and k not in self.settings.locked
        }
        try:
            if changed:
                change_settings(self.profile, changed)  # audited there (key names only)
        except Exception as exc:  # keyring or disk problems: say so, keep the dialog open
            self._show_problem(plain_error(exc, "The settings were not saved."))
            return
        self.accept()

    # -- Test Connection -----------------------------------------------------------------------------
    def test_connection(self, confirm=None) -> None:
        values = self._validated()
        if values is None:
            return
        settings = Settings(
            {**self.settings.raw, **values}, {k: "user" for k in KEYS}, self.settings.known_hosts, self.settings.locked
        )
        profile = self.profile
        self.job = Job(
            lambda progress, cancel: test_connection(profile, settings, confirm), self, title="test connection"
        )
        self.job.succeeded.connect(self._tested)
        self.job.failed.connect(lambda exc: self._show_problem(plain_error(exc)))
        self.test_button.setEnabled(False)
        self.diagnosis.setStyleSheet("")
        self.diagnosis.setText("Testing the connection…")
        self.job.finished.connect(lambda: self.test_button.setEnabled(True))
        self.job.start()

    def _tested(self, diagnosis) -> None:
        unknown = next((c.error for c in diagnosis.checks if isinstance(c.error, UnknownHostKey)), None)
        lines = []
        for c in diagnosis.checks:
            colour = "#1b7f3b" if c.ok else "#b00020"
            lines.append(
                f"<span style='color:{colour}'><b>{c.name}: {'OK' if c.ok else 'problem'}</b></span> "
                f"{html.escape(c.message).replace(chr(10), '<br>')}"
            )
        self.diagnosis.setStyleSheet("")
        self.diagnosis.setText("<br>".join(lines))
        if unknown is not None:
            self.hostkey_dialog = HostKeyDialog(unknown.host, unknown.fingerprint, unknown.key_type, self)
            self.hostkey_dialog.accepted.connect(lambda: self.test_connection(fingerprint_matcher(unknown.fingerprint)))
            self.hostkey_dialog.open()
