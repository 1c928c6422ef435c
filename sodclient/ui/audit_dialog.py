"""The audit log (System menu): every audited event, verified, filtered by kind and date, exported as CSV."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from sodclient.profile import Profile
from sodclient.services import audit
from sodclient.ui.common import plain_error

_ALL = "All kinds"


def _date_edit(day: QDate) -> QDateEdit:
    edit = QDateEdit(day)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat("yyyy-MM-dd")
    return edit


class AuditDialog(QDialog):
    def __init__(self, profile: Profile, parent=None):
        super().__init__(parent)
        self.profile = profile
        self.setWindowTitle("Audit log")
        self.resize(860, 520)
        layout = QVBoxLayout(self)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        filters = QHBoxLayout()
        self.kind = QComboBox()
        self.kind.addItem(_ALL, "")
        for kind in audit.KINDS:
            self.kind.addItem(kind, kind)
        self.use_dates = QCheckBox("From")
        today = QDate.currentDate()
        self.since, self.until = _date_edit(today.addDays(-30)), _date_edit(today)
        self.export_button = QPushButton("Export CSV…")
        filters.addWidget(QLabel("Kind"))
        filters.addWidget(self.kind)
        filters.addSpacing(12)
        filters.addWidget(self.use_dates)
        filters.addWidget(self.since)
        filters.addWidget(QLabel("to"))
        filters.addWidget(self.until)
        filters.addStretch(1)
        filters.addWidget(self.export_button)
        layout.addLayout(filters)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Time (UTC)", "Kind", "Event", "Details"])
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.NoEditTriggers)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.kind.currentIndexChanged.connect(lambda *_: self.load())
        self.use_dates.toggled.connect(lambda *_: self.load())
        self.since.dateChanged.connect(lambda *_: self.load())
        self.until.dateChanged.connect(lambda *_: self.load())
        self.export_button.clicked.connect(self._choose_export)
        self.load()

    def filters(self) -> tuple[list[str], str, str]:
        kind = self.kind.currentData()
        if not self.use_dates.isChecked():
            return ([kind] if kind else []), "", ""
        return (
            ([kind] if kind else []),
            self.since.date().toString("yyyy-MM-dd"),
            self.until.date().toString("yyyy-MM-dd"),
        )

    def load(self) -> None:
        kinds, since, until = self.filters()
        try:
            records = audit.records(self.profile, kinds, since, until)
            check = audit.verify(self.profile)
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
            event = str(rec.get("event", ""))
            cells = (str(rec.get("time", "")).replace("+00:00", ""), audit.kind_of(event), event, details)
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
        for column in (0, 1, 2):
            self.table.resizeColumnToContents(column)

    def _choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the audit log", "audit.csv", "CSV files (*.csv)")
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> int:
        """Writes what the filters select as CSV; returns the row count (shown in the status line)."""
        kinds, since, until = self.filters()
        try:
            with open(path, "w", encoding="utf-8", newline="") as out:
                n = audit.export_csv(self.profile, out, kinds, since, until)
        except OSError as exc:
            self.status.setText(plain_error(exc, "Nothing was exported."))
            return 0
        self.status.setText(f"Exported {n} record(s) to {path.name}.")
        return n
