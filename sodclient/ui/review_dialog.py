"""Step 2 of FTPSend with Peer Review: the de-identification report, read before anything leaves.

The report that leaves the machine (and the log) says "input 3"; this local display names the original
document beside it ("input 3 (Doe_Jane_scan.dcm)"), so the sender can tell which one was left out, and
each left-out document can be opened from here. A left-out image can be cleaned by hand: the sender marks
areas on its original picture, Peer Review runs again with them, and the report shown is replaced.
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

from sodclient.ui.hand_clean import HandCleanDialog


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
    `open_document(item, picture)` shows one (the window's viewer, the hand-clean dialog read-only for a DICOM
    image added from disk (`picture`), or the system's). `clean_by_hand(label, boxes)`
    runs Peer Review again with the sender's boxes for that input and answers with `show_report()`;
    without it (or for a left-out item that is not an image) there is no "Clean by Hand…"."""

    def __init__(
        self,
        report,
        parent: QWidget | None = None,
        originals: dict[str, object] | None = None,
        open_document=None,
        clean_by_hand=None,
    ):
        super().__init__(parent)
        self.report, self.originals, self.open_document = report, originals or {}, open_document
        self.clean_by_hand = clean_by_hand
        self.hand_boxes: dict[str, list] = {}  # label -> the sender's boxes (image pixels), sent or not
        self.hand_dialog: HandCleanDialog | None = None
        self.setWindowTitle("Peer Review report")
        self.resize(720, 560)
        layout = QVBoxLayout(self)
        self.head = QLabel()
        self.head.setWordWrap(True)
        layout.addWidget(self.head)
        self.left_out_box = QGroupBox("Left out (open one to see why; the report that is sent names no document)")
        bl = QVBoxLayout(self.left_out_box)
        self.left_out_list = QListWidget()
        self.left_out_list.setMaximumHeight(120)
        self.left_out_list.setWordWrap(True)
        self.left_out_list.currentRowChanged.connect(lambda _row: self._selection_changed())
        self.left_out_list.itemDoubleClicked.connect(lambda *_: self.open_selected())
        bl.addWidget(self.left_out_list)
        row = QHBoxLayout()
        self.open_button = QPushButton("Open")
        self.open_button.clicked.connect(self.open_selected)
        self.clean_button = QPushButton("Clean by Hand…")
        self.clean_button.setToolTip(
            "Mark the areas of this image that show patient details; they are blanked in the copy and "
            "Peer Review checks it again"
        )
        self.clean_button.clicked.connect(self.clean_selected)
        self.clean_button.setVisible(clean_by_hand is not None)
        row.addWidget(self.open_button)
        row.addWidget(self.clean_button)
        row.addStretch(1)
        bl.addLayout(row)
        layout.addWidget(self.left_out_box)
        self.outcome = QLabel()  # what the last cleaning by hand did
        self.outcome.setObjectName("hand-clean-outcome")
        self.outcome.setWordWrap(True)
        self.outcome.hide()
        layout.addWidget(self.outcome)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFont("Monospace"))
        layout.addWidget(self.text, 1)
        buttons = QDialogButtonBox()
        self.continue_button = buttons.addButton("Continue", QDialogButtonBox.AcceptRole)
        buttons.addButton(QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._busy = False
        self._pending: tuple[str, list | None] | None = None
        self._fill()

    # ---------------------------------------------------------------- the report shown

    def _name(self, label: str) -> str:
        original = self.originals.get(label)
        return original_name(original) if original is not None else label

    def _fill(self) -> None:
        report = self.report
        if report.all_safe:
            self.head.setText(
                f"All {len(report.outputs)} document(s) were de-identified. Read the changes, then "
                "continue to send the de-identified copies (your library keeps the originals)."
            )
        else:
            rest = (
                f"{len(report.outputs)} de-identified document(s) can still be sent."
                if report.outputs
                else "Nothing can be sent as it is."
            )
            if self.clean_by_hand is not None:
                rest += " An image can be cleaned by hand: select it, then Clean by Hand…"
            self.head.setText(
                f"<b>{len(report.left_out)} document(s) could not be made safe and will be left out.</b> {rest}"
            )
        self.left_out_list.clear()
        for item in report.left_out:
            self.left_out_list.addItem(f"{self._name(item.label)} — {item.reason}")
        self.left_out_box.setVisible(bool(report.left_out))
        if report.left_out:
            self.left_out_list.setCurrentRow(0)
        self.text.setPlainText(local_text(report, self.originals))
        label = "Continue" if report.all_safe else f"Send the {len(report.outputs)} safe document(s)"
        if not report.outputs:
            label = "Nothing Safe to Send"
        self.continue_button.setText(label)
        self._selection_changed()

    def show_report(self, report, label: str = "") -> None:
        """Peer Review ran again (cleaned by hand): show its report, and what became of `label`."""
        self.report = report
        self._busy = False
        self._pending = None
        self._fill()
        if label:
            still = next((item for item in report.left_out if item.label == label), None)
            name = self._name(label)
            if still is None:
                self.outcome.setText(f"{name} was cleaned by hand and passed the checks: it is now included.")
            else:
                self.outcome.setText(f"{name} is still left out: {still.reason}.")
                self.left_out_list.setCurrentRow(report.left_out.index(still))
            self.outcome.show()

    def clean_failed(self, message: str) -> None:
        """Peer Review did not run again (stopped, or it failed): the report and the boxes stay as they were."""
        if self._pending is not None:
            label, previous = self._pending
            if previous is None:
                self.hand_boxes.pop(label, None)
            else:
                self.hand_boxes[label] = previous
        self._pending = None
        self.outcome.setText(message)
        self.outcome.show()
        self.set_busy(False)

    def set_busy(self, busy: bool) -> None:
        """While Peer Review runs again nothing here may change what will be sent."""
        self._busy = busy
        self._selection_changed()

    def _selected(self):
        row = self.left_out_list.currentRow()
        return self.report.left_out[row] if 0 <= row < len(self.report.left_out) else None

    def _selection_changed(self) -> None:
        item = self._selected()
        self.open_button.setEnabled(item is not None and self.open_document is not None and not self._busy)
        self.clean_button.setEnabled(
            item is not None and self.clean_by_hand is not None and not self._busy and self.cleanable(item)
        )
        self.continue_button.setEnabled(bool(self.report.outputs) and not self._busy)

    def cleanable(self, item) -> bool:
        return item.hand_cleanable

    # ---------------------------------------------------------------- actions

    def open_selected(self):
        item = self._selected()
        if item is None or self.open_document is None:
            return None
        original = self.originals.get(item.label, item.source)
        self.open_document(original, item.hand_cleanable)
        return original

    def clean_selected(self) -> HandCleanDialog | None:
        """The original picture of the selected left-out image, to mark areas on; OK runs Peer Review again."""
        item = self._selected()
        if item is None or self.clean_by_hand is None or not self.cleanable(item):
            return None
        dialog = HandCleanDialog(
            item.source, self._name(item.label), self, boxes=self.hand_boxes.get(item.label, ()), reason=item.reason
        )
        dialog.accepted.connect(lambda: self._cleaned(item.label, dialog.boxes()))
        self.hand_dialog = dialog
        dialog.open()
        return dialog

    def _cleaned(self, label: str, boxes: list) -> None:
        self._pending = (label, self.hand_boxes.get(label))
        self.hand_boxes[label] = list(boxes)
        self.outcome.setText(f"Checking {self._name(label)} again…")
        self.outcome.show()
        self.set_busy(True)
        self.clean_by_hand(label, list(boxes))
