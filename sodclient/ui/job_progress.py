"""A small window-modal progress for short jobs (library import, Peer Review); Cancel cancels the job."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from sodclient.ui.common import human_size
from sodclient.ui.worker import Job

COUNTED_STAGES = {"looking at the files"}


class JobProgress(QProgressDialog):
    """A small window-modal progress for short jobs (library import); Cancel cancels the job."""

    def __init__(self, title: str, job: Job, parent: QWidget):
        super().__init__(title, "Cancel", 0, 1000, parent)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModal)
        self.setMinimumDuration(300)
        self.setAutoClose(False)
        self.setAutoReset(False)
        self.canceled.connect(job.cancel)
        job.progressed.connect(self._on_progress)
        job.finished.connect(self.close)

    def _on_progress(self, report) -> None:
        if report.total:
            self.setValue(int(1000 * report.done / max(1, report.total)))
        if report.stage in COUNTED_STAGES:  # units are files, not bytes
            self.setLabelText(f"{report.stage.capitalize()}… ({report.detail})")
            return
        text = f"{report.stage.capitalize()}: {human_size(report.done)}"
        if report.total:
            text += f" of {human_size(report.total)}"
        if report.detail:
            text += f" ({report.detail})"
        self.setLabelText(text)
