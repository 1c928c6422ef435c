"""System → PACS Nodes: the DICOM and DICOMweb nodes, with Echo and a plain diagnosis (as in FTP Config)."""

from __future__ import annotations

import html

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from sodclient.errors import UserError
from sodclient.profile import Profile
from sodclient.services.pacs import (
    DICOMWEB,
    DIMSE,
    RETRIEVE_GET,
    RETRIEVE_MOVE,
    PacsNode,
    echo,
    nodes,
    remove_node,
    save_node,
)
from sodclient.ui.common import plain_error
from sodclient.ui.worker import Job

_OK, _BAD = "#1b7f3b", "#b00020"


class PacsNodesDialog(QDialog):
    def __init__(self, profile: Profile, parent: QWidget | None = None):
        super().__init__(parent)
        self.profile = profile
        self.setWindowTitle("PACS Nodes")
        self.setMinimumWidth(720)
        self.job: Job | None = None
        self.editing: str | None = None  # the saved name of the node in the form, None for a new one

        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._show_node)
        self.new_button = QPushButton("New")
        self.new_button.clicked.connect(self.new_node)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        row = QHBoxLayout()
        row.addWidget(self.new_button)
        row.addWidget(self.remove_button)
        left.addLayout(row)

        self.name = QLineEdit()
        self.kind = QComboBox()
        self.kind.addItem("DICOM (C-ECHO, C-FIND, C-GET/C-MOVE, C-STORE)", DIMSE)
        self.kind.addItem("DICOMweb (QIDO-RS, WADO-RS, STOW-RS)", DICOMWEB)
        self.kind.currentIndexChanged.connect(lambda i: self.pages.setCurrentIndex(i))
        top = QFormLayout()
        top.addRow("Name", self.name)
        top.addRow("Kind", self.kind)

        self.ae_title, self.host, self.calling_ae = QLineEdit(), QLineEdit(), QLineEdit("SODSEND")
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(104)
        self.tls = QCheckBox("Use TLS (the PACS certificate is verified)")
        self.retrieve = QComboBox()
        self.retrieve.addItem("C-GET (no set-up at the PACS)", RETRIEVE_GET)
        self.retrieve.addItem("C-MOVE to this computer's storage port", RETRIEVE_MOVE)
        self.move_port = QSpinBox()
        self.move_port.setRange(1, 65535)
        self.move_port.setValue(11112)
        dimse_page = QWidget()
        f = QFormLayout(dimse_page)
        f.addRow("PACS AE title", self.ae_title)
        f.addRow("Host", self.host)
        f.addRow("Port", self.port)
        f.addRow("Own AE title", self.calling_ae)
        f.addRow("", self.tls)
        f.addRow("Retrieve with", self.retrieve)
        f.addRow("Storage port (C-MOVE)", self.move_port)

        self.base_url, self.username, self.password = QLineEdit(), QLineEdit(), QLineEdit()
        self.base_url.setPlaceholderText("https://pacs.example.org/dicom-web")
        self.password.setEchoMode(QLineEdit.Password)
        web_page = QWidget()
        w = QFormLayout(web_page)
        w.addRow("DICOMweb URL", self.base_url)
        w.addRow("User name", self.username)
        w.addRow("Password", self.password)

        self.ca_file = QLineEdit()
        self.ca_file.setPlaceholderText("only for a site's own certificate authority")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_file, 1)
        ca_row.addWidget(browse)
        bottom = QFormLayout()
        bottom.addRow("Extra CA file", ca_row)

        self.pages = QStackedWidget()
        self.pages.addWidget(dimse_page)
        self.pages.addWidget(web_page)
        right = QVBoxLayout()
        right.addLayout(top)
        right.addWidget(self.pages)
        right.addLayout(bottom)
        self.diagnosis = QLabel()
        self.diagnosis.setObjectName("diagnosis")
        self.diagnosis.setWordWrap(True)
        right.addWidget(self.diagnosis)
        right.addStretch(1)

        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addLayout(right, 2)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Close)
        self.save_button = self.buttons.addButton("Save", QDialogButtonBox.ActionRole)
        self.echo_button = self.buttons.addButton("Echo", QDialogButtonBox.ActionRole)
        self.save_button.clicked.connect(self.save)
        self.echo_button.clicked.connect(self.echo)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.buttons)
        self._reload()

    # -- the list ------------------------------------------------------------------------------------
    def _reload(self, select: str | None = None) -> None:
        try:
            self.nodes = nodes(self.profile)
        except UserError as exc:
            self.nodes = []
            self._say(plain_error(exc), ok=False)
        self.list.blockSignals(True)
        self.list.clear()
        for n in self.nodes:
            self.list.addItem(n.name)
        self.list.blockSignals(False)
        names = [n.name for n in self.nodes]
        if select in names:
            self.list.setCurrentRow(names.index(select))
        elif self.nodes:
            self.list.setCurrentRow(0)
        else:
            self.new_node()

    def _show_node(self, row: int) -> None:
        if not 0 <= row < len(self.nodes):
            return
        n = self.nodes[row]
        self.editing = n.name
        self.name.setText(n.name)
        self.kind.setCurrentIndex(1 if n.is_dicomweb else 0)
        self.ae_title.setText(n.ae_title)
        self.host.setText(n.host)
        self.port.setValue(n.port)
        self.calling_ae.setText(n.calling_ae)
        self.tls.setChecked(n.tls)
        self.retrieve.setCurrentIndex(1 if n.retrieve == RETRIEVE_MOVE else 0)
        self.move_port.setValue(n.move_port)
        self.base_url.setText(n.base_url)
        self.username.setText(n.username)
        self.password.setText(n.password)
        self.ca_file.setText(n.ca_file)
        self.diagnosis.setText("")

    def new_node(self) -> None:
        self.editing = None
        self.list.clearSelection()
        for field in (self.name, self.ae_title, self.host, self.base_url, self.username, self.password, self.ca_file):
            field.clear()
        self.calling_ae.setText("SODSEND")
        self.port.setValue(104)
        self.tls.setChecked(False)
        self.retrieve.setCurrentIndex(0)
        self.name.setFocus()

    def node(self) -> PacsNode:
        """The node as the form shows it (checked by the service when used)."""
        return PacsNode(
            name=self.name.text().strip(),
            kind=self.kind.currentData(),
            ae_title=self.ae_title.text().strip(),
            host=self.host.text().strip(),
            port=self.port.value(),
            calling_ae=self.calling_ae.text().strip(),
            tls=self.tls.isChecked(),
            ca_file=self.ca_file.text().strip(),
            retrieve=self.retrieve.currentData(),
            move_port=self.move_port.value(),
            base_url=self.base_url.text().strip(),
            username=self.username.text().strip(),
            password=self.password.text(),
        )

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose the CA certificate file")
        if path:
            self.ca_file.setText(path)

    def _say(self, text: str, ok: bool | None) -> None:
        colour = "" if ok is None else f"color: {_OK if ok else _BAD};"
        self.diagnosis.setStyleSheet(colour)
        self.diagnosis.setText(html.escape(text))

    # -- actions -------------------------------------------------------------------------------------
    def save(self) -> bool:
        try:
            saved = save_node(self.profile, self.node(), replacing=self.editing)
        except UserError as exc:
            self._say(plain_error(exc, "Nothing was saved."), ok=False)
            return False
        self._reload(select=saved.name)
        self._say(f"Saved {saved.name}.", ok=True)
        return True

    def remove(self) -> None:
        if self.editing is None:
            return
        try:
            remove_node(self.profile, self.editing)
        except UserError as exc:
            self._say(plain_error(exc), ok=False)
            return
        self._reload()

    def echo(self) -> Job:
        node, profile = self.node(), self.profile
        self.job = Job(lambda progress, cancel: echo(profile, node), self, title="PACS echo")
        self.job.succeeded.connect(lambda text: self._say(f"OK: {text}", ok=True))
        self.job.failed.connect(lambda exc: self._say(f"Problem: {plain_error(exc)}", ok=False))
        self.job.finished.connect(lambda: self.echo_button.setEnabled(True))
        self.echo_button.setEnabled(False)
        self._say("Testing the node…", ok=None)
        self.job.start()
        return self.job
