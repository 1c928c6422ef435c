"""Importing into the library safely: look first, then ask, then file.

Step one (a background job) sorts the chosen files (`services.receive.plan_import`). When all are DICOM the
import starts at once (they are filed by their own tags). Otherwise this dialog shows, before anything is
written: the files that cannot be taken, each named with its reason; the files skipped as not documents
(DICOMDIR, READMEs, the OS's clutter); and the other documents with the patient and the case they will go
into, which the user confirms (or leaves them out). Nothing non-DICOM is ever filed into a case unasked.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from sodclient.services.receive import import_plan, plan_import
from sodclient.ui.common import plain_error
from sodclient.ui.job_progress import JobProgress
from sodclient.ui.worker import Job


def _n(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _names(items, root_hint: str = "") -> list[str]:
    return [getattr(i, "path", i).name + (f" — {i.reason}" if hasattr(i, "reason") else "") for i in items]


def outcome_text(result, skipped: int = 0) -> str:
    """What an import did, in words: a duplicate import says the documents were already there."""
    new, dup = len(result.documents), result.duplicates
    if not new and dup:
        text = (
            f"{'The document was' if dup == 1 else f'All {dup} documents were'} already in the library; "
            "nothing new was added."
        )
    else:
        text = f"Imported {_n(new, 'document')}."
        if dup:
            text += f" {_n(dup, 'other was', 'others were')} already in the library."
    if skipped:
        text += f" {_n(skipped, 'file was', 'files were')} skipped (not documents)."
    return text


class ImportDialog(QDialog):
    """Shows the plan; accepted with the case the documents go into (or with them left out)."""

    def __init__(self, plan, library, case_id: int | None, parent: QWidget | None = None):
        super().__init__(parent)
        self.plan, self.library = plan, library
        self.setWindowTitle("Import")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.import_button = self.buttons.button(QDialogButtonBox.Ok)
        if plan.dicom:
            layout.addWidget(
                QLabel(
                    f"{_n(len(plan.dicom), 'DICOM file')} will be filed by patient and study from their own details.",
                    wordWrap=True,
                )
            )
        self.patient = QComboBox()
        self.case = QComboBox()
        self.leave_out = QCheckBox("Leave these documents out")
        if plan.documents:
            box = QGroupBox(f"{_n(len(plan.documents), 'other document')} (not DICOM): choose where they go")
            bl = QVBoxLayout(box)
            listing = QListWidget()
            listing.addItems(_names(plan.documents))
            listing.setMaximumHeight(110)
            bl.addWidget(listing)
            form = QFormLayout()
            form.addRow("Patient", self.patient)
            form.addRow("Case", self.case)
            bl.addLayout(form)
            self.where = QLabel(wordWrap=True)
            self.where.setStyleSheet("font-weight: bold;")
            bl.addWidget(self.where)
            bl.addWidget(self.leave_out)
            layout.addWidget(box)
            self._fill_patients(case_id)
            self.patient.currentIndexChanged.connect(lambda *_: self._fill_cases(None))
            self.case.currentIndexChanged.connect(lambda *_: self._update())
            self.leave_out.toggled.connect(lambda *_: self._update())
        if plan.refused:
            self.refused_list = _listed(
                layout, f"{_n(len(plan.refused), 'file')} cannot be imported", plan.refused, 110
            )
        if plan.skipped:
            self.skipped_list = _listed(
                layout, f"{_n(len(plan.skipped), 'file')} skipped (not documents)", plan.skipped, 90
            )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._update()

    # -- where the documents go ------------------------------------------------------------------------------
    def _fill_patients(self, case_id: int | None) -> None:
        chosen = self.library.case(case_id) if case_id is not None else None
        self.patient.blockSignals(True)
        self.patient.addItem("(choose a patient)", None)
        for p in self.library.patients():
            self.patient.addItem(p.name + (f" (born {p.birth_date[:4]})" if len(p.birth_date) >= 4 else ""), p.id)
            if chosen and chosen.patient_id == p.id:
                self.patient.setCurrentIndex(self.patient.count() - 1)
        self.patient.blockSignals(False)
        self._fill_cases(chosen.id if chosen else None)

    def _fill_cases(self, case_id: int | None) -> None:
        self.case.blockSignals(True)
        self.case.clear()
        self.case.addItem("(choose a case)", None)
        pid = self.patient.currentData()
        for c in self.library.cases(pid) if pid is not None else []:
            date = f"{c.date[:4]}-{c.date[4:6]}-{c.date[6:8]}  " if len(c.date) == 8 else ""
            self.case.addItem(f"{date}{c.description}", c.id)
            if c.id == case_id:
                self.case.setCurrentIndex(self.case.count() - 1)
        self.case.blockSignals(False)
        self._update()

    def chosen_case(self) -> int | None:
        return self.case.currentData() if self.plan.documents and not self.leave_out.isChecked() else None

    def files_to_import(self) -> int:
        return len(self.plan.dicom) + (0 if self.leave_out.isChecked() else len(self.plan.documents))

    def _update(self) -> None:
        docs = self.plan.documents and not self.leave_out.isChecked()
        self.patient.setEnabled(bool(docs))
        self.case.setEnabled(bool(docs))
        if self.plan.documents:
            if not docs:
                self.where.setText("These documents will not be imported.")
            elif self.chosen_case() is None:
                self.where.setText("Choose the patient and the case these documents belong to.")
            else:
                self.where.setText(
                    f"They will be filed into the case “{self.case.currentText().strip()}” of "
                    f"{self.patient.currentText()}."
                )
        count = self.files_to_import()
        self.import_button.setText(f"Import {_n(count, 'file')}" if count else "Import")
        self.import_button.setEnabled(count > 0 and not (docs and self.chosen_case() is None))


class ImportRun(QObject):
    """One import from the window: plan, ask when needed, import. `finished` fires once whatever happens."""

    finished = Signal()

    def __init__(self, window, paths: list[Path]):
        super().__init__(window)
        self.window, self.paths = window, paths
        self.dialog: ImportDialog | None = None
        self.result = None
        self.job: Job | None = None

    def start(self) -> None:
        profile, paths = self.window.profile, self.paths
        job = Job(
            lambda progress, cancel: plan_import(profile, paths, progress=progress, cancel=cancel),
            self.window,
            title="looking at the files",
        )
        self._track(job)
        self.survey_progress = JobProgress("Looking at the files", job, self.window)
        job.succeeded.connect(self._planned)
        job.failed.connect(lambda exc: self._fail(exc, "Nothing was added to the library."))
        job.start()
        self.survey_progress.show()

    def _track(self, job: Job) -> None:
        self.job = job
        self.window.jobs.add(job)
        job.finished.connect(lambda *_: self.window.jobs.discard(job))

    def _planned(self, plan) -> None:
        self.plan = plan
        if not plan.importable:
            names = "; ".join(_names(plan.refused + plan.skipped)[:8])
            self._fail(None, f"There is nothing to import here. {names}".strip())
            return
        if not plan.documents and not plan.refused:
            self._import(None)  # DICOM only: filed by its own tags, nothing to decide
            return
        self.dialog = ImportDialog(plan, self.window.library, self.window.current_case_id(), self.window)
        self.window.import_dialog = self.dialog
        self.dialog.accepted.connect(self._confirmed)
        self.dialog.rejected.connect(self.finished.emit)
        self.dialog.open()

    def _confirmed(self) -> None:
        dlg = self.dialog
        if dlg.leave_out.isChecked():
            self.plan.documents = []  # left out by the user: simply not imported
        self._import(dlg.chosen_case())

    def _import(self, case_id: int | None) -> None:
        profile, plan = self.window.profile, self.plan
        job = Job(
            lambda progress, cancel: import_plan(profile, plan, case_id=case_id, progress=progress, cancel=cancel),
            self.window,
            title="library import",
        )
        self._track(job)
        progress = JobProgress("Importing", job, self.window)
        job.succeeded.connect(self._done)
        job.failed.connect(lambda exc: self._fail(exc, "Nothing was added to the library."))
        job.start()
        progress.show()

    def _done(self, result) -> None:
        self.result = result
        self.window.refresh(select_case=result.case_ids[0] if result.case_ids else None)
        self.window.statusBar().showMessage(outcome_text(result, len(self.plan.skipped)), 15000)
        self.finished.emit()

    def _fail(self, exc, nothing_lost: str) -> None:
        text = plain_error(exc, nothing_lost) if exc is not None else nothing_lost
        self.window.show_message("Import", text)
        self.finished.emit()


def _listed(layout: QVBoxLayout, title: str, items, height: int) -> QListWidget:
    """A titled box listing files by name and reason, added to `layout`."""
    box = QGroupBox(title)
    listing = QListWidget()
    listing.addItems(_names(items))
    listing.setMaximumHeight(height)
    QVBoxLayout(box).addWidget(listing)
    layout.addWidget(box)
    return listing
