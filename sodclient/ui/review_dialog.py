"""Step 2 of FTPSend with Peer Review: the de-identification report, read before anything leaves.

The report that leaves the machine (and the log) says "input 3"; this local display names the original
document beside it ("input 3 (Doe_Jane_scan.dcm)"), so the sender can tell which one was left out, and
each left-out document can be opened from here.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


def original_name(item) -> str:
    return getattr(item, "title", None) or Path(item).name


def local_text(report, originals: dict[str, object]) -> str:
    """The report's text with each "input N" followed by the original document's name (local display only)."""
    text = report.to_text()
    if not originals:
        return text

    def named(match: re.Match) -> str:
        item = originals.get(match.group(0))
        return f"{match.group(0)} ({original_name(item)})" if item is not None else match.group(0)

    return re.sub(r"\binput \d+\b", named, text)


class ReviewDialog(QDialog):
    """`originals` maps the report's labels ("input 1"...) to the library Document (or file) each came from;
    `open_document(item)` shows one (the window's viewer or the system's)."""

    def __init__(
        self, report, parent: QWidget | None = None, originals: dict[str, object] | None = None, open_document=None
    ):
        super().__init__(parent)
        self.report, self.originals, self.open_document = report, originals or {}, open_document
        self.setWindowTitle("Peer Review report")
        self.resize(700, 520)
        layout = QVBoxLayout(self)
        if report.all_safe:
            head = QLabel(
                f"All {len(report.outputs)} document(s) were de-identified. Read the changes, then "
                "continue to send the de-identified copies (your library keeps the originals)."
            )
        else:
            head = QLabel(
                f"<b>{len(report.left_out)} document(s) could not be made safe and will be left out.</b> "
                f"{len(report.outputs)} de-identified document(s) can still be sent."
            )
        head.setWordWrap(True)
        layout.addWidget(head)
        self.left_out_list = QListWidget()
        if report.left_out:
            box = QGroupBox("Left out (open one to see why; the report that is sent names no document)")
            bl = QVBoxLayout(box)
            for item in report.left_out:
                original = self.originals.get(item.label)
                name = original_name(original) if original is not None else item.label
                self.left_out_list.addItem(f"{name} — {item.reason}")
            self.left_out_list.setMaximumHeight(120)
            bl.addWidget(self.left_out_list)
            row = QHBoxLayout()
            self.open_button = QPushButton("Open")
            self.open_button.setEnabled(open_document is not None)
            self.open_button.clicked.connect(self.open_selected)
            self.left_out_list.itemDoubleClicked.connect(lambda *_: self.open_selected())
            row.addWidget(self.open_button)
            row.addStretch(1)
            bl.addLayout(row)
            layout.addWidget(box)
            self.left_out_list.setCurrentRow(0)
        self.text = QPlainTextEdit(local_text(report, self.originals))
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

    def open_selected(self):
        row = self.left_out_list.currentRow()
        if row < 0 or self.open_document is None:
            return None
        item = self.report.left_out[row]
        original = self.originals.get(item.label, item.source)
        self.open_document(original)
        return original
