"""File → Query PACS: search a node, look at a study's series, retrieve the chosen studies into the library.

Each study is retrieved all-or-nothing (services.pacs.retrieve) with progress per study and Cancel; the
dialog then says, per study, whether it was filed, and the main window shows the first filed study.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sodclient.profile import Profile
from sodclient.services.pacs import StudyQuery, method_name, retrieve, search, series_of
from sodclient.ui.common import plain_error
from sodclient.ui.pacs_dialog import NO_NODES, PacsDialog
from sodclient.ui.worker import Job

_STUDY_COLUMNS = ["Date", "Patient", "Patient ID", "Description", "Modalities", "Images", "Accession"]


def _date(d: str) -> str:
    return f"{d[:4]}-{d[4:6]}-{d[6:8]}" if len(d) == 8 else d


def _table(columns: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(columns))
    t.setHorizontalHeaderLabels(columns)
    t.setSelectionBehavior(QAbstractItemView.SelectRows)
    t.setEditTriggers(QAbstractItemView.NoEditTriggers)
    t.verticalHeader().setVisible(False)
    t.horizontalHeader().setStretchLastSection(True)
    return t


class PacsQueryDialog(PacsDialog):
    retrieved = Signal(object)  # the RetrieveOutcome

    def __init__(self, profile: Profile, parent: QWidget | None = None):
        super().__init__(profile, method_name, parent)
        self.setWindowTitle("Query PACS")
        self.resize(980, 620)
        self.series_job: Job | None = None
        self.studies: list = []
        self.outcome = None

        self.patient_name, self.patient_id, self.accession = QLineEdit(), QLineEdit(), QLineEdit()
        self.patient_name.setPlaceholderText("e.g. Doe, or Doe^Jane")
        self.modality = QComboBox()
        self.modality.setEditable(True)
        self.modality.addItems(["", "CT", "MR", "CR", "DX", "US", "MG", "PT", "NM", "XA", "SR", "OT"])
        self.use_dates = QCheckBox("Between")
        self.date_from, self.date_to = QDateEdit(QDate.currentDate().addYears(-1)), QDateEdit(QDate.currentDate())
        for d in (self.date_from, self.date_to):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        dates = QHBoxLayout()
        dates.addWidget(self.use_dates)
        dates.addWidget(self.date_from)
        dates.addWidget(QLabel("and"))
        dates.addWidget(self.date_to)
        dates.addStretch(1)
        form = QFormLayout()
        form.addRow("PACS node", self.node)
        form.addRow("Patient name", self.patient_name)
        form.addRow("Patient ID", self.patient_id)
        form.addRow("Study date", dates)
        form.addRow("Modality", self.modality)
        form.addRow("Accession number", self.accession)
        self.search_button = QPushButton("Search")
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.search)

        self.results = _table(_STUDY_COLUMNS)
        self.results.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.results.itemSelectionChanged.connect(self._study_selected)
        self.series = _table(["Series", "Modality", "Description", "Images"])
        self.series.setSelectionMode(QAbstractItemView.NoSelection)
        split = QSplitter(Qt.Vertical)
        split.addWidget(self.results)
        split.addWidget(self.series)
        split.setStretchFactor(0, 3)

        self.status.setTextFormat(Qt.RichText)
        self.progress = QProgressBar()
        self.progress.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.Close)
        self.retrieve_button = self.buttons.addButton("Retrieve", QDialogButtonBox.ActionRole)
        self.retrieve_button.setEnabled(False)
        self.cancel_button = self.buttons.addButton("Cancel Retrieve", QDialogButtonBox.ActionRole)
        self.cancel_button.hide()
        self.retrieve_button.clicked.connect(self.retrieve)
        self.cancel_button.clicked.connect(self.cancel)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addLayout(form, 1)
        top.addWidget(self.search_button, 0, Qt.AlignBottom)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        if not self.nodes:
            self._say(NO_NODES, bad=True)
            self.search_button.setEnabled(False)

    def query(self) -> StudyQuery:
        dates = ("", "")
        if self.use_dates.isChecked():
            dates = (self.date_from.date().toString("yyyyMMdd"), self.date_to.date().toString("yyyyMMdd"))
        return StudyQuery(
            patient_name=self.patient_name.text().strip(),
            patient_id=self.patient_id.text().strip(),
            date_from=dates[0],
            date_to=dates[1],
            modality=self.modality.currentText().strip(),
            accession=self.accession.text().strip(),
        )

    # -- search --------------------------------------------------------------------------------------
    def search(self) -> Job | None:
        node, query, profile = self.current_node(), self.query(), self.profile
        if node is None:
            return None
        self.search_button.setEnabled(False)
        self._say("Searching…")
        self.job = Job(lambda progress, cancel: search(profile, node, query, cancel=cancel), self, title="PACS search")
        self.job.succeeded.connect(self._found)
        self.job.failed.connect(lambda exc: self._say(plain_error(exc), bad=True))
        self.job.finished.connect(lambda: self.search_button.setEnabled(True))
        self.job.start()
        return self.job

    def _found(self, studies: list) -> None:
        self.studies = studies
        t = self.results
        t.setRowCount(len(studies))
        for r, s in enumerate(studies):
            values = [
                _date(s.date),
                s.patient_name,
                s.patient_id,
                s.description,
                s.modalities,
                "" if s.instances is None else str(s.instances),
                s.accession,
            ]
            for c, v in enumerate(values):
                t.setItem(r, c, QTableWidgetItem(v))
        t.resizeColumnsToContents()
        t.horizontalHeader().setSectionResizeMode(3, QHeaderView.Stretch)
        self.series.setRowCount(0)
        self._say(f"{len(studies)} study(ies) found." if studies else "No study matches this search.")
        self._study_selected()

    def selected_studies(self) -> list:
        rows = sorted({i.row() for i in self.results.selectionModel().selectedRows()})
        return [self.studies[r] for r in rows]

    def select_studies(self, rows: list[int]) -> None:
        self.results.clearSelection()
        mode = self.results.selectionMode()
        self.results.setSelectionMode(QAbstractItemView.MultiSelection)
        for r in rows:
            self.results.selectRow(r)
        self.results.setSelectionMode(mode)

    def _study_selected(self) -> None:
        chosen = self.selected_studies()
        self.retrieve_button.setEnabled(bool(chosen) and not self.busy)
        if len(chosen) != 1:
            self.series.setRowCount(0)
            return
        node, profile, uid = self.current_node(), self.profile, chosen[0].study_uid
        self.series_job = Job(
            lambda progress, cancel: series_of(profile, node, uid, cancel=cancel), self, title="PACS series search"
        )
        self.series_job.succeeded.connect(lambda found, uid=uid: self._show_series(uid, found))
        self.series_job.failed.connect(lambda exc: self._say(plain_error(exc), bad=True))
        self.series_job.start()

    def _show_series(self, study_uid: str, found: list) -> None:
        chosen = self.selected_studies()
        if len(chosen) != 1 or chosen[0].study_uid != study_uid:
            return
        self.series.setRowCount(len(found))
        for r, s in enumerate(found):
            count = "" if s.instances is None else str(s.instances)
            for c, v in enumerate([s.number, s.modality, s.description, count]):
                self.series.setItem(r, c, QTableWidgetItem(v))

    # -- retrieve ------------------------------------------------------------------------------------
    def retrieve(self) -> Job | None:
        studies, node, profile = self.selected_studies(), self.current_node(), self.profile
        if not studies or node is None:
            return None
        self.retrieve_button.setEnabled(False)
        self.search_button.setEnabled(False)
        self.cancel_button.show()
        self.progress.show()
        self.progress.setRange(0, 0)
        self._say(f"Retrieving {len(studies)} study(ies) with {method_name(node)}…")
        self.job = Job(
            lambda progress, cancel: retrieve(profile, node, studies, progress, cancel), self, title="PACS retrieve"
        )
        self.job.progressed.connect(self._progressed)
        self.job.succeeded.connect(self._retrieved)
        self.job.failed.connect(
            lambda exc: self._say(plain_error(exc, "Nothing of the current study was kept."), bad=True)
        )
        self.job.finished.connect(self._idle)
        self.job.start()
        return self.job

    def _progressed(self, report) -> None:
        if report.total:
            self.progress.setRange(0, report.total)
            self.progress.setValue(min(report.done, report.total))
        self.progress.setFormat(report.detail or "%p%")
        self.status.setText(html.escape(report.detail))

    def _retrieved(self, outcome) -> None:
        self.outcome = outcome
        lines = []
        for s in outcome.studies:
            what = html.escape(" ".join(x for x in (_date(s.study.date), s.study.description) if x) or "Study")
            if s.ok:
                lines.append(
                    f"<span style='color:#1b7f3b'><b>{what}: filed</b></span> "
                    f"({len(s.result.documents)} new, {s.result.duplicates} already in the library)"
                )
            else:
                lines.append(f"<span style='color:#b00020'><b>{what}: not filed</b></span> {html.escape(s.error)}")
        self.status.setStyleSheet("")
        self.status.setText("<br>".join(lines))
        self.retrieved.emit(outcome)

    def _idle(self) -> None:
        self.progress.hide()
        self.cancel_button.hide()
        self.search_button.setEnabled(True)
        self.retrieve_button.setEnabled(bool(self.selected_studies()))
