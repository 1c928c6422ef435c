"""What Query PACS and Send to PACS share: the node chooser, a status line, and Cancel on close."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QComboBox, QDialog, QLabel, QWidget

from sodclient.errors import UserError
from sodclient.profile import Profile
from sodclient.services.pacs import PacsNode, nodes
from sodclient.ui.worker import Job

NO_NODES = "There is no PACS node yet: add one in System → PACS Nodes."


class PacsDialog(QDialog):
    def __init__(self, profile: Profile, label: Callable[[PacsNode], str], parent: QWidget | None = None):
        super().__init__(parent)
        self.profile = profile
        self.job: Job | None = None
        self.node = QComboBox()
        try:
            self.nodes = nodes(profile)
        except UserError:
            self.nodes = []
        for n in self.nodes:
            self.node.addItem(f"{n.name} ({label(n)})", n.name)
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)

    @property
    def busy(self) -> bool:
        return bool(self.job and self.job.running)

    def _say(self, text: str, bad: bool = False) -> None:
        self.status.setStyleSheet("color: #b00020;" if bad else "")
        self.status.setText(text)

    def current_node(self) -> PacsNode | None:
        name = self.node.currentData()
        return next((n for n in self.nodes if n.name == name), None)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def reject(self) -> None:
        if self.busy:
            self.cancel()
        super().reject()
