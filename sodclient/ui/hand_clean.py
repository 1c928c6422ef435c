"""Clean by hand: the original picture of a left-out document, where the sender marks the areas to blank.

The picture is read on a pool thread (`services.peer_review.picture`), shown here and nowhere else; the
boxes come back in image pixels through `boxes()`. What happens with them (Peer Review once more, with
those boxes) is the send flow's business. Read-only, the same dialog just shows a left-out document.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from sodclient.services.peer_review import picture
from sodclient.ui.common import plain_error
from sodclient.ui.redaction_view import RedactionView
from sodclient.ui.worker import Job
from sodformat.errors import CancelledError

HOW_TO = (
    "Drag over every piece of text that could identify the patient (name, ID, date of birth, hospital). "
    "The marked areas become black in the copy that is sent, on every frame; your original stays as it is. "
    "Right-click an area to remove it. Peer Review then checks the copy again."
)


class HandCleanDialog(QDialog):
    """`path` is the local original (it never leaves this computer); `boxes` are the sender's earlier ones."""

    def __init__(
        self,
        path: Path,
        name: str,
        parent: QWidget | None = None,
        *,
        boxes=(),
        reason: str = "",
        read_only: bool = False,
    ):
        super().__init__(parent)
        self.path, self.read_only = Path(path), read_only
        self.initial = [tuple(b[:4]) for b in boxes]
        self.frames = 1
        self.job: Job | None = None
        self.setWindowTitle(f"{'Open' if read_only else 'Clean by hand'} — {name}")
        self.resize(720, 640)
        layout = QVBoxLayout(self)
        if reason:
            why = QLabel(f"Left out because {reason}.")
            why.setWordWrap(True)
            layout.addWidget(why)
        if not read_only:
            how = QLabel(HOW_TO)
            how.setWordWrap(True)
            layout.addWidget(how)
        self.view = RedactionView()
        self.view.set_read_only(read_only)
        self.view.setMinimumSize(320, 240)
        self.view.boxesChanged.connect(self._boxes_changed)
        layout.addWidget(self.view, 1)
        self.status = QLabel("Reading the picture…")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

        row = QHBoxLayout()
        self.frame_label = QLabel("Frame:")
        self.frame = QSpinBox()
        self.frame.setMinimum(1)
        self.frame.valueChanged.connect(lambda n: self._load(n - 1))
        row.addWidget(self.frame_label)
        row.addWidget(self.frame)
        self.frame_label.hide()
        self.frame.hide()
        self.remove_last = QPushButton("Remove Last Area")
        self.remove_last.clicked.connect(lambda: self.view.remove_box(len(self.view.added_boxes()) - 1))
        self.remove_all = QPushButton("Remove All Areas")
        self.remove_all.clicked.connect(self.view.clear_added)
        row.addStretch(1)
        row.addWidget(self.remove_last)
        row.addWidget(self.remove_all)
        layout.addLayout(row)
        self.remove_last.setVisible(not read_only)
        self.remove_all.setVisible(not read_only)

        self.buttons = QDialogButtonBox()
        if read_only:
            self.ok_button = None
            self.buttons.addButton(QDialogButtonBox.Close)
        else:
            self.ok_button = self.buttons.addButton("Blank and Check Again", QDialogButtonBox.AcceptRole)
            self.ok_button.setEnabled(False)
            self.buttons.addButton(QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._boxes_changed()
        self._load(0, first=True)

    @property
    def loading(self) -> bool:
        return bool(self.job and self.job.running)

    def boxes(self) -> list[tuple[int, int, int, int]]:
        """The areas to blank, in image pixels (x, y, width, height), on every frame."""
        return self.view.added_boxes()

    def _load(self, frame: int, first: bool = False) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel()
        job = self.job = Job(functools.partial(picture, self.path, frame), self, title="picture to clean by hand")
        job.succeeded.connect(lambda shown: self._shown(shown, first) if job is self.job else None)
        job.failed.connect(lambda exc: self._failed(exc) if job is self.job else None)
        job.start()

    def _shown(self, shown, first: bool) -> None:
        self.view.set_picture(shown.pixels, keep_added=not first)
        if first:
            self.view.set_added(self.initial)
            self.frames = shown.frames
            if shown.frames > 1:
                self.frame.blockSignals(True)
                self.frame.setMaximum(shown.frames)
                self.frame.blockSignals(False)
                self.frame_label.setText(f"Frame (of {shown.frames}):")
                self.frame_label.show()
                self.frame.show()
        self._boxes_changed()

    def _failed(self, exc) -> None:
        if not isinstance(exc, CancelledError):  # a cancel: another frame was asked for meanwhile
            self.status.setText(plain_error(exc))

    def _boxes_changed(self) -> None:
        boxes = self.view.added_boxes()
        shown = self.view.has_picture
        if self.read_only:
            self.status.setText("" if shown else "Reading the picture…")
            return
        if not shown:
            for button in (self.remove_last, self.remove_all, self.ok_button):
                if button is not None:
                    button.setEnabled(False)
            return
        if boxes:
            self.status.setText(f"{len(boxes)} area(s) marked.")
        else:
            self.status.setText("No area marked yet." if not self.initial else "All areas removed.")
        self.remove_last.setEnabled(bool(boxes))
        self.remove_all.setEnabled(bool(boxes))
        if self.ok_button is not None:
            self.ok_button.setEnabled(bool(boxes) or bool(self.initial))

    def done(self, result: int) -> None:
        if self.job is not None and self.job.running:
            self.job.cancel()
        super().done(result)
