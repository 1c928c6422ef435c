"""The audit log (System menu): every send, upload, notification, import and config change, verified."""

from __future__ import annotations

import json

from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QLabel, QTableWidget, QTableWidgetItem,
                               QVBoxLayout)

from sodclient.profile import Profile
from sodclient.ui.common import plain_error


class AuditDialog(QDialog):
    def __init__(self, profile: Profile, parent=None):
        super().__init__(parent)
        self.profile = profile
        self.setWindowTitle("Audit log")
        self.resize(820, 480)
        layout = QVBoxLayout(self)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Time (UTC)", "Event", "Details"])
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.load()

    def load(self) -> None:
        try:
            records = self.profile.audit.read()
            check = self.profile.audit.verify()
        except Exception as exc:  # a missing keyring must not stop the user from reading the log
            self.status.setText(plain_error(exc))
            return
        if check.ok:
            self.status.setStyleSheet("color: #1b7f3b;")
            self.status.setText(f"{check.records} record(s); the trail is intact (every record verified).")
        else:
            self.status.setStyleSheet("color: #b00020;")
            self.status.setText(f"Warning: the audit trail does not verify: {check.problem}.")
        rows = list(reversed(records))
        self.table.setRowCount(len(rows))
        for r, rec in enumerate(rows):
            fields = rec.get("fields", {})
            details = ", ".join(f"{k}={json.dumps(v) if not isinstance(v, str) else v}" for k, v in fields.items())
            for c, text in enumerate((str(rec.get("time", "")).replace("+00:00", ""), rec.get("event", ""), details)):
                self.table.setItem(r, c, QTableWidgetItem(str(text)))
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(1)
