"""File → Import from CD/DVD: list a disc's patients, studies and series (from its DICOMDIR, or from the
images when it has none), tick what to import, and file it into the library all-or-nothing."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sodclient.profile import Profile
from sodclient.services.cd_import import import_disc, read_disc
from sodclient.ui.common import human_size, plain_error
from sodclient.ui.job_progress import JobProgress
from sodclient.ui.worker import Job


class CdImportDialog(QDialog):
    imported = Signal(object)  # the ImportResult

    def __init__(self, profile: Profile, parent: QWidget | None = None, folder: Path | None = None):
        super().__init__(parent)
        self.profile = profile
        self.setWindowTitle("Import from CD/DVD")
        self.resize(760, 520)
        self.contents = None
        self.job: Job | None = None
        self.folder = QLineEdit(str(folder) if folder else "")
        self.folder.setPlaceholderText("the disc drive, or a folder copied from a disc")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.read_button = QPushButton("Read Disc")
        self.read_button.clicked.connect(self.read)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        row.addWidget(self.read_button)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Patients, studies and series", "Modality", "Images", "Size"])
        self.tree.header().setStretchLastSection(False)
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Close)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ActionRole)
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self.import_chosen)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the disc or its folder")
        if folder:
            self.folder.setText(folder)
            self.read()

    def _say(self, text: str, bad: bool = False) -> None:
        self.status.setStyleSheet("color: #b00020;" if bad else "")
        self.status.setText(text)

    def read(self) -> Job | None:
        root, profile = Path(self.folder.text().strip()), self.profile
        if not self.folder.text().strip():
            return None
        self.read_button.setEnabled(False)
        self._say("Reading the disc…")
        self.job = Job(lambda progress, cancel: read_disc(profile, root, progress, cancel), self, title="disc read")
        self.job.succeeded.connect(self._show)
        self.job.failed.connect(lambda exc: self._say(plain_error(exc), bad=True))
        self.job.finished.connect(lambda: self.read_button.setEnabled(True))
        self.job.start()
        return self.job

    def _show(self, contents) -> None:
        self.contents = contents
        self.tree.clear()
        patients: dict[str, QTreeWidgetItem] = {}
        studies: dict[str, QTreeWidgetItem] = {}
        for s in contents.series:
            p = patients.get(s.patient_id + "\0" + s.patient_name)
            if p is None:
                p = patients[s.patient_id + "\0" + s.patient_name] = QTreeWidgetItem([s.patient_name or "(no name)"])
                p.setFlags(p.flags() | Qt.ItemIsAutoTristate | Qt.ItemIsUserCheckable)
                p.setCheckState(0, Qt.Checked)
                self.tree.addTopLevelItem(p)
            st = studies.get(s.study_uid)
            if st is None:
                date = s.study_date
                label = (f"{date[:4]}-{date[4:6]}-{date[6:8]}  " if len(date) == 8 else "") + (
                    s.study_description or "Study"
                )
                st = studies[s.study_uid] = QTreeWidgetItem([label])
                st.setFlags(st.flags() | Qt.ItemIsAutoTristate | Qt.ItemIsUserCheckable)
                p.addChild(st)
            item = QTreeWidgetItem([s.description or "Series", s.modality, str(s.count), human_size(s.size)])
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(0, Qt.Checked)
            item.setData(0, Qt.UserRole, s)
            st.addChild(item)
        self.tree.expandAll()
        for col in (1, 2, 3):
            self.tree.resizeColumnToContents(col)
        how = "from its DICOMDIR" if contents.dicomdir else "from the images (no DICOMDIR)"
        skipped = f"; {contents.skipped} file(s) are not DICOM images or are missing" if contents.skipped else ""
        self._say(f"{len(contents.series)} series read {how}{skipped}. Untick what you do not want.")
        self.import_button.setEnabled(True)

    def series_items(self) -> list[QTreeWidgetItem]:
        out = []
        for i in range(self.tree.topLevelItemCount()):
            p = self.tree.topLevelItem(i)
            for j in range(p.childCount()):
                st = p.child(j)
                out += [st.child(k) for k in range(st.childCount())]
        return out

    def chosen(self) -> list:
        return [i.data(0, Qt.UserRole) for i in self.series_items() if i.checkState(0) == Qt.Checked]

    def import_chosen(self) -> Job | None:
        chosen, contents, profile = self.chosen(), self.contents, self.profile
        if contents is None:
            return None
        if not chosen:
            self._say("Tick at least one series to import.", bad=True)
            return None
        self.import_button.setEnabled(False)
        self.job = Job(
            lambda progress, cancel: import_disc(profile, contents, chosen, progress, cancel), self, title="disc import"
        )
        self.progress_dialog = JobProgress("Importing", self.job, self)
        self.job.succeeded.connect(self._imported)
        self.job.failed.connect(lambda exc: self._say(plain_error(exc, "Nothing was added to the library."), bad=True))
        self.job.finished.connect(lambda: self.import_button.setEnabled(True))
        self.job.start()
        self.progress_dialog.show()
        return self.job

    def _imported(self, result) -> None:
        dup = f", {result.duplicates} already in the library" if result.duplicates else ""
        self._say(f"Imported {len(result.documents)} document(s){dup}.")
        self.imported.emit(result)
