"""Step 4 of FTPSend: stages, rate, time left and Cancel; then the link or the diagnosis with Retry."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from sodclient import wording
from sodclient.ui.common import human_duration, human_size

STAGES = [("deidentify", "De-identify"), ("pack", "Pack and encrypt"), ("upload", "Upload"), ("notify", "Notify")]
_WAIT, _RUN, _DONE, _SKIP = "○", "▶", "✓", "–"


def progress_line(verb: str, report) -> str:
    """ "Uploading: 45% (12.3 MB of 27.4 MB) at 2.10 MB/s, 7 s left"; parts that are not known yet are left out."""
    parts = [f"{verb}:"]
    if report.total:
        parts.append(
            f"{int(100 * report.done / max(1, report.total))}% ({human_size(report.done)} of "
            f"{human_size(report.total)})"
        )
    else:
        parts.append(human_size(report.done))
    if report.rate:
        parts.append(f"at {human_size(report.rate)}/s")
    text = " ".join(parts)
    if report.eta_s is not None and report.rate:
        text += f", {human_duration(report.eta_s)} left"
    return text


class SendProgressDialog(QDialog):
    cancel_requested = Signal()
    retry_requested = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        peer_review: bool = False,
        passphrase_used: bool = True,
        passphrase: str = "",
    ):
        super().__init__(parent)
        self.passphrase_used = passphrase_used or bool(passphrase)
        self._passphrase = passphrase  # shown again on the last page, to read out; never stored
        self.setWindowTitle("FTPSend")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        grid = QGridLayout()
        self.marks: dict[str, QLabel] = {}
        self.bars: dict[str, QProgressBar] = {}
        for row, (key, label) in enumerate(STAGES):
            mark = QLabel(_WAIT)
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setValue(0)
            grid.addWidget(mark, row, 0)
            grid.addWidget(QLabel(label), row, 1)
            grid.addWidget(bar, row, 2)
            self.marks[key], self.bars[key] = mark, bar
        if peer_review:  # Peer Review ran (and was read) before this dialog opened
            self._set(self.marks["deidentify"], _DONE)
            self.bars["deidentify"].setValue(1000)
        else:
            self._set(self.marks["deidentify"], _SKIP)
            self.bars["deidentify"].setEnabled(False)
        layout.addLayout(grid)
        self.rate = QLabel(" ")
        layout.addWidget(self.rate)

        self.result_box = QWidget()
        rl = QVBoxLayout(self.result_box)
        rl.setContentsMargins(0, 0, 0, 0)
        self.headline = QLabel()
        self.headline.setWordWrap(True)
        rl.addWidget(self.headline)
        link_row = QHBoxLayout()
        self.link = QLineEdit(readOnly=True)
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(self.copy_link)
        link_row.addWidget(self.link, 1)
        link_row.addWidget(self.copy_button)
        self.link_row = QWidget()
        self.link_row.setLayout(link_row)
        rl.addWidget(self.link_row)
        phrase_row = QHBoxLayout()
        phrase_row.setContentsMargins(0, 0, 0, 0)
        self.passphrase = QLineEdit(readOnly=True)
        self.passphrase.setObjectName("passphrase")
        self.copy_passphrase_button = QPushButton("Copy")
        self.copy_passphrase_button.clicked.connect(self.copy_passphrase)
        phrase_row.addWidget(QLabel("Passphrase:"))
        phrase_row.addWidget(self.passphrase, 1)
        phrase_row.addWidget(self.copy_passphrase_button)
        self.passphrase_row = QWidget()
        self.passphrase_row.setLayout(phrase_row)
        self.passphrase_row.setVisible(False)
        rl.addWidget(self.passphrase_row)
        self.reminder = QLabel()
        self.reminder.setWordWrap(True)
        rl.addWidget(self.reminder)
        self.result_box.setVisible(False)
        layout.addWidget(self.result_box)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.retry_button = QPushButton("Retry")
        self.cancel_button = QPushButton("Cancel")
        self.close_button = QPushButton("Close")
        for b in (self.retry_button, self.cancel_button, self.close_button):
            buttons.addWidget(b)
        self.retry_button.setVisible(False)
        self.close_button.setVisible(False)
        self.cancel_button.clicked.connect(self._cancel)
        self.retry_button.clicked.connect(self.retry_requested)
        self.close_button.clicked.connect(self.accept)
        layout.addLayout(buttons)
        self.running = False

    @staticmethod
    def _set(mark: QLabel, state: str) -> None:
        mark.setText(state)

    def start(self) -> None:
        """(Re)start display for a new attempt."""
        self.running = True
        for key, _ in STAGES[1:]:
            self._set(self.marks[key], _WAIT)
            self.bars[key].setRange(0, 1000)
            self.bars[key].setValue(0)
        self.result_box.setVisible(False)
        self.retry_button.setText("Retry")
        self.retry_button.setVisible(False)
        self.close_button.setVisible(False)
        self.cancel_button.setVisible(True)
        self.cancel_button.setEnabled(True)
        self.rate.setText("Connecting…")

    def on_progress(self, report) -> None:
        if report.stage == "connect":
            if report.done != report.total:
                base, _, last = report.detail.partition(". Last attempt: ")
                text = f"{base}… {report.done} s (gives up after {report.total} s without an answer)"
                self.rate.setText(text + (f"\nLast attempt: {last}" if last else ""))
            return
        key = report.stage if report.stage in self.bars else None
        if key is None:
            return
        order = [k for k, _ in STAGES]
        for k in order[1 : order.index(key)]:
            if self.marks[k].text() == _WAIT:
                self._set(self.marks[k], _RUN)
        done = report.total is not None and report.done >= report.total
        self._set(self.marks[key], _DONE if done else _RUN)
        bar = self.bars[key]
        if report.total:
            bar.setRange(0, 1000)
            bar.setValue(int(1000 * report.done / max(1, report.total)))
        else:  # the upload starts before packing has finished: its total is not known yet
            bar.setRange(0, 0)
        if key == "upload" and "retrying" in report.detail:  # a dropped connection: why, and what happens next
            self.rate.setText(f"Upload interrupted: {report.detail}")
        elif key in ("pack", "upload") and (report.rate or report.total):
            self.rate.setText(progress_line("Uploading" if key == "upload" else "Packing", report))
        elif key == "notify":
            self.rate.setText("Sending the e-mail…")

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.rate.setText("Cancelling…")
        self.cancel_requested.emit()

    def show_success(self, result) -> None:
        self.running = False
        for k, _ in STAGES[1:]:
            self._set(self.marks[k], _DONE)
            self.bars[k].setRange(0, 1000)
            self.bars[k].setValue(1000)
        self.rate.setText(f"Sent {human_size(result.size)}; available until {wording.local_time(result.expires)}.")
        self.headline.setTextFormat(Qt.RichText)
        if result.notified:
            self.headline.setText("<b>Sent.</b> The recipient was e-mailed this download link:")
        else:
            self._set(self.marks["notify"], "!")
            self.headline.setText(
                "<b>Uploaded, but the e-mail could not be sent yet</b> "
                f"({html.escape(result.notify_error)}). It waits in the outbox (System → "
                "Outbox); Retry sends it now. You can also give the recipient this link:"
            )
        self.link.setText(result.link)
        self.link_row.setVisible(True)
        self.passphrase.setText(self._passphrase)
        self.passphrase_row.setVisible(bool(self._passphrase))
        if self.passphrase_used:
            self.reminder.setText(
                "⚠ Now give the recipient the passphrase by another channel (phone, in person). "
                "It is not in the e-mail. Once this window is closed, SOD Send cannot show it "
                "again."
            )
        else:
            self.reminder.setText("It opens only with the recipient's own key.")
        self.result_box.setVisible(True)
        self.cancel_button.setVisible(False)
        self.retry_button.setText("Retry e-mail")
        self.retry_button.setVisible(not result.notified)
        self.close_button.setVisible(True)
        self.close_button.setDefault(True)

    def show_failure(self, message: str, retry: bool = True) -> None:
        self.running = False
        for k, _ in STAGES[1:]:
            self.bars[k].setRange(0, 1000)
            if self.marks[k].text() == _RUN:
                self._set(self.marks[k], "✗")
        self.rate.setText("")
        self.headline.setTextFormat(Qt.RichText)
        self.headline.setText(
            f"<b>Not sent.</b> {html.escape(message)}<br>Your documents are safe in your library; nothing was lost."
        )
        self.link_row.setVisible(False)
        self.passphrase_row.setVisible(False)
        self.reminder.setText("")
        self.result_box.setVisible(True)
        self.cancel_button.setVisible(False)
        self.retry_button.setVisible(retry)
        self.close_button.setVisible(True)
        (self.retry_button if retry else self.close_button).setDefault(True)

    def copy_link(self) -> None:
        QGuiApplication.clipboard().setText(self.link.text())
        self.copy_button.setText("Copied")

    def copy_passphrase(self) -> None:
        QGuiApplication.clipboard().setText(self.passphrase.text())
        self.copy_passphrase_button.setText("Copied")

    def reject(self) -> None:  # Esc or the window's close button while running means Cancel
        if self.running:
            self._cancel()
            return
        super().reject()
